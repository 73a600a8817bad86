import type { Lease, LeaseScope } from '@kinesis-ts/core';

/** A deep copy of a lease: callers and the store never share objects. */
export function copyLease(lease: Lease): Lease {
  return {
    consumerGroup: lease.consumerGroup,
    streamName: lease.streamName,
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
    parentShardIds: [...lease.parentShardIds],
    ended: lease.ended,
    pendingOwner: lease.pendingOwner,
    updatedAt: lease.updatedAt === undefined ? undefined : new Date(lease.updatedAt.getTime()),
  };
}

function scopeKey(consumerGroup: string, streamName: string): string {
  // JSON keeps the two names apart whatever characters they contain.
  return JSON.stringify([consumerGroup, streamName]);
}

/**
 * The backing store of {@link MemoryState}: leases of every consumer group and stream, held in this
 * process's memory. Give the same store to several `MemoryState` instances to let them share leases
 * (e.g. several consumers in one process, or tests that play several instances).
 *
 * Its methods are a plain, unfenced key-value view (copies in, copies out) for tests and tooling;
 * consumers write through `MemoryState`, which enforces the fencing rules.
 */
export class MemoryStateStore {
  readonly #scopes = new Map<string, Map<string, Lease>>();

  /** A copy of one lease, or `undefined`. */
  get(scope: LeaseScope, shardId: string): Lease | undefined {
    const lease = this.#scopes.get(scopeKey(scope.consumerGroup, scope.streamName))?.get(shardId);
    return lease === undefined ? undefined : copyLease(lease);
  }

  /** Stores a copy of `lease` under its own group, stream and shard, replacing what was there. */
  set(lease: Lease): void {
    const key = scopeKey(lease.consumerGroup, lease.streamName);
    let leases = this.#scopes.get(key);
    if (leases === undefined) {
      leases = new Map();
      this.#scopes.set(key, leases);
    }
    leases.set(lease.shardId, copyLease(lease));
  }

  /** Copies of every lease of a scope, in creation order. */
  list(scope: LeaseScope): Lease[] {
    const leases = this.#scopes.get(scopeKey(scope.consumerGroup, scope.streamName));
    return leases === undefined ? [] : Array.from(leases.values(), copyLease);
  }

  /** Deletes one lease; true when it existed. */
  delete(scope: LeaseScope, shardId: string): boolean {
    const key = scopeKey(scope.consumerGroup, scope.streamName);
    const leases = this.#scopes.get(key);
    if (leases === undefined) return false;
    const deleted = leases.delete(shardId);
    if (leases.size === 0) this.#scopes.delete(key);
    return deleted;
  }

  /** Deletes every lease of every scope. */
  clear(): void {
    this.#scopes.clear();
  }

  /** Number of leases held, over all scopes. */
  get size(): number {
    let size = 0;
    for (const leases of this.#scopes.values()) size += leases.size;
    return size;
  }
}
