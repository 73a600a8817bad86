/**
 * `rewind <stream> --shard S --after SEQ[/SUB]`: moves one shard's checkpoint of a consumer group to a
 * record, through the fenced contract (take, checkpoint, release), never under a live owner.
 */
import { hostname } from 'node:os';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import {
  type Checkpoint,
  isKinesisTsError,
  type Lease,
  LeaseConflictError,
  LeaseExpiryTracker,
} from '@kinesis-ts/core';
import { createKinesis } from '../aws-settings.js';
import { ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import { formatCheckpoint, formatDuration } from '../lease-view.js';
import { flag, integerOption, requiredString } from '../option-values.js';
import type { Output } from '../output.js';
import { userRecordCount } from '../shard-lag.js';
import { openState, STATE_OPTIONS } from '../state-source.js';
import { forStream } from '../stream-errors.js';
import { sleepUnlessAborted } from '../watch-loop.js';
import { parseAfter } from './tail.js';

const NAME = 'rewind';

/** What `rewind` did (or, with `--dry-run`, would do). */
export interface RewindResult {
  readonly shardId: string;
  readonly dryRun: boolean;
  readonly before: {
    readonly owner: string | null;
    readonly leaseCounter: number;
    readonly checkpoint: Checkpoint | null;
  };
  readonly after: {
    readonly owner: string | null;
    readonly leaseCounter: number;
    readonly checkpoint: Checkpoint;
  };
}

/** Why a rewind was refused (exit 1, nothing written). */
class RewindRefused extends Error {}

function printResult(out: Output, result: RewindResult): void {
  if (out.json) {
    out.jsonLine(result);
    return;
  }
  out.table(
    ['', 'OWNER', 'COUNTER', 'CHECKPOINT'],
    [
      [
        'before',
        result.before.owner ?? '-',
        String(result.before.leaseCounter),
        formatCheckpoint(result.before.checkpoint),
      ],
      [
        result.dryRun ? 'after (dry run)' : 'after',
        result.after.owner ?? '-',
        result.dryRun ? '-' : String(result.after.leaseCounter),
        formatCheckpoint(result.after.checkpoint),
      ],
    ],
  );
  out.line(
    result.dryRun
      ? 'dry run: nothing was written'
      : `${result.shardId}: the group resumes strictly after ${formatCheckpoint(result.after.checkpoint)} when an instance takes the lease`,
  );
}

/**
 * Waits until `lease` can be taken without stealing: unowned, or its counter stood still for
 * `failoverTimeMs` as this command watched. Resolves with the lease as last seen.
 * @throws RewindRefused when its owner is alive (the counter moved).
 */
async function waitUntilAvailable(
  context: CommandContext,
  read: () => Promise<Lease | null>,
  lease: Lease,
  failoverTimeMs: number,
): Promise<Lease> {
  if (lease.owner === null) return lease;
  const { out, signal } = context;
  const tracker = new LeaseExpiryTracker({ failoverTimeMs });
  tracker.observe([lease]);
  out.progress(
    `${lease.shardId} is held by ${lease.owner}: watching its counter for ${formatDuration(failoverTimeMs)} to see whether the owner is alive...\n`,
  );
  let current = lease;
  while (!tracker.isExpired(current)) {
    await sleepUnlessAborted(Math.min(500, failoverTimeMs), signal);
    if (signal.aborted) throw new RewindRefused('interrupted before anything was written');
    const seen = await read();
    if (seen === null) throw new RewindRefused(`the lease of ${lease.shardId} disappeared while watching`);
    if (seen.owner !== current.owner || seen.leaseCounter !== current.leaseCounter) {
      throw new RewindRefused(
        `${lease.shardId} is held by a live instance (${seen.owner ?? 'released'}, counter ${current.leaseCounter} -> ${seen.leaseCounter}): ` +
          'the CLI never takes a lease from a live owner. Stop the group (close() releases its leases) and run rewind again',
      );
    }
    tracker.observe([seen]);
    current = seen;
  }
  return current;
}

async function run(context: CommandContext): Promise<number> {
  const { args, values, aws, out, cwd } = context;
  const streamName = args.stream as string;
  const shardId = requiredString(values, 'shard', NAME, 'a checkpoint belongs to one shard');
  const target = parseAfter(
    requiredString(values, 'after', NAME, 'the record after which the group resumes'),
    NAME,
  );
  const dryRun = flag(values, 'dry-run');
  const failoverTimeMs = integerOption(values, 'failover-ms', NAME, 10_000, 1);
  const state = await openState(values, streamName, aws, cwd, NAME);
  const kinesis = createKinesis(aws);
  try {
    const read = () => state.adapter.getLease(state.scope, shardId);
    const lease = await read();
    if (lease === null) {
      throw new RewindRefused(
        `group "${state.scope.consumerGroup}" has no lease for ${shardId} of "${streamName}" in ${state.description}: check --group, the stream and the shard (consumers create leases at their shard sync)`,
      );
    }
    if (lease.ended) {
      throw new RewindRefused(
        `${shardId} was read to its end and its children went on from there: rewinding it would not make the group read it again`,
      );
    }
    // The record must be in this shard: Kinesis rejects a sequence number of another shard, and the
    // first record read at it must be it (else it was trimmed, or never existed).
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
    const position: Checkpoint = {
      sequenceNumber: target.sequenceNumber,
      subSequenceNumber: target.subSequenceNumber ?? users - 1,
    };
    const before = { owner: lease.owner, leaseCounter: lease.leaseCounter, checkpoint: lease.checkpoint };
    if (dryRun) {
      printResult(out, {
        shardId,
        dryRun,
        before,
        after: { owner: lease.owner, leaseCounter: lease.leaseCounter, checkpoint: position },
      });
      return ExitCode.OK;
    }
    const available = await waitUntilAvailable(context, read, lease, failoverTimeMs);
    if (context.signal.aborted) throw new RewindRefused('interrupted before anything was written');
    // From here on the three writes run to the end whatever Ctrl-C says: nothing is left half-done.
    const me = `kinesis-ts-cli-${hostname()}-${process.pid}`;
    let held: Lease;
    try {
      held = await state.adapter.takeLease(
        state.scope,
        shardId,
        { owner: available.owner, leaseCounter: available.leaseCounter },
        me,
      );
    } catch (error) {
      if (error instanceof LeaseConflictError) {
        throw new RewindRefused(
          `${shardId} changed while rewinding (an instance took or renewed it): nothing was written; run rewind again once the group is stopped`,
        );
      }
      throw error;
    }
    let checkpointed: Lease;
    try {
      checkpointed = await state.adapter.checkpoint(
        state.scope,
        shardId,
        { owner: me, leaseCounter: held.leaseCounter },
        position,
      );
    } catch (error) {
      // Give the lease back as it was taken; the checkpoint was not written.
      await state.adapter
        .releaseLease(state.scope, shardId, { owner: me, leaseCounter: held.leaseCounter })
        .catch(() => {});
      throw error;
    }
    const released = await state.adapter.releaseLease(state.scope, shardId, {
      owner: me,
      leaseCounter: checkpointed.leaseCounter,
    });
    printResult(out, {
      shardId,
      dryRun,
      before,
      after: {
        owner: released.owner,
        leaseCounter: released.leaseCounter,
        checkpoint: released.checkpoint ?? position,
      },
    });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof RewindRefused) {
      out.error(error.message);
      return ExitCode.FAILURE;
    }
    throw error;
  } finally {
    kinesis.destroy();
    await state.close();
  }
}

