/**
 * `lag <stream>`: per shard, how far the group's checkpoint is behind the tip, and per instance the
 * worst of its shards.
 */
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { formatCheckpoint, isRecordCheckpoint, type Lease } from '@kinesis-ts/core';
import { createKinesis } from '../aws-settings.js';
import { ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import { explainError } from '../explain-error.js';
import { formatDuration } from '../lease-view.js';
import { flag, integerOption } from '../option-values.js';
import type { Output } from '../output.js';
import { type LagProbeApi, probeShardLag } from '../shard-lag.js';
import { openState, STATE_OPTIONS } from '../state-source.js';
import { forStream } from '../stream-errors.js';
import { watchLoop } from '../watch-loop.js';

const NAME = 'lag';
/** Shards probed at once. */
const PROBE_CONCURRENCY = 8;

/** One shard of the lag report. */
export interface LagRow {
  readonly shardId: string;
  readonly owner: string | null;
  readonly checkpoint: { readonly sequenceNumber: string; readonly subSequenceNumber: number } | null;
  /**
   * `ended`: read to its end; `no-checkpoint`: nothing checkpointed yet; `rewound`: the checkpoint is a
   * position set by `rewind --to` (TRIM_HORIZON, LATEST, AT_TIMESTAMP) that no instance has read from
   * yet (the figures are of a read at that position; LATEST: nothing unread); `error`: the probe failed.
   */
  readonly status:
    | 'caught-up'
    | 'behind'
    | 'ended'
    | 'no-checkpoint'
    | 'rewound'
    | 'checkpoint-trimmed'
    | 'error';
  readonly millisBehindLatest: number | null;
  /** Age of the oldest record after the checkpoint, ms (`0` when caught up, `null` when unknown). */
  readonly oldestUnreadAgeMs: number | null;
  readonly checkpointArrival: string | null;
  readonly error?: string;
}

/** One instance of the lag report. */
export interface LagInstance {
  readonly owner: string;
  readonly shards: number;
  readonly maxMillisBehindLatest: number | null;
  readonly maxOldestUnreadAgeMs: number | null;
}

/** The whole lag report. */
export interface LagReport {
  readonly consumerGroup: string;
  readonly streamName: string;
  readonly shards: readonly LagRow[];
  readonly instances: readonly LagInstance[];
  /** True when every shard with a checkpoint is caught up (or ended). */
  readonly caughtUp: boolean;
}

async function lagRow(
  api: LagProbeApi,
  streamName: string,
  lease: Lease,
  now: () => number,
): Promise<LagRow> {
  const base = { shardId: lease.shardId, owner: lease.owner, checkpoint: lease.checkpoint };
  if (lease.ended) {
    return { ...base, status: 'ended', millisBehindLatest: 0, oldestUnreadAgeMs: 0, checkpointArrival: null };
  }
  if (lease.checkpoint === null) {
    return {
      ...base,
      status: 'no-checkpoint',
      millisBehindLatest: null,
      oldestUnreadAgeMs: null,
      checkpointArrival: null,
    };
  }
  try {
    const lag = await probeShardLag(api, streamName, lease.shardId, lease.checkpoint);
    return {
      ...base,
      status: !isRecordCheckpoint(lease.checkpoint)
        ? 'rewound'
        : lag.checkpointTrimmed
          ? 'checkpoint-trimmed'
          : lag.caughtUp
            ? 'caught-up'
            : 'behind',
      millisBehindLatest: lag.millisBehindLatest,
      oldestUnreadAgeMs:
        lag.oldestUnreadArrival === null ? 0 : Math.max(0, now() - lag.oldestUnreadArrival.getTime()),
      checkpointArrival: lag.checkpointArrival?.toISOString() ?? null,
    };
  } catch (error) {
    return {
      ...base,
      status: 'error',
      millisBehindLatest: null,
      oldestUnreadAgeMs: null,
      checkpointArrival: null,
      error: explainError(error).message,
    };
  }
}

function max(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/** Groups shard rows by owner. */
export function lagInstances(rows: readonly LagRow[]): LagInstance[] {
  const byOwner = new Map<string, LagRow[]>();
  for (const row of rows) {
    if (row.owner === null) continue;
    byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
  }
  return [...byOwner.entries()]
    .map(([owner, owned]) => ({
      owner,
      shards: owned.length,
      maxMillisBehindLatest: max(owned.map((r) => r.millisBehindLatest)),
      maxOldestUnreadAgeMs: max(owned.map((r) => r.oldestUnreadAgeMs)),
    }))
    .sort((a, b) => a.owner.localeCompare(b.owner));
}

function printLag(out: Output, report: LagReport): void {
  if (out.json) {
    out.jsonLine(report);
    return;
  }
  const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));
  out.line(
    `${out.style('bold', `group ${report.consumerGroup}`)} on stream ${report.streamName}: ` +
      (report.caughtUp ? out.style('green', 'caught up') : out.style('yellow', 'behind')),
  );
  out.line();
  out.table(
    [
      'SHARD',
      'OWNER',
      'STATUS',
      'BEHIND LATEST',
      'OLDEST UNREAD',
      'CHECKPOINTED RECORD ARRIVED',
      'CHECKPOINT',
    ],
    report.shards.map((row) => [
      row.shardId,
      row.owner ?? '-',
      row.status === 'error'
        ? out.style('red', `error: ${row.error ?? ''}`)
        : row.status === 'behind' || row.status === 'checkpoint-trimmed'
          ? out.style('yellow', row.status)
          : row.status === 'rewound'
            ? out.style('yellow', `rewound to ${formatCheckpoint(row.checkpoint)}`)
            : row.status,
      ms(row.millisBehindLatest),
      ms(row.oldestUnreadAgeMs),
      row.checkpointArrival ?? '-',
      formatCheckpoint(row.checkpoint),
    ]),
  );
  if (report.instances.length > 0) {
    out.line();
    out.table(
      ['INSTANCE', 'SHARDS', 'MAX BEHIND LATEST', 'MAX OLDEST UNREAD'],
      report.instances.map((i) => [
        i.owner,
        String(i.shards),
        ms(i.maxMillisBehindLatest),
        ms(i.maxOldestUnreadAgeMs),
      ]),
    );
  }
}

