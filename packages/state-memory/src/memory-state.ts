import {
  assertKnownOptions,
  type Checkpoint,
  type Clock,
  type CreateLeaseOptions,
  ErrorCode,
  type Lease,
  LeaseConflictError,
  type LeaseFence,
  LeaseLostError,
  type LeaseOperation,
  type LeaseScope,
  LifecycleError,
  type ListLeasesOptions,
  type OptionKeys,
  type ReleaseLeaseOptions,
  type StateAdapter,
  type StateAdapterCapabilities,
  systemClock,
  ValidationError,
} from '@kinesis-ts/core';
import {
  validateCheckpoint,
  validateCreateOptions,
  validateFence,
  validateId,
  validateScope,
} from './input-validation.js';
import { copyLease, MemoryStateStore } from './memory-state-store.js';

/** Options of {@link MemoryState}. */
export interface MemoryStateOptions {
  /**
   * Where the leases live. Instances given the same store share leases and checkpoints. Default: a
   * new store private to this instance (nothing is shared with other instances).
   */
  readonly store?: MemoryStateStore;
  /** Clock for the informational `updatedAt` of written leases. Default: the system clock. */
  readonly clock?: Clock;
}

const OPTION_KEYS: OptionKeys<MemoryStateOptions> = { store: true, clock: true };

type Phase = 'new' | 'started' | 'closed';

/**
 * A {@link StateAdapter} that keeps leases and checkpoints in this process's memory: the consumer's
 * default. Nothing survives the process, and nothing is shared with other processes
 * (`sharedAcrossProcesses: false`, `durable: false`). Every write is a synchronous check-and-set on the
 * store (no `await` between the check and the set), so the fencing rules hold for any number of
 * instances sharing one {@link MemoryStateStore}. Returned leases are copies.
 */
export class MemoryState implements StateAdapter {
  /** In-memory: not shared across processes, not durable, listings always consistent. */
  readonly capabilities: StateAdapterCapabilities = Object.freeze({
    sharedAcrossProcesses: false,
    durable: false,
    consistentListing: true,
  });
  /** The store this instance reads and writes. */
  readonly store: MemoryStateStore;
  readonly #clock: Clock;
  #phase: Phase = 'new';