/** `rewind <stream>`. */
export const rewindCommand: CommandSpec = {
  name: NAME,
  summary: "Move one shard's checkpoint of a consumer group to a record (safe: never under a live owner)",
  positionals: ['stream'],
  options: {
    ...STATE_OPTIONS,
    shard: {
      type: 'string',
      valueName: '<shardId>',
      description: 'The shard whose checkpoint to move (required)',
    },
    after: {
      type: 'string',
      valueName: '<seq[/sub]>',
      description: 'The group resumes strictly after this record (as `tail --after` prints from); required',
    },
    'dry-run': { type: 'boolean', description: 'Print the checkpoint before and after; write nothing' },
    'failover-ms': {
      type: 'string',
      valueName: '<ms>',
      description:
        "The group's failoverTimeMs (default 10000): how long a held lease is watched before it counts as abandoned",
    },
  },
  details: `
Safety: the checkpoint is written through the fenced state contract, like a consumer would: take the
lease (conditional on the owner and counter seen), checkpoint, release. An unowned lease (the group is
stopped: close() releases leases) is rewound at once. A held lease is watched for --failover-ms: if its
counter moves, the owner is alive and the command refuses (exit 1, nothing written); if it stands still
(the owner died), the lease is taken as any instance would take an expired one. There is no --force:
stop the group first. Once the lease is taken, Ctrl-C does not stop the checkpoint and release.
An ended shard (read to SHARD_END) is refused: its children already went on.
Only record positions: resuming from TRIM_HORIZON, LATEST or a timestamp needs positions the state
contract does not store yet. Find a record with tail, e.g. the last one before a time:
  kinesis-ts tail orders --shard shardId-000000000001 --at 2026-11-29T17:00:00Z --max 1 --json

Examples:
  kinesis-ts rewind orders -g billing -t billing-leases --shard shardId-000000000001 --after 4959...898 --dry-run
  kinesis-ts rewind orders -g billing -t billing-leases --shard shardId-000000000001 --after 4959...898/3`,
  run,
};
