/**
 * A state adapter for tests that wraps another one and can make calls hang (before or after they
 * reach the store), fail, or be counted: a slow or hung DynamoDB without a network.
 */
import type {
  Checkpoint,
  CreateLeaseOptions,
  Lease,
  LeaseFence,
  LeaseScope,
  ListLeasesOptions,
  ReleaseLeaseOptions,
  StateAdapter,
  StateAdapterCapabilities,
} from '@kinesis-ts/core';

/** How a matching call misbehaves. */
export type Misbehaviour =
  /** Never reaches the store; answers only when released (then it runs). */
  | 'hang'
  /** Reaches the store at once; its answer is held back until released (a write with unknown outcome). */
  | 'land-then-hang'
  /** Rejects with a plain `Error`. */
  | 'fail';

/** A rule: which calls misbehave, and how. */
export interface ControlRule {
  readonly op?: string;
  readonly shardId?: string;
  readonly mode: Misbehaviour;
  /** How many calls it applies to (default: all until removed). */
  times?: number;
}

/** Wraps a state adapter with scripted misbehaviour. */
export class ControlledState implements StateAdapter {
  readonly #inner: StateAdapter;
  readonly capabilities: StateAdapterCapabilities | undefined;
  readonly rules: ControlRule[] = [];
  /** Every call, in order. */
  readonly calls: Array<{ op: string; shardId?: string }> = [];
  #held: Array<() => void> = [];

  constructor(inner: StateAdapter, capabilities?: StateAdapterCapabilities) {
    this.#inner = inner;
    this.capabilities = capabilities ?? inner.capabilities;
  }

  /** Number of calls held back now. */
  get heldCalls(): number {
    return this.#held.length;
  }

  /** Lets every held call go on (and removes every rule). */
  releaseAll(): void {
    this.rules.length = 0;
    const held = this.#held;
    this.#held = [];
    for (const go of held) go();
  }

  #run<T>(op: string, shardId: string | undefined, call: () => Promise<T>): Promise<T> {
    this.calls.push(shardId === undefined ? { op } : { op, shardId });
    const rule = this.rules.find(
      (r) => (r.op === undefined || r.op === op) && (r.shardId === undefined || r.shardId === shardId),
    );
    if (rule === undefined) return call();
    if (rule.times !== undefined && --rule.times <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
    switch (rule.mode) {
      case 'fail':
        return Promise.reject(new Error(`injected ${op} failure`));
      case 'hang':
        return new Promise<T>((resolve, reject) => this.#held.push(() => call().then(resolve, reject)));
      default: {
        const result = call();
        return new Promise<T>((resolve, reject) => this.#held.push(() => result.then(resolve, reject)));
      }
    }
  }

  start(): Promise<void> {
    return this.#run('start', undefined, () => this.#inner.start());
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  listLeases(scope: LeaseScope, options?: ListLeasesOptions): Promise<Lease[]> {
    return this.#run('listLeases', undefined, () => this.#inner.listLeases(scope, options));
  }
  getLease(scope: LeaseScope, shardId: string): Promise<Lease | null> {
    return this.#run('getLease', shardId, () => this.#inner.getLease(scope, shardId));
  }
  createLease(scope: LeaseScope, shardId: string, options?: CreateLeaseOptions): Promise<Lease> {
    return this.#run('createLease', shardId, () => this.#inner.createLease(scope, shardId, options));
  }
  takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease> {
    return this.#run('takeLease', shardId, () => this.#inner.takeLease(scope, shardId, fence, newOwner));
  }
  renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease> {
    return this.#run('renewLease', shardId, () => this.#inner.renewLease(scope, shardId, fence));
  }
  checkpoint(scope: LeaseScope, shardId: string, fence: LeaseFence, checkpoint: Checkpoint): Promise<Lease> {
    return this.#run('checkpoint', shardId, () => this.#inner.checkpoint(scope, shardId, fence, checkpoint));
  }
  releaseLease(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    options?: ReleaseLeaseOptions,
  ): Promise<Lease> {
    return this.#run('releaseLease', shardId, () => this.#inner.releaseLease(scope, shardId, fence, options));
  }
  markShardEnded(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    finalCheckpoint?: Checkpoint,
  ): Promise<Lease> {
    return this.#run('markShardEnded', shardId, () =>
      this.#inner.markShardEnded(scope, shardId, fence, finalCheckpoint),
    );
  }
  getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null> {
    return this.#run('getCheckpoint', shardId, () => this.#inner.getCheckpoint(scope, shardId));
  }
  requestHandoff(scope: LeaseScope, shardId: string, fence: LeaseFence, requester: string): Promise<Lease> {
    return this.#run('requestHandoff', shardId, () =>
      this.#inner.requestHandoff(scope, shardId, fence, requester),
    );
  }
}