  constructor(options: MemoryStateOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'MemoryState: options must be an object');
    }
    assertKnownOptions(options, OPTION_KEYS, { subject: 'MemoryState option' });
    if (options.store !== undefined && !(options.store instanceof MemoryStateStore)) {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'MemoryState: store must be a MemoryStateStore');
    }
    this.store = options.store ?? new MemoryStateStore();
    this.#clock = options.clock ?? systemClock;
  }

  /** Marks the adapter started. Idempotent. Rejects with `CLOSED` after {@link MemoryState.close}. */
  async start(): Promise<void> {
    if (this.#phase === 'closed') throw this.#lifecycleError();
    this.#phase = 'started';
  }

  /** Marks the adapter closed; the store and its leases stay as they are. Idempotent. */
  async close(): Promise<void> {
    this.#phase = 'closed';
  }

  async listLeases(scope: LeaseScope, options: ListLeasesOptions = {}): Promise<Lease[]> {
    this.#assertStarted();
    validateScope(scope);
    options.signal?.throwIfAborted();
    return this.store.list(scope);
  }

  async getLease(scope: LeaseScope, shardId: string): Promise<Lease | null> {
    this.#assertStarted();
    validateScope(scope);
    validateId('shardId', shardId);
    return this.store.get(scope, shardId) ?? null;
  }

  async getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null> {
    return (await this.getLease(scope, shardId))?.checkpoint ?? null;
  }

  async createLease(scope: LeaseScope, shardId: string, options?: CreateLeaseOptions): Promise<Lease> {
    this.#assertStarted();
    validateScope(scope);
    validateId('shardId', shardId);
    validateCreateOptions(shardId, options);
    const existing = this.store.get(scope, shardId);
    if (existing !== undefined) return existing;
    const lease: Lease = {
      consumerGroup: scope.consumerGroup,
      streamName: scope.streamName,
      shardId,
      owner: null,
      leaseCounter: 0,
      checkpoint: null,
      parentShardIds: [...(options?.parentShardIds ?? [])],
      ended: false,
      pendingOwner: null,
      updatedAt: this.#now(),
    };
    this.store.set(lease);
    return copyLease(lease);
  }

  async takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease> {
    this.#assertStarted();
    validateScope(scope);
    validateId('shardId', shardId);
    validateFence(fence);
    validateId('newOwner', newOwner);
    const current = this.#fenced(scope, shardId, fence, 'take', false);
    return this.#write({
      ...current,
      owner: newOwner,
      leaseCounter: current.leaseCounter + 1,
      pendingOwner: null,
    });
  }

  async renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease> {
    const current = this.#ownerWrite(scope, shardId, fence, 'renew');
    return this.#write({ ...current, leaseCounter: current.leaseCounter + 1 });
  }

  async checkpoint(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    checkpoint: Checkpoint,
  ): Promise<Lease> {
    this.#assertStarted();
    validateCheckpoint(checkpoint);
    const current = this.#ownerWrite(scope, shardId, fence, 'checkpoint');
    return this.#write({ ...current, checkpoint: { ...checkpoint } });
  }

  async releaseLease(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    options: ReleaseLeaseOptions = {},
  ): Promise<Lease> {
    const current = this.#ownerWrite(scope, shardId, fence, 'release');
    const owner = options.handoff === true ? current.pendingOwner : null;
    return this.#write({ ...current, owner, pendingOwner: null, leaseCounter: current.leaseCounter + 1 });
  }

  async markShardEnded(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    finalCheckpoint?: Checkpoint,
  ): Promise<Lease> {
    this.#assertStarted();
    if (finalCheckpoint !== undefined) validateCheckpoint(finalCheckpoint);
    const current = this.#ownerWrite(scope, shardId, fence, 'end');
    return this.#write({
      ...current,
      ended: true,
      checkpoint: finalCheckpoint === undefined ? current.checkpoint : { ...finalCheckpoint },
      leaseCounter: current.leaseCounter + 1,
    });
  }

  async requestHandoff(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    requester: string,
  ): Promise<Lease> {
    this.#assertStarted();
    validateScope(scope);
    validateId('shardId', shardId);
    validateFence(fence);
    validateId('requester', requester);
    if (requester === fence.owner) {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'MemoryState: requester already owns the lease', {
        context: { ...scope, shardId, requester },
      });
    }
    const current = this.store.get(scope, shardId);
    if (
      current === undefined ||
      current.owner === null ||
      current.owner !== fence.owner ||
      (current.pendingOwner !== null && current.pendingOwner !== requester)
    ) {
      throw this.#conflict(LeaseConflictError, scope, shardId, fence, 'handoff', current);
    }
    if (current.pendingOwner === requester) return current;
    return this.#write({ ...current, pendingOwner: requester });
  }

  /** Validates an owner write's arguments and returns the lease if the fence holds (else LeaseLostError). */
  #ownerWrite(scope: LeaseScope, shardId: string, fence: LeaseFence, operation: LeaseOperation): Lease {
    this.#assertStarted();
    validateScope(scope);
    validateId('shardId', shardId);
    validateFence(fence);
    return this.#fenced(scope, shardId, fence, operation, true);
  }

  /**
   * The stored lease when it exists and matches the fence; otherwise the typed rejection. Owner writes
   * also require an owner: nobody "holds" an unowned lease.
   */
  #fenced(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    operation: LeaseOperation,
    ownerWrite: boolean,
  ): Lease {
    const current = this.store.get(scope, shardId);
    if (
      current === undefined ||
      current.owner !== fence.owner ||
      current.leaseCounter !== fence.leaseCounter ||
      (ownerWrite && current.owner === null)
    ) {
      throw this.#conflict(
        ownerWrite ? LeaseLostError : LeaseConflictError,
        scope,
        shardId,
        fence,
        operation,
        current,
      );
    }
    return current;
  }

  #conflict(
    ErrorClass: typeof LeaseConflictError,
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    operation: LeaseOperation,
    current: Lease | undefined,
  ): LeaseConflictError {
    return new ErrorClass({
      consumerGroup: scope.consumerGroup,
      streamName: scope.streamName,
      shardId,
      operation,
      expectedOwner: fence.owner,
      expectedCounter: fence.leaseCounter,
      actualOwner: current === undefined ? null : current.owner,
      actualCounter: current === undefined ? null : current.leaseCounter,
    });
  }

  /** Stores the next state (synchronously, right after the check) and returns a copy. */
  #write(next: Lease): Lease {
    const lease: Lease = { ...next, updatedAt: this.#now() };
    this.store.set(lease);
    return copyLease(lease);
  }

  #now(): Date {
    return new Date(this.#clock.now());
  }

  #assertStarted(): void {
    if (this.#phase !== 'started') throw this.#lifecycleError();
  }

  #lifecycleError(): LifecycleError {
    return this.#phase === 'closed'
      ? new LifecycleError(ErrorCode.CLOSED, 'MemoryState is closed')
      : new LifecycleError(ErrorCode.NOT_STARTED, 'MemoryState is not started: call start() first');
  }
}
