/**
 * Rewinds one shard's checkpoint through the fenced state contract, like a consumer instance would:
 * get the lease (take an unowned or dead one; with `--handoff`, ask a live owner to hand it over),
 * write the checkpoint, release. Never takes a lease from a live owner. Once the CLI holds the lease,
 * the checkpoint and the release run to the end whatever Ctrl-C says: a lease is never left held.
 */
import {
  type Checkpoint,
  type Clock,
  formatCheckpoint,
  type Lease,
  LeaseConflictError,
  LeaseExpiryTracker,
  type LeaseScope,
  type StateAdapter,
} from '@kinesis-ts/core';
import { explainError } from './explain-error.js';
import { formatDuration } from './lease-view.js';
import { ENDED_REASON, type RewindAction, type RewindPlanEntry } from './plan-rewind.js';

/** What happened to one shard. */
export type RewindOutcome =
  /** The checkpoint was written and the lease released. */
  | 'rewound'
  /** `--dry-run`: it would be rewound (nothing was written). */
  | 'would-rewind'
  /** Not written: ended (read to SHARD_END). */
  | 'skipped'
  /** Not written: a live instance holds it (no `--handoff`). */
  | 'refused'
  /** Not written: the owner did not hand it over within `--handoff-timeout-ms`. */
  | 'handoff-timeout'
  /** Not written: Ctrl-C came before the CLI held the lease. */
  | 'interrupted'
  /** An error (the state store failed, the lease disappeared, ...). */
  | 'failed';

/** A lease's owner, counter and checkpoint at one moment. */
export interface LeaseSnapshot {
  readonly owner: string | null;
  readonly leaseCounter: number;
  readonly checkpoint: Checkpoint | null;
}

/** One shard of `rewind`'s report (a `--json` line). */
export interface ShardRewindResult {
  readonly shardId: string;
  /** What the plan said to do with it. */
  readonly action: RewindAction;
  readonly outcome: RewindOutcome;
  readonly dryRun: boolean;
  /** The lease as listed before anything was done. */
  readonly before: LeaseSnapshot;
  /**
   * The lease after the rewind (`rewound`), or as it would be (`would-rewind`: the new checkpoint, the
   * counter as listed); `null` when nothing was written.
   */
  readonly after: LeaseSnapshot | null;
  /** Why it was not rewound (`null` when it was). */
  readonly reason: string | null;
}

/** What {@link rewindShard} works with. */
export interface RewindShardContext {
  readonly adapter: StateAdapter;
  readonly scope: LeaseScope;
  /** The CLI's owner id (takes and handoffs are to it). */
  readonly me: string;
  /** Ask live owners for a handoff instead of refusing. */
  readonly handoff: boolean;
  readonly handoffTimeoutMs: number;
  readonly failoverTimeMs: number;
  /** Delay between two reads of a lease being watched, ms. */
  readonly pollMs: number;
  /** Ctrl-C: stop before writing. */
  readonly signal: AbortSignal;
  /** Measures the watch and the handoff timeout (core's `systemClock` in the CLI). */
  readonly clock: Clock;
  /** Waits `ms` or until `signal` aborts; never rejects. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A progress line (stderr). */
  readonly progress: (text: string) => void;
}

/** The owner, counter and checkpoint of `lease`. */
export function snapshot(lease: Lease): LeaseSnapshot {
  return { owner: lease.owner, leaseCounter: lease.leaseCounter, checkpoint: lease.checkpoint };
}

type Acquired =
  | { readonly held: Lease }
  | { readonly outcome: Exclude<RewindOutcome, 'rewound' | 'would-rewind'>; readonly reason: string };

/** Takes can lose races (an instance took the lease first); past this many, the shard is reported. */
const MAX_LOST_TAKES = 5;
/** Attempts of the release before giving up (each a fenced write: a repeat cannot steal). */
const RELEASE_ATTEMPTS = 3;

