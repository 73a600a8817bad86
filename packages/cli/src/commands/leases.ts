/**
 * `leases <stream>`: a consumer group's lease table as the state adapter holds it, which instance
 * holds what, and which leases look expired while the command watched.
 */
import { formatCheckpoint, type Lease, LeaseExpiryTracker } from '@kinesis-ts/core';
import { ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import { buildLeaseView, formatDuration, type LeaseView } from '../lease-view.js';
import { flag, integerOption } from '../option-values.js';
import type { Output } from '../output.js';
import { openState, STATE_OPTIONS } from '../state-source.js';
import { sleepUnlessAborted, watchLoop } from '../watch-loop.js';

const NAME = 'leases';

function stateCell(out: Output, view: LeaseView, row: LeaseView['leases'][number]): string {
  switch (row.state) {
    case 'expired':
      return out.style('red', `expired (${formatDuration(row.unchangedMs ?? 0)} unchanged)`);
    case 'unowned':
      return out.style('yellow', 'unowned');
    case 'ended':
      return out.style('dim', 'ended');
    default:
      // Owners renew every failoverTime / 3: a counter that stood still longer is worth showing.
      return (row.unchangedMs ?? 0) > view.failoverTimeMs / 3
        ? out.style('yellow', `held (${formatDuration(row.unchangedMs ?? 0)} unchanged)`)
        : 'held';
  }
}

/** Prints a lease view as tables (or one JSON line). */
export function printLeaseView(out: Output, view: LeaseView, where: string): void {
  if (out.json) {
    out.jsonLine(view);
    return;
  }
  const instances = view.instances.length;
  out.line(
    `${out.style('bold', `group ${view.consumerGroup}`)} on stream ${view.streamName} (${where}): ` +
      `${view.leases.length} leases, ${view.active} active, ${view.unowned} unowned, ` +
      `${view.expired > 0 ? out.style('red', `${view.expired} expired`) : '0 expired'}; ${instances} instance${instances === 1 ? '' : 's'}`,
  );
  out.line(
    out.style(
      'dim',
      view.observedMs >= view.failoverTimeMs
        ? `watched ${formatDuration(view.observedMs)}: a lease whose counter stood still longer than ${formatDuration(view.failoverTimeMs)} shows as expired`
        : `watched ${formatDuration(view.observedMs)}: expiry shows after ${formatDuration(view.failoverTimeMs)} of watching (--observe or --watch)`,
    ),
  );
  out.line();
  out.table(
    ['SHARD', 'OWNER', 'COUNTER', 'CHECKPOINT', 'ENDED', 'PARENTS', 'PENDING', 'STATE'],
    view.leases.map((row) => [
      row.shardId,
      row.owner ?? '-',
      String(row.leaseCounter),
      formatCheckpoint(row.checkpoint),
      row.ended ? 'yes' : 'no',
      row.parentShardIds.join(',') || '-',
      row.pendingOwner ?? '-',
      stateCell(out, view, row),
    ]),
  );
  if (view.instances.length > 0) {
    out.line();
    out.table(
      ['INSTANCE', 'LEASES', 'EXPIRED', 'HANDOFFS ASKED'],
      view.instances.map((i) => [
        i.owner,
        `${i.leases}/${view.leases.length}`,
        String(i.expired),
        String(i.handoffsPending),
      ]),
    );
  }
}

async function run(context: CommandContext): Promise<number> {
  const { args, values, aws, out, signal, cwd } = context;
  const streamName = args.stream as string;
  const watch = flag(values, 'watch');
  const intervalMs = integerOption(values, 'interval', NAME, 2000, 200);
  const failoverTimeMs = integerOption(values, 'failover-ms', NAME, 10_000, 1);
  const observeMs = integerOption(values, 'observe', NAME, 0, 0);
  const state = await openState(values, streamName, aws, cwd, NAME);
  try {
    const tracker = new LeaseExpiryTracker({ failoverTimeMs });
    const startedAt = Date.now();
    const list = async (): Promise<Lease[]> => {
      const leases = await state.adapter.listLeases(state.scope, { signal });
      tracker.observe(leases);
      return leases;
    };
    const view = (leases: readonly Lease[]): LeaseView =>
      buildLeaseView(state.scope, leases, tracker, Date.now() - startedAt);
    if (watch) {
      await watchLoop(out, intervalMs, signal, async () => {
        const leases = await list().catch((error: unknown) => {
          if (signal.aborted) return null;
          throw error;
        });
        if (leases !== null) printLeaseView(out, view(leases), state.description);
      });
      return ExitCode.OK;
    }
    let leases = await list();
    while (Date.now() - startedAt < observeMs && !signal.aborted) {
      await sleepUnlessAborted(Math.min(intervalMs, observeMs - (Date.now() - startedAt)), signal);
      if (signal.aborted) return ExitCode.INTERRUPTED;
      leases = await list();
    }
    if (leases.length === 0) {
      out.warn(
        `no leases for group "${state.scope.consumerGroup}" on stream "${streamName}" in ${state.description}: ` +
          'check --group and the stream name (a consumer creates the leases at its first shard sync)',
      );
    }
    printLeaseView(out, view(leases), state.description);
    return ExitCode.OK;
  } finally {
    await state.close();
  }
}

/** `leases <stream>`. */
export const leasesCommand: CommandSpec = {
  name: NAME,
  summary: "Show a consumer group's leases: owners, counters, checkpoints, handoffs, expiry, instances",
  positionals: ['stream'],
  options: {
    ...STATE_OPTIONS,
    watch: { type: 'boolean', short: 'w', description: 'Refresh every --interval until Ctrl-C (exit 0)' },
    interval: {
      type: 'string',
      valueName: '<ms>',
      description: 'Refresh / listing interval, ms (default 2000)',
    },
    observe: {
      type: 'string',
      valueName: '<ms>',
      description:
        'Without --watch: keep listing for this long before printing, so expired leases can show (default 0)',
    },
    'failover-ms': {
      type: 'string',
      valueName: '<ms>',
      description: "The group's failoverTimeMs (default 10000, the consumer's default)",
    },
  },
  details: `
A lease looks expired when its counter stood still for longer than --failover-ms while this command
watched (the rule the consumers themselves use; no clocks of other hosts are compared). A single listing
cannot tell: use --observe <ms> (at least the failover time) or --watch.
The command only reads: it never takes, renews or changes a lease.

Examples:
  kinesis-ts leases orders --group billing --table billing-leases
  kinesis-ts leases orders -g billing -t billing-leases --watch --failover-ms 10000
  kinesis-ts leases orders -g billing --state-module ./my-state.js --json`,
  run,
};
