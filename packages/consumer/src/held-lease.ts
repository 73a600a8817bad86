/**
 * A lease this instance holds, with its owner writes serialized: the lease contract forbids two
 * concurrent owner writes to one lease, and each write must use the fence the previous one returned.
 */
import {
  type Checkpoint,
  type Lease,
  type LeaseFence,
  LeaseLostError,
  type LeaseScope,
  type ReleaseLeaseOptions,
  type StateAdapter,
} from '@kinesis-ts/core';

/** One held lease; every write goes through one queue and updates the fence. */
export class HeldLease {
  readonly #state: StateAdapter;
  readonly #scope: LeaseScope;
  #lease: Lease;
  #chain: Promise<unknown> = Promise.resolve();
  #lost: LeaseLostError | null = null;
  #released = false;

  constructor(state: StateAdapter, scope: LeaseScope, lease: Lease) {
    this.#state = state;
    this.#scope = scope;
    this.#lease = lease;
  }

  /** The shard id. */
  get shardId(): string {
    return this.#lease.shardId;
  }

  /** The lease as last written or read by this holder. */
  get lease(): Lease {
    return this.#lease;
  }

  /** The error that showed the lease was lost, or `null`. */
  get lost(): LeaseLostError | null {
    return this.#lost;
  }

  /** True after a successful release. */
  get released(): boolean {
    return this.#released;
  }

  /** Renews (counter + 1). */
  renew(): Promise<Lease> {
    return this.#write((fence) => this.#state.renewLease(this.#scope, this.shardId, fence));
  }

  /** Writes a checkpoint (counter unchanged). */
  checkpoint(checkpoint: Checkpoint): Promise<Lease> {
    return this.#write((fence) => this.#state.checkpoint(this.#scope, this.shardId, fence, checkpoint));
  }

  /** Marks the shard ended, with its final checkpoint when given. */
  markEnded(finalCheckpoint?: Checkpoint): Promise<Lease> {
    return this.#write((fence) =>
      this.#state.markShardEnded(this.#scope, this.shardId, fence, finalCheckpoint),
    );
  }

  /** Releases the lease (to the pending owner when `handoff`). No write follows a release. */
  async release(options?: ReleaseLeaseOptions): Promise<Lease> {
    const lease = await this.#write((fence) =>
      this.#state.releaseLease(this.#scope, this.shardId, fence, options),
    );
    this.#released = true;
    return lease;
  }

  #write(operation: (fence: LeaseFence) => Promise<Lease>): Promise<Lease> {
    const run = async (): Promise<Lease> => {
      if (this.#lost !== null) throw this.#lost;
      if (this.#released) {
        throw new LeaseLostError(
          {
            consumerGroup: this.#scope.consumerGroup,
            streamName: this.#scope.streamName,
            shardId: this.shardId,
            operation: 'renew',
            expectedOwner: this.#lease.owner,
            expectedCounter: this.#lease.leaseCounter,
          },
          { message: `lease ${this.shardId} was released by this instance` },
        );
      }
      try {
        const updated = await operation({ owner: this.#lease.owner, leaseCounter: this.#lease.leaseCounter });
        this.#lease = updated;
        return updated;
      } catch (error) {
        if (error instanceof LeaseLostError) this.#lost = error;
        throw error;
      }
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }
}
