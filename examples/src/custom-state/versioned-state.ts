/**
 * A custom state adapter in about 100 lines: leases as JSON values in any store with compare-and-set
 * ({@link VersionedStore}). Every write reads the lease, checks the caller's fence, and writes with a
 * compare-and-set on the version it read; when another write slipped in between, it starts over, so
 * the fence is always checked against what is stored. Arguments are checked with core's
 * `validate*` helpers, as the contract requires. `versioned-state.test.ts` runs the conformance
 * suite of `@kinesis-ts/core/testing` on it, also across processes.
 */
import {
  type Checkpoint,
  ErrorCode,
  type LeaseFence as Fence,
  type Lease,
  LeaseConflictError,
  LeaseLostError,
  type LeaseOperation,
  LifecycleError,
  type ListLeasesOptions,
  type LeaseScope as Scope,
  type StateAdapter,
  type StateAdapterCapabilities,
  validateCheckpoint,
  validateHandoffRequest,
  validateLeaseFence,
  validateLeaseScope,
  validateOwnerName,
  validateParentShardIds,
  validateShardId,
} from '@kinesis-ts/core';
import type { VersionedStore } from './versioned-store.js';

const prefix = (s: Scope): string => `${JSON.stringify([s.consumerGroup, s.streamName])}/`;
const keyOf = (s: Scope, shardId: string): string => `${prefix(s)}${shardId}`;
const encode = (lease: Lease): string => JSON.stringify({ ...lease, updatedAt: new Date() });
const decode = (value: string): Lease => {
  const lease = JSON.parse(value) as Lease & { updatedAt: string };
  return { ...lease, updatedAt: new Date(lease.updatedAt) };
};
/** A copy with the counter moved on (take, renew, release and end do that; checkpoint does not). */
const bump = (l: Lease, patch: Partial<Lease>): Lease => ({
  ...l,
  ...patch,
  leaseCounter: l.leaseCounter + 1,
});
const position = (c: Checkpoint): Checkpoint => ({
  sequenceNumber: c.sequenceNumber,
  subSequenceNumber: c.subSequenceNumber,
});

/** Leases and checkpoints in a {@link VersionedStore}; instances on the same store share them. */
export class VersionedState implements StateAdapter {
  #phase: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly store: VersionedStore) {}

  /** The store's capabilities (an in-memory store is not shared across processes). */
  get capabilities(): StateAdapterCapabilities | undefined {
    return this.store.capabilities;
  }

