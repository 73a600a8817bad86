/**
 * What `rewind` does with each lease it selected, decided from the leases as listed (pure: no I/O).
 * Ended leases are skipped; unowned ones are written at once; held ones are watched (refused unless
 * their owner turns out dead) or, with `--handoff`, asked to be handed over.
 */
import type { Lease } from '@kinesis-ts/core';
import type { RewindSelection } from './rewind-options.js';

/** What to do with one lease. */
export type RewindAction =
  /** Read to SHARD_END: its children went on from there; never written. */
  | 'skip-ended'
  /** Nobody holds it: take, checkpoint, release now. */
  | 'write-now'
  /** Held: watch its counter; refuse if it moves (a live owner), take it if it stands still. */
  | 'watch'
  /** Held: ask the owner for a graceful handoff to the CLI (taking it if the owner turns out dead). */
  | 'handoff';

/** One lease and what to do with it. */
export interface RewindPlanEntry {
  readonly shardId: string;
  readonly action: RewindAction;
  /** The lease as listed. */
  readonly lease: Lease;
  /** Why, for `skip-ended` (printed). */
  readonly reason?: string;
}

/** The plan, or why there is nothing to plan. */
export type RewindPlan =
  | { readonly ok: true; readonly entries: readonly RewindPlanEntry[] }
  | { readonly ok: false; readonly reason: string };

/** The reason printed for an ended lease. */
export const ENDED_REASON =
  'read to its end (SHARD_END): its child shards went on from there, so rewinding it would not make the group read it again';

function shardOrder(a: Lease, b: Lease): number {
  return a.shardId.localeCompare(b.shardId, 'en', { numeric: true });
}

/** The action for one lease. */
export function rewindAction(lease: Lease, handoff: boolean): RewindAction {
  if (lease.ended) return 'skip-ended';
  if (lease.owner === null) return 'write-now';
  return handoff ? 'handoff' : 'watch';
}

/**
 * Plans a rewind of `leases` (every lease of the group, as listed). With `--shard`, the plan has that
 * one lease, or fails when the group has none for it; with `--all`, every lease in shard order, and it
 * fails when the group has none at all.
 */
export function planRewind(
  leases: readonly Lease[],
  selection: RewindSelection,
  handoff: boolean,
): RewindPlan {
  const selected =
    selection.type === 'all'
      ? [...leases].sort(shardOrder)
      : leases.filter((l) => l.shardId === selection.shardId);
  if (selected.length === 0) {
    return {
      ok: false,
      reason:
        selection.type === 'all'
          ? 'the group has no leases on this stream: check --group and the stream (consumers create leases at their shard sync)'
          : `the group has no lease for ${selection.shardId}: check --group, the stream and the shard (consumers create leases at their shard sync)`,
    };
  }
  return {
    ok: true,
    entries: selected.map((lease) => {
      const action = rewindAction(lease, handoff);
      return action === 'skip-ended'
        ? { shardId: lease.shardId, action, lease, reason: ENDED_REASON }
        : { shardId: lease.shardId, action, lease };
    }),
  };
}