async function run({ args, values, aws, out, signal, cwd }: CommandContext): Promise<number> {
  const streamName = args.stream as string;
  const watch = flag(values, 'watch');
  const intervalMs = integerOption(values, 'interval', NAME, 5000, 1000);
  const state = await openState(values, streamName, aws, cwd, NAME);
  const client = createKinesis(aws);
  const api: LagProbeApi = {
    getShardIterator: (input) =>
      forStream(client, streamName, () =>
        client.send(new GetShardIteratorCommand(input), { abortSignal: signal }),
      ),
    getRecords: (input) => client.send(new GetRecordsCommand(input), { abortSignal: signal }),
  };
  const report = async (): Promise<LagReport> => {
    const leases = (await state.adapter.listLeases(state.scope, { signal })).sort((a, b) =>
      a.shardId.localeCompare(b.shardId, 'en', { numeric: true }),
    );
    const rows: LagRow[] = new Array(leases.length);
    let next = 0;
    const worker = async () => {
      while (next < leases.length) {
        const i = next++;
        rows[i] = await lagRow(api, streamName, leases[i] as Lease, Date.now);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, leases.length) }, worker));
    return {
      consumerGroup: state.scope.consumerGroup,
      streamName,
      shards: rows,
      instances: lagInstances(rows),
      caughtUp: rows.every(
        (r) =>
          r.status === 'caught-up' ||
          r.status === 'ended' ||
          r.status === 'no-checkpoint' ||
          (r.status === 'rewound' && r.oldestUnreadAgeMs === 0),
      ),
    };
  };
  try {
    if (watch) {
      await watchLoop(out, intervalMs, signal, async () => {
        const current = await report().catch((error: unknown) => {
          if (signal.aborted) return null;
          throw error;
        });
        if (current !== null) printLag(out, current);
      });
      return ExitCode.OK;
    }
    const current = await report();
    if (current.shards.length === 0) {
      out.warn(
        `no leases for group "${state.scope.consumerGroup}" on stream "${streamName}" in ${state.description}: check --group and the stream name`,
      );
    }
    printLag(out, current);
    return current.shards.some((r) => r.status === 'error') ? ExitCode.FAILURE : ExitCode.OK;
  } finally {
    client.destroy();
    await state.close();
  }
}

/** `lag <stream>`. */
export const lagCommand: CommandSpec = {
  name: NAME,
  summary: "Show how far a consumer group's checkpoints are behind, per shard and per instance",
  positionals: ['stream'],
  options: {
    ...STATE_OPTIONS,
    watch: { type: 'boolean', short: 'w', description: 'Refresh every --interval until Ctrl-C (exit 0)' },
    interval: {
      type: 'string',
      valueName: '<ms>',
      description: 'Refresh interval, ms (default 5000, at least 1000)',
    },
  },
  details: `
Per shard one read at the checkpointed record (GetShardIterator + GetRecords, Limit 2) gives:
  BEHIND LATEST      MillisBehindLatest of that read (how far the checkpoint is from the tip)
  OLDEST UNREAD      age of the first record after the checkpoint (0 when caught up)
  CHECKPOINTED RECORD ARRIVED   when Kinesis accepted the checkpointed record
A checkpoint inside a KPL aggregate with user records after it counts as behind. A shard without a
checkpoint shows no-checkpoint (its consumer starts at its initialPosition). A checkpoint set by
\`rewind --to\` that no instance has read from yet shows "rewound to TRIM_HORIZON" (or LATEST, or
AT_TIMESTAMP <time>): read at that position, OLDEST UNREAD is the first record there; LATEST has nothing
unread (0). The group counts as caught up only when such shards have nothing unread. Exit 1 when a probe failed.
Note: the emulator kinesalite always reports MillisBehindLatest 0 for open shards; OLDEST UNREAD does not
depend on it. The command only reads: no lease or checkpoint is touched.

Examples:
  kinesis-ts lag orders --group billing --table billing-leases
  kinesis-ts lag orders -g billing -t billing-leases --watch`,
  run,
};
