/**
 * A custom state adapter in about 100 lines: leases as JSON values in any store with compare-and-set
 * ({@link VersionedStore}). Every write reads the lease, checks the caller's fence, and writes with a
 * compare-and-set on the version it read; when another write slipped in, it starts over, so the
 * fence is always checked against what is stored. `versioned-state.test.ts` runs the conformance suite.
 */
import {
  type Checkpoint,
  ErrorCode,
  type Lease,
  LeaseConflictError,
  type LeaseFence,
  LeaseLostError,
  type LeaseOperation,
  type LeaseScope,
  LifecycleError,
  type ListLeasesOptions,
  type StateAdapter,
} from '@kinesis-ts/core';
import type { VersionedStore } from './versioned-store.js';

type Stored = Omit<Lease, 'updatedAt'> & { updatedAt: string };

const prefix = (s: LeaseScope): string => `${JSON.stringify([s.consumerGroup, s.streamName])}/`;
const keyOf = (s: LeaseScope, shardId: string): string => `${prefix(s)}${shardId}`;
const decode = (value: string): Lease => {
  const stored = JSON.parse(value) as Stored;
  return { ...stored, updatedAt: new Date(stored.updatedAt) };
};

/** Leases and checkpoints in a {@link VersionedStore}; instances on the same store share them. */
export class VersionedState implements StateAdapter {
  readonly #store: VersionedStore;
  #phase: 'new' | 'started' | 'closed' = 'new';

  constructor(store: VersionedStore) {
    this.#store = store;
  }

  async start(): Promise<void> {
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'VersionedState is closed');
    this.#phase = 'started';
  }

  async close(): Promise<void> {
    this.#phase = 'closed';
  }

  async listLeases(scope: LeaseScope, options: ListLeasesOptions = {}): Promise<Lease[]> {
    this.#ready();
    options.signal?.throwIfAborted();
    return (await this.#store.list(prefix(scope))).map((entry) => decode(entry.value));
  }

  async getLease(scope: LeaseScope, shardId: string): Promise<Lease | null> {
    this.#ready();
    const entry = await this.#store.get(keyOf(scope, shardId));
    return entry === undefined ? null : decode(entry.value);
  }

  async getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null> {
    return (await this.getLease(scope, shardId))?.checkpoint ?? null;
  }

  async createLease(scope: LeaseScope, shardId: string, options: { parentShardIds?: readonly string[] } = {}): Promise<Lease> {
    this.#ready();
    const { consumerGroup, streamName } = scope;
    const lease: Lease = { consumerGroup, streamName, shardId, owner: null, leaseCounter: 0, checkpoint: null, parentShardIds: [...(options.parentShardIds ?? [])], ended: false, pendingOwner: null };
    for (;;) {
      const existing = await this.#store.get(keyOf(scope, shardId));
      if (existing !== undefined) return decode(existing.value);
      if (await this.#store.compareAndSet(keyOf(scope, shardId), this.#encode(lease), undefined)) return { ...lease, updatedAt: new Date() };
    }
  }

  takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'take', (l) => ({ ...l, owner: newOwner, leaseCounter: l.leaseCounter + 1, pendingOwner: null }));
  }

  renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'renew', (l) => ({ ...l, leaseCounter: l.leaseCounter + 1 }));
  }

  checkpoint(scope: LeaseScope, shardId: string, fence: LeaseFence, checkpoint: Checkpoint): Promise<Lease> {
    const { sequenceNumber, subSequenceNumber } = checkpoint;
    return this.#write(scope, shardId, fence, 'checkpoint', (l) => ({ ...l, checkpoint: { sequenceNumber, subSequenceNumber } }));
  }

  releaseLease(scope: LeaseScope, shardId: string, fence: LeaseFence, options: { handoff?: boolean } = {}): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'release', (l) => ({ ...l, owner: options.handoff ? l.pendingOwner : null, pendingOwner: null, leaseCounter: l.leaseCounter + 1 }));
  }

  markShardEnded(scope: LeaseScope, shardId: string, fence: LeaseFence, last?: Checkpoint): Promise<Lease> {
    const checkpoint = last && { sequenceNumber: last.sequenceNumber, subSequenceNumber: last.subSequenceNumber };
    return this.#write(scope, shardId, fence, 'end', (l) => ({ ...l, ended: true, checkpoint: checkpoint ?? l.checkpoint, leaseCounter: l.leaseCounter + 1 }));
  }

  requestHandoff(scope: LeaseScope, shardId: string, fence: LeaseFence, requester: string): Promise<Lease> {
    // Only the owner must match (it keeps renewing); a different pending requester is a conflict.
    return this.#write(scope, shardId, fence, 'handoff', (l) => ({ ...l, pendingOwner: requester }), (l) => l.owner !== null && l.owner === fence.owner && (l.pendingOwner === null || l.pendingOwner === requester));
  }

  /** Read, check the fence, compare-and-set on the version read; start over if the version moved. */
  async #write(scope: LeaseScope, shardId: string, fence: LeaseFence, operation: LeaseOperation, next: (lease: Lease) => Lease, allowed?: (lease: Lease) => boolean): Promise<Lease> {
    this.#ready();
    const ownerWrite = operation !== 'take' && operation !== 'handoff';
    for (;;) {
      const entry = await this.#store.get(keyOf(scope, shardId));
      const current = entry === undefined ? null : decode(entry.value);
      const ok = current !== null && (allowed ? allowed(current) : current.owner === fence.owner && current.leaseCounter === fence.leaseCounter && !(ownerWrite && current.owner === null));
      if (!ok) {
        const details = { ...scope, shardId, operation, expectedOwner: fence.owner, expectedCounter: fence.leaseCounter, actualOwner: current?.owner ?? null, actualCounter: current?.leaseCounter ?? null };
        throw ownerWrite ? new LeaseLostError(details) : new LeaseConflictError(details);
      }
      const updated = next(current);
      if (await this.#store.compareAndSet(entry!.key, this.#encode(updated), entry!.version)) return { ...updated, updatedAt: new Date() };
    }
  }

  #encode(lease: Lease): string {
    return JSON.stringify({ ...lease, updatedAt: new Date().toISOString() });
  }

  #ready(): void {
    if (this.#phase === 'new') throw new LifecycleError(ErrorCode.NOT_STARTED, 'VersionedState is not started: call start() first');
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'VersionedState is closed');
  }
}