async function read(c: RewindShardContext, shardId: string): Promise<Lease> {
  const lease = await c.adapter.getLease(c.scope, shardId);
  if (lease === null) throw new Error(`the lease of ${shardId} disappeared while rewinding`);
  return lease;
}

/** After Ctrl-C or a timeout: a handoff that arrived meanwhile is still finished (never left held). */
async function handedOver(c: RewindShardContext, shardId: string): Promise<Lease | null> {
  const lease = await read(c, shardId);
  return lease.owner === c.me ? lease : null;
}

/** Gets the lease for the CLI, or says why not. Writes only `takeLease` and `requestHandoff`. */
async function acquire(c: RewindShardContext, initial: Lease): Promise<Acquired> {
  const { shardId } = initial;
  const tracker = new LeaseExpiryTracker({ failoverTimeMs: c.failoverTimeMs, clock: c.clock });
  const deadline = c.clock.now() + c.handoffTimeoutMs;
  /** The first owner and counter seen held (the refusal compares with it). */
  let watched: { owner: string; leaseCounter: number } | null = null;
  let requestedFrom: string | null = null;
  let lostTakes = 0;
  let lease = initial;
  for (;;) {
    if (lease.ended) return { outcome: 'skipped', reason: ENDED_REASON };
    if (lease.owner === c.me) return { held: lease };
    tracker.observe([lease]);
    if (lease.owner === null || tracker.isExpired(lease)) {
      if (c.signal.aborted)
        return { outcome: 'interrupted', reason: 'interrupted before anything was written' };
      if (lease.owner !== null) {
        c.progress(
          `${shardId}: the counter of ${lease.owner} stood still for ${formatDuration(c.failoverTimeMs)}: taking the lease as an expired one\n`,
        );
      }
      try {
        return {
          held: await c.adapter.takeLease(
            c.scope,
            shardId,
            { owner: lease.owner, leaseCounter: lease.leaseCounter },
            c.me,
          ),
        };
      } catch (error) {
        if (!(error instanceof LeaseConflictError)) throw error;
        lostTakes += 1;
        if (lostTakes >= MAX_LOST_TAKES) {
          return {
            outcome: 'failed',
            reason: `${shardId} kept changing while rewinding (${lostTakes} takes lost to instances): nothing was written`,
          };
        }
        lease = await read(c, shardId);
        continue;
      }
    }
    if (!c.handoff) {
      if (watched === null) {
        watched = { owner: lease.owner, leaseCounter: lease.leaseCounter };
        c.progress(
          `${shardId} is held by ${lease.owner}: watching its counter for ${formatDuration(c.failoverTimeMs)} to see whether the owner is alive...\n`,
        );
      } else if (watched.owner !== lease.owner || watched.leaseCounter !== lease.leaseCounter) {
        return {
          outcome: 'refused',
          reason:
            `${shardId} is held by a live instance (${lease.owner}, counter ${watched.leaseCounter} -> ${lease.leaseCounter}): ` +
            'the CLI never takes a lease from a live owner. Stop the group (close() releases its leases) or pass --handoff, and run rewind again',
        };
      }
    } else if (lease.pendingOwner === null) {
      // Asked again after the lease changed hands (a take clears the request). A request of another
      // instance (load balancing) is left to complete first: then the new owner is asked.
      if (c.signal.aborted)
        return { outcome: 'interrupted', reason: 'interrupted before anything was written' };
      try {
        lease = await c.adapter.requestHandoff(
          c.scope,
          shardId,
          { owner: lease.owner, leaseCounter: lease.leaseCounter },
          c.me,
        );
        requestedFrom = lease.owner;
        c.progress(`${shardId}: asked ${lease.owner} to hand the lease over...\n`);
      } catch (error) {
        // The owner changed, or another requester's handoff is pending: look again after the pause.
        if (!(error instanceof LeaseConflictError)) throw error;
        lease = await read(c, shardId);
      }
    }
    if (c.handoff && c.clock.now() >= deadline) {
      const late = await handedOver(c, shardId);
      if (late !== null) return { held: late };
      return {
        outcome: 'handoff-timeout',
        reason:
          `${lease.owner} did not hand the lease over within ${formatDuration(c.handoffTimeoutMs)} (--handoff-timeout-ms): nothing was written. ` +
          (lease.pendingOwner !== c.me
            ? `Another instance's handoff (${lease.pendingOwner ?? '-'}) was pending, so the CLI's was not asked. `
            : "The request stays pending: if the owner hands over later, the lease sits unrenewed under the CLI's id and the group takes it after its failoverTimeMs, with the checkpoint the owner wrote (not rewound). ") +
          'Run rewind again',
      };
    }
    await c.sleep(c.pollMs, c.signal);
    if (c.signal.aborted) {
      const late = await handedOver(c, shardId);
      if (late !== null) return { held: late };
      return {
        outcome: 'interrupted',
        reason:
          requestedFrom === null
            ? 'interrupted before anything was written'
            : `interrupted before ${lease.owner ?? 'the owner'} handed the lease over: nothing was written; the request stays pending (if the owner hands over later, the group takes the lease back after its failoverTimeMs, not rewound)`,
      };
    }
    lease = await read(c, shardId);
  }
}

