/**
 * Lease expiry as an observer sees it (KCL's rule): a lease is expired when the observer has seen its
 * `leaseCounter` unchanged for longer than `failoverTimeMs` on the observer's own clock. No timestamp
 * written by another host is ever compared with local time.
 */
import { type Clock, systemClock } from './clock.js';
import { ErrorCode, ValidationError } from './errors.js';
import type { Lease, LeaseScope } from './state.js';

/** Options of {@link LeaseExpiryTracker}. */
export interface LeaseExpiryTrackerOptions {
  /**
   * How long a lease's counter must stay unchanged (as seen by this observer) before the lease counts
   * as expired. Owners renew well within it (KCL: every `failoverTime / 3`). Positive, finite.
   */
  readonly failoverTimeMs: number;
  /** The observer's clock. Default: {@link systemClock}. */
  readonly clock?: Clock;
}

interface Observation {
  readonly owner: string | null;
  readonly leaseCounter: number;
  /** Observer clock time at which this owner + counter was first seen. */
  readonly since: number;
}

/** The identity of a lease in the tracker's map. */
function leaseKey(consumerGroup: string, streamName: string, shardId: string): string {
  return JSON.stringify([consumerGroup, streamName, shardId]);
}

/**
 * Remembers, per lease (consumer group + stream + shard), the owner and counter last seen and the
 * observer-clock time they were first seen. Feed it every listing with {@link LeaseExpiryTracker.observe};
 * ask {@link LeaseExpiryTracker.isExpired} / {@link LeaseExpiryTracker.isAvailable} when deciding what
 * to take.
 *
 * A lease seen for the first time is never expired: the observer cannot know how long the counter has
 * been standing still, so it waits a full `failoverTimeMs` from first sight.
 */
export class LeaseExpiryTracker {
  /** The configured failover time in milliseconds. */
  readonly failoverTimeMs: number;
  readonly #clock: Clock;
  readonly #seen = new Map<string, Observation>();

  constructor(options: LeaseExpiryTrackerOptions) {
    const { failoverTimeMs } = options;
    if (typeof failoverTimeMs !== 'number' || !Number.isFinite(failoverTimeMs) || failoverTimeMs <= 0) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        `failoverTimeMs must be a positive finite number, got ${String(failoverTimeMs)}`,
        {
          context: { failoverTimeMs },
        },
      );
    }
    this.failoverTimeMs = failoverTimeMs;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Records a listing (or single reads). For each lease whose owner or counter differs from what was
   * last seen (or that was never seen), restarts its clock at "now"; an unchanged lease keeps the time
   * it was first seen in this state.
   */
  observe(leases: readonly Lease[]): void {
    const now = this.#clock.now();
    for (const lease of leases) {
      const key = leaseKey(lease.consumerGroup, lease.streamName, lease.shardId);
      const previous = this.#seen.get(key);
      if (
        previous === undefined ||
        previous.leaseCounter !== lease.leaseCounter ||
        previous.owner !== lease.owner
      ) {
        this.#seen.set(key, { owner: lease.owner, leaseCounter: lease.leaseCounter, since: now });
      }
    }
  }

  /**
   * True when `lease` is owned and this observer has seen exactly this owner + counter for longer
   * than `failoverTimeMs`. False for unowned leases (they are available, not expired), for leases
   * never observed, and for leases whose owner or counter differs from the last observation (observe
   * the newer state first).
   */
  isExpired(lease: Lease): boolean {
    const remaining = this.timeUntilExpiry(lease);
    return remaining !== null && remaining < 0;
  }

  /** True when `lease` can be taken without stealing: unowned, or owned but expired. */
  isAvailable(lease: Lease): boolean {
    return lease.owner === null || this.isExpired(lease);
  }

  /**
   * Milliseconds until `lease` expires on this observer's clock (negative once expired), or `null`
   * when it cannot expire as seen: unowned, never observed, or not in the observed state.
   * The lease is expired when the result is below zero (strictly longer than `failoverTimeMs`).
   */
  timeUntilExpiry(lease: Lease): number | null {
    if (lease.owner === null) return null;
    const seen = this.#seen.get(leaseKey(lease.consumerGroup, lease.streamName, lease.shardId));
    if (seen === undefined || seen.leaseCounter !== lease.leaseCounter || seen.owner !== lease.owner)
      return null;
    return seen.since + this.failoverTimeMs - this.#clock.now();
  }

  /** Drops what was observed about one lease (e.g. a shard that is gone). */
  forget(scope: LeaseScope, shardId: string): void {
    this.#seen.delete(leaseKey(scope.consumerGroup, scope.streamName, shardId));
  }

  /** Drops every observation. */
  clear(): void {
    this.#seen.clear();
  }

  /** Number of leases currently tracked. */
  get size(): number {
    return this.#seen.size;
  }
}
