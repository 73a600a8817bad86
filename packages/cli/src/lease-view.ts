/**
 * What `leases` shows: each lease with the state an observer can tell (held, expired, unowned,
 * ended), and the instances with how many leases each holds. Expiry is core's
 * {@link LeaseExpiryTracker}: a lease is expired when its counter stood still for the failover time
 * while this command watched.
 */
import type { Lease, LeaseExpiryTracker } from '@kinesis-ts/core';

/** What the observer can tell about a lease. */
export type LeaseState = 'held' | 'expired' | 'unowned' | 'ended';

/** One row of the lease table. */
export interface LeaseRow {
  readonly shardId: string;
  readonly owner: string | null;
  readonly leaseCounter: number;
  /** `sequenceNumber` and `subSequenceNumber` of the checkpoint, or `null`. */
  readonly checkpoint: { readonly sequenceNumber: string; readonly subSequenceNumber: number } | null;
  readonly ended: boolean;
  readonly parentShardIds: readonly string[];
  readonly pendingOwner: string | null;
  readonly state: LeaseState;
  /**
   * How long this command has seen the counter unchanged, ms (`null` for unowned/ended leases).
   * Only meaningful once it approaches the failover time: a fresh observer starts at 0.
   */
  readonly unchangedMs: number | null;
  readonly updatedAt: string | null;
}

/** An instance (lease owner) and its leases. */
export interface InstanceRow {
  readonly owner: string;
  /** Leases it holds (ended ones included). */
  readonly leases: number;
  /** Of those, how many look expired. */
  readonly expired: number;
  /** Leases other instances asked it to hand over. */
  readonly handoffsPending: number;
}

/** The whole view. */
export interface LeaseView {
  readonly consumerGroup: string;
  readonly streamName: string;
  readonly leases: readonly LeaseRow[];
  readonly instances: readonly InstanceRow[];
  /** Leases not ended (the ones instances compete for). */
  readonly active: number;
  readonly unowned: number;
  readonly expired: number;
  /** How long the command has watched, ms: expiry needs at least `failoverTimeMs`. */
  readonly observedMs: number;
  readonly failoverTimeMs: number;
}

function shardOrder(a: Lease, b: Lease): number {
  return a.shardId.localeCompare(b.shardId, 'en', { numeric: true });
}

/**
 * Builds the view of `leases` as `tracker` has observed them (call `tracker.observe(leases)` first).
 * `observedMs` is how long the command has been watching.
 */
export function buildLeaseView(
  scope: { readonly consumerGroup: string; readonly streamName: string },
  leases: readonly Lease[],
  tracker: LeaseExpiryTracker,
  observedMs: number,
): LeaseView {
  const rows: LeaseRow[] = [...leases].sort(shardOrder).map((lease) => {
    let state: LeaseState;
    let unchangedMs: number | null = null;
    if (lease.ended && lease.owner === null) state = 'ended';
    else if (lease.owner === null) state = 'unowned';
    else {
      const remaining = tracker.timeUntilExpiry(lease);
      unchangedMs = remaining === null ? 0 : Math.max(0, tracker.failoverTimeMs - remaining);
      state = tracker.isExpired(lease) ? 'expired' : lease.ended ? 'ended' : 'held';
    }
    return {
      shardId: lease.shardId,
      owner: lease.owner,
      leaseCounter: lease.leaseCounter,
      checkpoint:
        lease.checkpoint === null
          ? null
          : {
              sequenceNumber: lease.checkpoint.sequenceNumber,
              subSequenceNumber: lease.checkpoint.subSequenceNumber,
            },
      ended: lease.ended,
      parentShardIds: [...lease.parentShardIds],
      pendingOwner: lease.pendingOwner,
      state,
      unchangedMs,
      updatedAt: lease.updatedAt?.toISOString() ?? null,
    };
  });
  const byOwner = new Map<string, { leases: number; expired: number; handoffsPending: number }>();
  for (const row of rows) {
    if (row.owner === null) continue;
    const entry = byOwner.get(row.owner) ?? { leases: 0, expired: 0, handoffsPending: 0 };
    entry.leases += 1;
    if (row.state === 'expired') entry.expired += 1;
    if (row.pendingOwner !== null) entry.handoffsPending += 1;
    byOwner.set(row.owner, entry);
  }
  const instances = [...byOwner.entries()]
    .map(([owner, e]) => ({ owner, ...e }))
    .sort((a, b) => b.leases - a.leases || a.owner.localeCompare(b.owner));
  return {
    consumerGroup: scope.consumerGroup,
    streamName: scope.streamName,
    leases: rows,
    instances,
    active: rows.filter((r) => !r.ended).length,
    unowned: rows.filter((r) => r.owner === null && !r.ended).length,
    expired: rows.filter((r) => r.state === 'expired').length,
    observedMs,
    failoverTimeMs: tracker.failoverTimeMs,
  };
}

/** Milliseconds as a short duration: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