/**
 * Checkpoints `position` on a lease the CLI holds and releases it (unowned). The release is attempted
 * even when the checkpoint failed, and repeated on errors other than a lost fence (a fenced write
 * cannot steal, so repeating it is safe).
 * @throws Error saying what was and was not written.
 */
async function finish(c: RewindShardContext, held: Lease, position: Checkpoint): Promise<Lease> {
  const { shardId } = held;
  let fence = { owner: c.me, leaseCounter: held.leaseCounter };
  let checkpointError: unknown = null;
  try {
    const written = await c.adapter.checkpoint(c.scope, shardId, fence, position);
    fence = { owner: c.me, leaseCounter: written.leaseCounter };
  } catch (error) {
    checkpointError = error;
  }
  let releaseError: unknown = null;
  for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt++) {
    try {
      const released = await c.adapter.releaseLease(c.scope, shardId, fence);
      if (checkpointError === null) return released;
      break;
    } catch (error) {
      releaseError = error;
      if (error instanceof LeaseConflictError) break;
    }
  }
  const checkpointPart =
    checkpointError === null
      ? `the checkpoint ${formatCheckpoint(position)} was written`
      : `the checkpoint could not be written (${explainError(checkpointError).message})`;
  const releasePart =
    releaseError === null
      ? 'the lease was released unchanged'
      : `the release failed (${explainError(releaseError).message}): the lease stays under ${c.me}, unrenewed, until the group takes it after its failoverTimeMs`;
  throw new Error(`${checkpointPart}; ${releasePart}`);
}

/**
 * Rewinds one planned lease to `position` (not for a dry run: nothing here only reads). Resolves with
 * the shard's result; never rejects (a failure is the `failed` outcome with its reason).
 */
export async function rewindShard(
  c: RewindShardContext,
  entry: RewindPlanEntry,
  position: Checkpoint,
): Promise<ShardRewindResult> {
  const base = { shardId: entry.shardId, action: entry.action, dryRun: false, before: snapshot(entry.lease) };
  if (entry.action === 'skip-ended') {
    return { ...base, outcome: 'skipped', after: null, reason: entry.reason ?? ENDED_REASON };
  }
  let acquired: Acquired;
  try {
    acquired = await acquire(c, entry.lease);
  } catch (error) {
    return { ...base, outcome: 'failed', after: null, reason: explainError(error).message };
  }
  if (!('held' in acquired))
    return { ...base, outcome: acquired.outcome, after: null, reason: acquired.reason };
  try {
    const released = await finish(c, acquired.held, position);
    return { ...base, outcome: 'rewound', after: snapshot(released), reason: null };
  } catch (error) {
    return {
      ...base,
      outcome: 'failed',
      after: null,
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}