  async start(): Promise<void> {
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'VersionedState is closed');
    this.#phase = 'started';
  }

  async close(): Promise<void> {
    this.#phase = 'closed';
  }

  async listLeases(s: Scope, options: ListLeasesOptions = {}): Promise<Lease[]> {
    this.#ready();
    validateLeaseScope(s);
    options.signal?.throwIfAborted();
    const entries = await this.store.list(prefix(s));
    options.signal?.throwIfAborted(); // aborted while the store answered: reject with signal.reason
    return entries.map((entry) => decode(entry.value));
  }

  async getLease(s: Scope, shardId: string): Promise<Lease | null> {
    this.#ready();
    validateLeaseScope(s);
    validateShardId(shardId);
    const entry = await this.store.get(keyOf(s, shardId));
    return entry === undefined ? null : decode(entry.value);
  }

  async getCheckpoint(s: Scope, shardId: string): Promise<Checkpoint | null> {
    return (await this.getLease(s, shardId))?.checkpoint ?? null;
  }

  async createLease(s: Scope, shardId: string, options: { parentShardIds?: readonly string[] } = {}) {
    this.#ready();
    validateLeaseScope(s);
    validateShardId(shardId);
    validateParentShardIds(shardId, options.parentShardIds);
    const parentShardIds = [...(options.parentShardIds ?? [])];
    const lease: Lease = {
      ...s,
      shardId,
      owner: null,
      leaseCounter: 0,
      checkpoint: null,
      parentShardIds,
      ended: false,
      pendingOwner: null,
    };
    for (;;) {
      const existing = await this.store.get(keyOf(s, shardId));
      if (existing !== undefined) return decode(existing.value);
      const value = encode(lease);
      if (await this.store.compareAndSet(keyOf(s, shardId), value, undefined)) return decode(value);
    }
  }

  async takeLease(s: Scope, shardId: string, f: Fence, newOwner: string): Promise<Lease> {
    this.#ready(); // the lifecycle guard comes before the argument checks
    validateOwnerName('newOwner', newOwner);
    return this.#write(s, shardId, f, 'take', (l) => bump(l, { owner: newOwner, pendingOwner: null }));
  }

  async renewLease(s: Scope, shardId: string, f: Fence): Promise<Lease> {
    return this.#write(s, shardId, f, 'renew', (l) => bump(l, {}));
  }

  async checkpoint(s: Scope, shardId: string, f: Fence, checkpoint: Checkpoint): Promise<Lease> {
    this.#ready(); // the lifecycle guard comes before the argument checks
    validateCheckpoint(checkpoint);
    return this.#write(s, shardId, f, 'checkpoint', (l) => ({ ...l, checkpoint: position(checkpoint) }));
  }

  async releaseLease(
    s: Scope,
    shardId: string,
    f: Fence,
    options: { handoff?: boolean } = {},
  ): Promise<Lease> {
    const owner = (l: Lease): string | null => (options.handoff ? l.pendingOwner : null);
    return this.#write(s, shardId, f, 'release', (l) => bump(l, { owner: owner(l), pendingOwner: null }));
  }

  async markShardEnded(s: Scope, shardId: string, f: Fence, last?: Checkpoint): Promise<Lease> {
    this.#ready(); // the lifecycle guard comes before the argument checks
    if (last !== undefined) validateCheckpoint(last, 'finalCheckpoint');
    const checkpoint = (l: Lease) => (last === undefined ? l.checkpoint : position(last));
    return this.#write(s, shardId, f, 'end', (l) => bump(l, { ended: true, checkpoint: checkpoint(l) }));
  }

  async requestHandoff(s: Scope, shardId: string, f: Fence, requester: string): Promise<Lease> {
    this.#ready(); // the lifecycle guard comes before the argument checks
    validateLeaseFence(f);
    validateHandoffRequest(f, requester);
    // Only the owner must match (it keeps renewing); another requester already pending is a conflict.
    const allowed = (l: Lease) =>
      l.owner !== null && l.owner === f.owner && (l.pendingOwner ?? requester) === requester;
    return this.#write(s, shardId, f, 'handoff', (l) => ({ ...l, pendingOwner: requester }), allowed);
  }

  /** Reads, checks the fence, compare-and-sets on the version read; starts over if the version moved. */
  async #write(
    s: Scope,
    shardId: string,
    f: Fence,
    operation: LeaseOperation,
    next: (l: Lease) => Lease,
    allowed?: (l: Lease) => boolean,
  ) {
    this.#ready();
    validateLeaseScope(s);
    validateShardId(shardId);
    validateLeaseFence(f);
    const ownerWrite = operation !== 'take' && operation !== 'handoff';
    const fenced = (l: Lease) =>
      l.owner === f.owner && l.leaseCounter === f.leaseCounter && !(ownerWrite && l.owner === null);
    for (;;) {
      const entry = await this.store.get(keyOf(s, shardId));
      const current = entry === undefined ? null : decode(entry.value);
      if (entry === undefined || current === null || !(allowed ?? fenced)(current)) {
        const actual = { actualOwner: current?.owner ?? null, actualCounter: current?.leaseCounter ?? null };
        const details = {
          ...s,
          shardId,
          operation,
          expectedOwner: f.owner,
          expectedCounter: f.leaseCounter,
          ...actual,
        };
        throw ownerWrite ? new LeaseLostError(details) : new LeaseConflictError(details);
      }
      const value = encode(next(current));
      if (await this.store.compareAndSet(entry.key, value, entry.version)) return decode(value);
    }
  }

  #ready(): void {
    if (this.#phase === 'new')
      throw new LifecycleError(ErrorCode.NOT_STARTED, 'VersionedState is not started');
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'VersionedState is closed');
  }
}
