/**
 * The lease taker (KCL's seam): a pure function from one snapshot of the group's leases to what this
 * instance should do — adopt leases the store says it owns, take unowned then expired leases up to its
 * fair share, and otherwise take a handoff that timed out or ask the most loaded owner for one lease.
 * No I/O and no clock: the coordinator carries the plan out and re-plans on the next scan.
 */
import type { Lease } from '@kinesis-ts/core';

/** A handoff this instance asked for and has not received yet. */
export interface PendingSteal {
  readonly shardId: string;
  /** The owner asked to hand over. */
  readonly owner: string;
  /** When it was asked (coordinator clock). */
  readonly since: number;
}

/** Everything the taker decides from. */
export interface LeaseSnapshot {
  /** Every lease of the group on the stream, as listed. */
  readonly leases: readonly Lease[];
  /** This instance's owner id. */
  readonly owner: string;
  /** Shards this instance holds now. */
  readonly held: ReadonlySet<string>;
  /** True when the lease's counter stood still for the failover time (observer's clock). */
  readonly expired: (lease: Lease) => boolean;
  /** True for shards this instance must not take now (quarantine after repeated crashes). */
  readonly quarantined: (shardId: string) => boolean;
  /** The handoff this instance is waiting for, if any. */
  readonly pendingSteal: PendingSteal | null;
  /** Now, on the coordinator's clock. */
  readonly now: number;
  /** How long a requested handoff may take before the lease is taken anyway. */
  readonly handoffTimeoutMs: number;
}

/** What to do when taking did not reach the target. */
export type TakerFallback =
  | { readonly type: 'force-take'; readonly lease: Lease }
  | { readonly type: 'request-handoff'; readonly lease: Lease; readonly from: string };

/** The taker's decision for one scan. */
export interface LeasePlan {
  /** Leases the store says this instance owns and it does not hold (a handoff it received, a restart). */
  readonly adopt: ReadonlyArray<{ readonly lease: Lease; readonly stolen: boolean }>;
  /** Candidates to take, in order (unowned first, then expired); take until `wanted` succeeded. */
  readonly take: readonly Lease[];
  /** How many of `take` this instance wants (its share minus what it holds). */
  readonly wanted: number;
  /** This instance's fair share: ceil(eligible leases / live owners). */
  readonly target: number;
  /** Run only when the takes leave this instance below `target`. */
  readonly fallback: TakerFallback | null;
  /** The pending steal to keep (`null`: forget it: granted, gone, or turned into a force-take). */
  readonly pendingSteal: PendingSteal | null;
}

/**
 * A lease may be read when it is not ended, not quarantined here, and every parent it records is
 * ended or unknown to the group (parents before children).
 */
export function isEligible(
  lease: Lease,
  byId: ReadonlyMap<string, Lease>,
  quarantined: (id: string) => boolean,
): boolean {
  if (lease.ended || quarantined(lease.shardId)) return false;
  return lease.parentShardIds.every((parent) => byId.get(parent)?.ended ?? true);
}

/** Plans one scan. Balancing: at most one steal request per scan, from the most loaded live owner. */
export function planLeases(s: LeaseSnapshot): LeasePlan {
  const byId = new Map(s.leases.map((lease) => [lease.shardId, lease]));
  const adopt = s.leases
    .filter(
      (lease) =>
        lease.owner === s.owner &&
        !lease.ended &&
        !s.held.has(lease.shardId) &&
        !s.quarantined(lease.shardId),
    )
    .map((lease) => ({ lease, stolen: s.pendingSteal?.shardId === lease.shardId }));
  const mineNow = new Set([...s.held, ...adopt.map((a) => a.lease.shardId)]);

  let pendingSteal = s.pendingSteal;
  if (pendingSteal !== null) {
    const lease = byId.get(pendingSteal.shardId);
    if (lease === undefined || lease.owner !== pendingSteal.owner || lease.ended) pendingSteal = null;
  }

  const eligible = s.leases.filter((lease) => isEligible(lease, byId, s.quarantined));
  const liveOwners = new Map<string, number>();
  for (const lease of eligible) {
    if (lease.owner === null || lease.owner === s.owner || s.expired(lease)) continue;
    liveOwners.set(lease.owner, (liveOwners.get(lease.owner) ?? 0) + 1);
  }
  const mine = eligible.filter((lease) => mineNow.has(lease.shardId)).length;
  const target = Math.ceil(eligible.length / (liveOwners.size + 1));
  const take = eligible
    .filter((lease) => !mineNow.has(lease.shardId) && (lease.owner === null || s.expired(lease)))
    .sort((a, b) => (a.owner === null ? 0 : 1) - (b.owner === null ? 0 : 1));
  const wanted = Math.max(0, target - mine);

  let fallback: TakerFallback | null = null;
  if (pendingSteal !== null) {
    const lease = byId.get(pendingSteal.shardId);
    if (lease !== undefined && s.now - pendingSteal.since >= s.handoffTimeoutMs) {
      fallback = { type: 'force-take', lease };
      pendingSteal = null;
    }
  } else {
    let victim: string | null = null;
    let most = 0;
    for (const [other, count] of liveOwners) {
      if (count > most) {
        most = count;
        victim = other;
      }
    }
    if (victim !== null && (most > target || most - mine > 1)) {
      const candidate = eligible.find((lease) => lease.owner === victim && lease.pendingOwner === null);
      if (candidate !== undefined) fallback = { type: 'request-handoff', lease: candidate, from: victim };
    }
  }
  return { adopt, take, wanted, target, fallback, pendingSteal };
}
