/**
 * A lease this instance holds, with its owner writes serialized: the lease contract forbids two
 * concurrent owner writes to one lease, and each write must use the fence the previous one returned.
 *
 * Every write is bounded ({@link callStore}). A write that timed out has an unknown outcome: it may
 * still land and move the counter. The next write therefore re-reads the lease first and takes the
 * stored counter as its fence while the stored owner is still this instance. A conflict that names
 * this instance as the owner is resolved the same way once; a second such conflict that no timed-out
 * write of this holder explains means another live process writes under this instance's id
 * (`DUPLICATE_INSTANCE`).
 */
import {
  type Checkpoint,
  ErrorCode,
  type Lease,
  type LeaseFence,
  LeaseLostError,
  type LeaseOperation,
  type LeaseScope,
  type ReleaseLeaseOptions,
  type StateAdapter,
  StateStoreError,
} from '@kinesis-ts/core';
import { callStore, isStoreTimeout, type StoreCallOptions } from './store-call.js';

/** Options of {@link HeldLease}. */
export interface HeldLeaseOptions {
  readonly state: StateAdapter;
  readonly scope: LeaseScope;
  /** The lease as taken (or adopted). */
  readonly lease: Lease;
  /** Bounds every store call. */
  readonly store: StoreCallOptions;
}

/** One held lease; every write goes through one queue and updates the fence. */
export class HeldLease {
  readonly #state: StateAdapter;
  readonly #scope: LeaseScope;
  readonly #store: StoreCallOptions;
  #lease: Lease;
  #chain: Promise<unknown> = Promise.resolve();
  #lost: LeaseLostError | null = null;
  #released = false;
  /** A write timed out and the lease was not re-read since: the stored counter may be ahead. */
  #uncertain = false;
  /** A write timed out since the last write that succeeded (explains a conflict naming this owner). */
  #timedOut = false;
  /** Conflicts naming this instance as owner that no timed-out write explained. */
  #selfConflicts = 0;
  #duplicate: StateStoreError | null = null;

  constructor(options: HeldLeaseOptions) {
    this.#state = options.state;
    this.#scope = options.scope;
    this.#store = options.store;
    this.#lease = options.lease;
  }

  /** The shard id. */
  get shardId(): string {
    return this.#lease.shardId;
  }

  /** The lease as last written or read by this holder. */
  get lease(): Lease {
    return this.#lease;
  }

  /** The error that showed the lease was lost (or that this holder gave it up), or `null`. */
  get lost(): LeaseLostError | null {
    return this.#lost;
  }

  /** True after a successful release. */
  get released(): boolean {
    return this.#released;
  }

  /** Set when another live process writes this lease under this instance's id. */
  get duplicateInstance(): StateStoreError | null {
    return this.#duplicate;
  }

  /**
   * Gives the lease up locally (renewals failed for the failover time): every queued and later write
   * rejects with `LeaseLostError`, so a holder adopted afterwards never shares this one's queue.
   */
  abandon(reason: string): void {
    if (this.#lost !== null || this.#released) return;
    this.#lost = this.#lostError('renew', { message: `lease ${this.shardId} given up: ${reason}` });
  }

  /** Renews (counter + 1). */
  renew(): Promise<Lease> {
    return this.#write('renew', (fence) => this.#state.renewLease(this.#scope, this.shardId, fence));
  }

  /** Writes a checkpoint (counter unchanged). */
  checkpoint(checkpoint: Checkpoint): Promise<Lease> {
    return this.#write('checkpoint', (fence) =>
      this.#state.checkpoint(this.#scope, this.shardId, fence, checkpoint),
    );
  }

  /** Marks the shard ended, with its final checkpoint when given. */
  markEnded(finalCheckpoint?: Checkpoint): Promise<Lease> {
    return this.#write('end', (fence) =>
      this.#state.markShardEnded(this.#scope, this.shardId, fence, finalCheckpoint),
    );
  }

  /** Releases the lease (to the pending owner when `handoff`). No write follows a release. */
  async release(options?: ReleaseLeaseOptions): Promise<Lease> {
    const lease = await this.#write('release', (fence) =>
      this.#state.releaseLease(this.#scope, this.shardId, fence, options),
    );
    this.#released = true;
    return lease;
  }

  #lostError(
    operation: LeaseOperation,
    extra: { message?: string; actualOwner?: string | null; actualCounter?: number | null } = {},
  ): LeaseLostError {
    const { message, ...actual } = extra;
    return new LeaseLostError(
      {
        consumerGroup: this.#scope.consumerGroup,
        streamName: this.#scope.streamName,
        shardId: this.shardId,
        operation,
        expectedOwner: this.#lease.owner,
        expectedCounter: this.#lease.leaseCounter,
        ...actual,
      },
      message === undefined ? {} : { message },
    );
  }

  #write(operation: LeaseOperation, write: (fence: LeaseFence) => Promise<Lease>): Promise<Lease> {
    const run = async (): Promise<Lease> => {
      if (this.#lost !== null) throw this.#lost;
      if (this.#released) {
        throw this.#lostError(operation, { message: `lease ${this.shardId} was released by this instance` });
      }
      if (this.#uncertain) await this.#reread(operation);
      try {
        return await this.#attempt(operation, write);
      } catch (error) {
        if (!(error instanceof LeaseLostError) || error.actualOwner !== this.#lease.owner || this.#released)
          throw this.#remember(error);
        // The store says this instance owns the lease, at another counter.
        if (!this.#timedOut) {
          this.#selfConflicts += 1;
          if (this.#selfConflicts >= 2) {
            this.#duplicate = new StateStoreError(
              ErrorCode.DUPLICATE_INSTANCE,
              `lease ${this.shardId} is written by another live process under this instance's id ` +
                `(${String(this.#lease.owner)}); give every consumer instance its own instanceId`,
              {
                cause: error,
                context: { ...this.#scope, shardId: this.shardId, instanceId: this.#lease.owner },
              },
            );
            throw this.#remember(error);
          }
        }
        // A write of this holder that timed out landed after all: take the stored counter, try once more.
        await this.#reread(operation);
        return this.#remember(
          await this.#attempt(operation, write).catch((again: unknown) => {
            throw this.#remember(again);
          }),
        );
      }
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  #remember<T>(value: T): T {
    if (value instanceof LeaseLostError) this.#lost ??= value;
    return value;
  }

  async #attempt(operation: LeaseOperation, write: (fence: LeaseFence) => Promise<Lease>): Promise<Lease> {
    const fence: LeaseFence = { owner: this.#lease.owner, leaseCounter: this.#lease.leaseCounter };
    try {
      const updated = await callStore(
        this.#store,
        `${operation} of lease ${this.shardId}`,
        () => write(fence),
        this.shardId,
      );
      this.#lease = updated;
      this.#uncertain = false;
      this.#timedOut = false;
      return updated;
    } catch (error) {
      if (isStoreTimeout(error)) {
        this.#uncertain = true;
        this.#timedOut = true;
      }
      throw error;
    }
  }

  /** Reads the stored lease; keeps holding it (with the stored counter) while this instance owns it. */
  async #reread(operation: LeaseOperation): Promise<void> {
    const stored = await callStore(
      this.#store,
      `read of lease ${this.shardId}`,
      () => this.#state.getLease(this.#scope, this.shardId),
      this.shardId,
    );
    if (stored === null || stored.owner !== this.#lease.owner) {
      throw this.#remember(
        this.#lostError(operation, {
          actualOwner: stored?.owner ?? null,
          actualCounter: stored?.leaseCounter ?? null,
        }),
      );
    }
    this.#lease = stored;
    this.#uncertain = false;
  }
}
