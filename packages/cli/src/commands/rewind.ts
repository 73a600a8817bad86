/**
 * `rewind <stream> (--shard S | --all) (--to trim-horizon|latest|<time> | --after SEQ[/SUB])`: moves a
 * consumer group's checkpoints through the fenced contract (take, checkpoint, release), never under a
 * live owner: it refuses, or with `--handoff` asks the owner to hand the lease over.
 */
import { hostname } from 'node:os';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type Checkpoint,
  formatCheckpoint,
  isKinesisTsError,
  type Lease,
  systemClock,
} from '@kinesis-ts/core';
import { createKinesis } from '../aws-settings.js';
import { ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import type { Output } from '../output.js';
import { planRewind, type RewindPlanEntry } from '../plan-rewind.js';
import { parseRewindOptions, type RewindOptions } from '../rewind-options.js';
import { type RewindShardContext, rewindShard, type ShardRewindResult, snapshot } from '../rewind-shard.js';
import { userRecordCount } from '../shard-lag.js';
import { type OpenState, openState, STATE_OPTIONS } from '../state-source.js';
import { forStream } from '../stream-errors.js';
import { sleepUnlessAborted } from '../watch-loop.js';

const NAME = 'rewind';
/** Shards rewound at once (each waits on its own lease: an owner's handoff, a dead owner's expiry). */
const SHARD_CONCURRENCY = 16;
/** Delay between two reads of a lease being watched or handed over, ms. */
const POLL_MS = 250;

/** What `rewind` did (or, with `--dry-run`, would do) to one shard: one `--json` line. */
export type RewindResult = ShardRewindResult;

/** A position the command cannot use (exit 1, nothing written). */
class RewindRefused extends Error {}

/**
 * The checkpoint that makes the group resume strictly after record `sequenceNumber[/sub]` of `shardId`:
 * the record must be in the shard (read once), and `/sub` inside its aggregate.
 * @throws RewindRefused when it is not.
 */
async function recordCheckpoint(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  target: { readonly sequenceNumber: string; readonly subSequenceNumber: number | null },
): Promise<Checkpoint> {
  // Kinesis rejects a sequence number of another shard, and the first record read at it must be it
  // (else it was trimmed, or never existed).
  const iterator = await forStream(kinesis, streamName, () =>
    kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: target.sequenceNumber,
      }),
    ),
  ).catch((error: unknown) => {
    if (isKinesisTsError(error)) throw error;
    throw new RewindRefused(
      `${target.sequenceNumber} is not a sequence number of ${shardId}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const first = (
    await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1 }))
  ).Records?.[0];
  if (first?.SequenceNumber !== target.sequenceNumber) {
    throw new RewindRefused(
      `record ${target.sequenceNumber} is not in ${shardId} (trimmed after the retention period, or never written there)`,
    );
  }
  // Without /sub: after the whole Kinesis record, i.e. after the last user record of its aggregate.
  const users = userRecordCount(first, shardId);
  if (target.subSequenceNumber !== null && target.subSequenceNumber >= users) {
    throw new RewindRefused(
      `record ${target.sequenceNumber} holds ${users} user record(s): /${target.subSequenceNumber} is past its end`,
    );
  }
  return { sequenceNumber: target.sequenceNumber, subSequenceNumber: target.subSequenceNumber ?? users - 1 };
}

/** The position every selected shard moves to. */
async function resolvePosition(
  options: RewindOptions,
  context: CommandContext,
  streamName: string,
  entries: readonly RewindPlanEntry[],
): Promise<Checkpoint> {
  const { target } = options;
  if (target.type === 'POSITION') return target.checkpoint;
  const entry = entries[0] as RewindPlanEntry;
  if (entry.action === 'skip-ended') {
    // Nothing is written to an ended shard: no need to find the record.
    return { sequenceNumber: target.sequenceNumber, subSequenceNumber: target.subSequenceNumber ?? 0 };
  }
  const kinesis = createKinesis(context.aws);
  try {
    return await recordCheckpoint(kinesis, streamName, entry.shardId, target);
  } finally {
    kinesis.destroy();
  }
}

/** What a dry run reports for one shard: the plan, with the position it would write. */
function dryRunResult(entry: RewindPlanEntry, position: Checkpoint): ShardRewindResult {
  const before = snapshot(entry.lease);
  if (entry.action === 'skip-ended') {
    return {
      shardId: entry.shardId,
      action: entry.action,
      outcome: 'skipped',
      dryRun: true,
      before,
      after: null,
      reason: entry.reason ?? null,
    };
  }
  return {
    shardId: entry.shardId,
    action: entry.action,
    outcome: 'would-rewind',
    dryRun: true,
    before,
    after: { ...before, checkpoint: position },
    reason: null,
  };
}

/** Runs `task` on every item, at most `limit` at once; results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const ACTION_TEXT: Record<ShardRewindResult['action'], string> = {
  'skip-ended': 'skip (ended)',
  'write-now': 'write (unowned)',
  watch: 'watch owner',
  handoff: 'ask handoff',
};

function printResults(
  out: Output,
  results: readonly ShardRewindResult[],
  streamName: string,
  group: string,
): void {
  if (out.json) {
    for (const result of results) out.jsonLine(result);
    return;
  }
  const dryRun = results[0]?.dryRun === true;
  out.table(
    [
      'SHARD',
      'OWNER',
      'COUNTER',
      'CHECKPOINT BEFORE',
      dryRun ? 'CHECKPOINT AFTER (dry run)' : 'CHECKPOINT AFTER',
      'ACTION',
      'OUTCOME',
    ],
    results.map((r) => [
      r.shardId,
      r.before.owner ?? '-',
      String(r.before.leaseCounter),
      formatCheckpoint(r.before.checkpoint),
      r.after === null ? '-' : formatCheckpoint(r.after.checkpoint),
      ACTION_TEXT[r.action],
      r.outcome === 'rewound' || r.outcome === 'would-rewind'
        ? out.style('green', r.outcome)
        : r.outcome === 'skipped'
          ? r.outcome
          : out.style('red', r.outcome),
    ]),
  );
  for (const r of results) {
    if (r.outcome === 'skipped') out.line(`${r.shardId}: skipped: ${r.reason ?? ''}`);
  }
  const done = results.filter((r) => r.outcome === 'rewound' || r.outcome === 'would-rewind').length;
  const selected = results.filter((r) => r.action !== 'skip-ended').length;
  out.line(
    dryRun
      ? `dry run: nothing was written (${done} of ${selected} shards would be rewound; held ones only if their owner hands over or is dead)`
      : `group ${group} on ${streamName}: ${done} of ${selected} shards rewound; an instance that takes a rewound lease reads from its new checkpoint`,
  );
}

async function run(context: CommandContext): Promise<number> {
  const { args, values, aws, out, cwd, signal } = context;
  const streamName = args.stream as string;
  // Every usage error before anything is read.
  const options = parseRewindOptions(values, Date.now());
  const state: OpenState = await openState(values, streamName, aws, cwd, NAME);
  try {
    const { selection } = options;
    let leases: Lease[];
    if (selection.type === 'shard') {
      const lease = await state.adapter.getLease(state.scope, selection.shardId);
      leases = lease === null ? [] : [lease];
    } else {
      leases = await state.adapter.listLeases(state.scope, { signal });
    }
    const plan = planRewind(leases, selection, options.handoff);
    if (!plan.ok) {
      out.error(
        `${plan.reason} (group "${state.scope.consumerGroup}", stream "${streamName}", ${state.description})`,
      );
      return ExitCode.FAILURE;
    }
    const position = await resolvePosition(options, context, streamName, plan.entries);
    let results: ShardRewindResult[];
    if (options.dryRun) {
      results = plan.entries.map((entry) => dryRunResult(entry, position));
    } else {
      const shardContext: RewindShardContext = {
        adapter: state.adapter,
        scope: state.scope,
        me: `kinesis-ts-cli-${hostname()}-${process.pid}`,
        handoff: options.handoff,
        handoffTimeoutMs: options.handoffTimeoutMs,
        failoverTimeMs: options.failoverTimeMs,
        pollMs: Math.min(POLL_MS, options.failoverTimeMs),
        signal,
        clock: systemClock,
        sleep: sleepUnlessAborted,
        progress: (text) => out.progress(text),
      };
      results = await mapBounded(plan.entries, SHARD_CONCURRENCY, (entry) =>
        rewindShard(shardContext, entry, position),
      );
    }
    printResults(out, results, streamName, state.scope.consumerGroup);
    for (const r of results) {
      if (r.outcome !== 'rewound' && r.outcome !== 'would-rewind' && r.outcome !== 'skipped') {
        out.error(`${r.shardId}: ${r.outcome}: ${r.reason ?? ''}`);
      }
    }
    const rewound = results.filter((r) => r.outcome === 'rewound' || r.outcome === 'would-rewind').length;
    const selected = results.filter((r) => r.action !== 'skip-ended').length;
    if (rewound === selected && rewound > 0) return ExitCode.OK;
    if (selected === 0) out.error('nothing to rewind: every selected shard is ended');
    if (results.some((r) => r.outcome === 'interrupted')) {
      const done = results.filter((r) => r.outcome === 'rewound').map((r) => r.shardId);
      out.error(
        `interrupted: rewound ${done.length === 0 ? 'no shard' : done.join(', ')}; the others were not written`,
      );
      return ExitCode.INTERRUPTED;
    }
    return ExitCode.FAILURE;
  } catch (error) {
    if (error instanceof RewindRefused) {
      out.error(error.message);
      return ExitCode.FAILURE;
    }
    throw error;
  } finally {
    await state.close();
  }
}

/** `rewind <stream>`. */
export const rewindCommand: CommandSpec = {
  name: NAME,
  summary:
    "Move a consumer group's checkpoints to TRIM_HORIZON, LATEST, a time or a record (safe: never under a live owner)",
  positionals: ['stream'],
  options: {
    ...STATE_OPTIONS,
    to: {
      type: 'string',
      valueName: '<position>',
      description:
        'Where the group resumes: trim-horizon (oldest record kept), latest (records put from then on), or a time (ISO 8601 or epoch ms, not in the future)',
    },
    after: {
      type: 'string',
      valueName: '<seq[/sub]>',
      description:
        'Instead of --to: the group resumes strictly after this record (as `tail --after`); needs --shard',
    },
    shard: {
      type: 'string',
      valueName: '<shardId>',
      description: 'Rewind this shard only',
    },
    all: { type: 'boolean', description: 'Rewind every lease of the group (ended ones are skipped)' },
    'dry-run': {
      type: 'boolean',
      description: 'Print the checkpoints before and after for every shard; write nothing',
    },
    handoff: {
      type: 'boolean',
      description: 'Ask live owners to hand their leases over (gracefully) instead of refusing',
    },
    'handoff-timeout-ms': {
      type: 'string',
      valueName: '<ms>',
      description: 'With --handoff: how long to wait for each owner, ms (default 30000)',
    },
    'failover-ms': {
      type: 'string',
      valueName: '<ms>',
      description:
        "The group's failoverTimeMs (default 10000): how long a held lease's counter must stand still before its owner counts as dead",
    },
  },
  details: `
Target: exactly one of --to trim-horizon|latest|<time> or --after <seq[/sub]> (with --shard). Scope:
exactly one of --shard <id> or --all, so nothing is rewound by accident. TRIM_HORIZON, LATEST and a time
are stored as checkpoint positions (core's TRIM_HORIZON_CHECKPOINT, LATEST_CHECKPOINT,
AT_TIMESTAMP:<epoch ms>): the instance that takes the lease reads from there, and its first record
checkpoint replaces them. LATEST means the records put after that instance starts reading the shard.
These positions need every instance of the group on @kinesis-ts/consumer 0.2.0 or later (older ones
fail on them): upgrade the group before using --to.

Safety: every write goes through the fenced state contract, like a consumer's: take the lease
(conditional on the owner and counter seen), checkpoint, release (unowned, so any instance takes it and
reads from the new position). An ended shard (read to SHARD_END) is listed as skipped, never written.
  - Unowned lease (the group is stopped: close() releases leases): rewound at once.
  - Held lease, default: its counter is watched for --failover-ms; if it moves, the owner is alive and
    the shard is refused (nothing written); if it stands still (the owner died), the lease is taken as
    any instance would take an expired one. There is no --force.
  - Held lease with --handoff: the owner is asked for a graceful handoff to the CLI (the consumer
    finishes its batch, checkpoints it and hands the lease over on its next renewal, within about
    failoverTimeMs / 3); the CLI then writes the checkpoint and releases. A dead owner is taken as above.
    If an owner does not hand over within --handoff-timeout-ms, that shard is reported (nothing written,
    exit 1). Its request stays pending: if the owner hands over later, the lease sits unrenewed under the
    CLI's id and the group takes it after its failoverTimeMs, with the checkpoint the owner wrote (the
    shard is not rewound). Run rewind again.
Ctrl-C stops before the next write: a lease the CLI already holds is still checkpointed and released,
never left held; the table says which shards were rewound (exit 130). A second Ctrl-C exits at once.
Exit 0 only when every selected shard that is not ended was rewound (with --dry-run: planned).

--json: one line per shard: shardId, action (skip-ended, write-now, watch, handoff), outcome (rewound,
would-rewind, skipped, refused, handoff-timeout, interrupted, failed), dryRun, before and after
({ owner, leaseCounter, checkpoint }; after is null when nothing was written), reason (null when rewound).

Examples:
  kinesis-ts rewind orders -g billing -t billing-leases --all --to trim-horizon --dry-run
  kinesis-ts rewind orders -g billing -t billing-leases --all --to 2026-11-29T17:00:00Z --handoff
  kinesis-ts rewind orders -g billing -t billing-leases --shard shardId-000000000001 --to latest
  kinesis-ts rewind orders -g billing -t billing-leases --shard shardId-000000000001 --after 4959...898/3`,
  run,
};
