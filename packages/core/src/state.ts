/**
 * The state-adapter contract: leases and checkpoints that let many consumer instances share a
 * stream's shards and resume where they left off.
 *
 * ## Model
 * One {@link Lease} per (consumer group, stream, shard). A lease has an `owner` (or none), a
 * `leaseCounter` that every successful lease write increments, a checkpoint, the shard's parents, an
 * `ended` marker (the shard was read to SHARD_END) and an optional `pendingOwner` (graceful handoff).
 *
 * ## Fencing rules (what every adapter guarantees)
 * 1. **Compare-and-set.** Every write except {@link StateAdapter.createLease} and
 *    {@link StateAdapter.requestHandoff} is atomic and conditional: it applies only if the stored
 *    lease still has the owner and counter given in the {@link LeaseFence}. Otherwise nothing is
 *    written and the call rejects with a {@link LeaseConflictError} (take) or {@link LeaseLostError}
 *    (owner writes), carrying stream, shard and owners. A failed condition is never `false`, `null`
 *    or a log line. A lease that does not exist fails every condition the same way (never a
 *    {@link LeaseNotFoundError}, never an implicit create): `takeLease` and `requestHandoff` reject
 *    with `LeaseConflictError`, owner writes with `LeaseLostError`; when the adapter re-read the
 *    store, `actualOwner` and `actualCounter` are both `null` (an existing lease always has a
 *    numeric counter). So a coordinator handles "changed" and "gone" alike: skip and re-list.
 *    Owner writes need an owner: with `fence.owner === null` they reject with `LeaseLostError`, even
 *    on an unowned lease whose counter matches (nobody holds an unowned lease).
 * 2. **Counters.** `takeLease`, `renewLease`, `releaseLease` and `markShardEnded` increment
 *    `leaseCounter` by exactly one and return the new lease; `checkpoint` leaves it unchanged (so a
 *    checkpoint never invalidates the owner's own fence). The caller must not issue two owner writes
 *    for the same lease concurrently: it serializes them and uses the lease each write returns.
 * 3. **No clocks.** Adapters store no expiry that others must trust. A lease is expired when an
 *    observer sees its counter unchanged for `failoverTime` on the observer's own clock (see
 *    `LeaseExpiryTracker`). `updatedAt` is informational only.
 * 4. **Unknown outcomes.** If a write's outcome is unknown (timeout), the adapter re-reads the lease
 *    and reports what actually happened; it never guesses.
 * 5. **Isolation.** Leases of different consumer groups or streams never see each other.
 * 6. **Across processes.** An adapter that declares `sharedAcrossProcesses` (the default) keeps
 *    rules 1 and 2 between instances in different processes and hosts: the compare-and-set happens
 *    in the store (a conditional write, a transaction, a lock the store holds), never as a read in
 *    the client followed by a write. A read-then-write on a synchronous driver passes every
 *    in-process test and still lets two processes take one lease.
 *
 * ## Arguments
 * Every method is `async` in effect: it reports every failure by rejecting, never by throwing
 * synchronously. On a started adapter, before touching the store, it rejects with a
 * `ValidationError` (code `INVALID_ARGUMENT`) and writes nothing when:
 * - `scope` is not an object, or its `consumerGroup` or `streamName` is not a non-empty string
 *   (every method but `start`/`close`);
 * - `shardId` is not a non-empty string (every method with a `shardId`);
 * - `fence` is not an object, `fence.owner` is neither `null` nor a non-empty string, or
 *   `fence.leaseCounter` is not a safe integer >= 0 (negative, fractional, `NaN`, a string) (take,
 *   renew, checkpoint, release, end, handoff);
 * - `newOwner` (`takeLease`) or `requester` (`requestHandoff`) is not a non-empty string, or the
 *   `requester` equals `fence.owner` (an owner never hands a lease to itself);
 * - a checkpoint (`checkpoint`, and `markShardEnded`'s `finalCheckpoint` when given) is not an
 *   object, its `sequenceNumber` is neither a decimal string as Kinesis writes it (`0`, or 1 to 129
 *   digits without a leading zero: `SEQUENCE_NUMBER_PATTERN`) nor a sentinel position (`TRIM_HORIZON`,
 *   `LATEST`, `AT_TIMESTAMP:<epoch ms>`: `SENTINEL_SEQUENCE_NUMBER_PATTERN`), its `subSequenceNumber`
 *   is not a safe integer >= 0, or it is not 0 with a sentinel;
 * - `parentShardIds` (`createLease`) is not an array, has more than 2 entries, an entry that is not
 *   a non-empty string, the same parent twice, or the shard itself.
 * Argument errors are the caller's bugs, so they win over fencing outcomes (a bad counter on a
 * missing lease is a `ValidationError`, not a `LeaseConflictError`); the lifecycle guard comes first
 * (before `start()` or after `close()` the call rejects with `LifecycleError` whatever its
 * arguments). `core` exports the checks (`validateLeaseScope`, `validateShardId`,
 * `validateLeaseFence`, `validateOwnerName`, `validateHandoffRequest`, `validateCheckpoint`,
 * `validateParentShardIds`) for adapters to call.
 *
 * ## Checkpoints
 * A checkpoint is a record's position (`sequenceNumber` and `subSequenceNumber`), or a position no
 * record marks, written by an operator's rewind: `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP:<epoch ms>`
 * in `sequenceNumber`, with `subSequenceNumber` 0 (see `checkpoint-position.ts`). Adapters store and
 * return both kinds exactly as given, and never compare them: the sequence number is an opaque
 * string to the store (a numeric column would lose both 128-bit precision and the sentinels).
 *
 * ## Lifecycle
 * Constructors do no I/O. `start()` checks the store (and may fail with a typed
 * {@link StateStoreError}); `close()` releases the adapter's own resources. Both are idempotent.
 * Calling any other method before `start()` or after `close()` rejects with a `LifecycleError`
 * (code `NOT_STARTED` or `CLOSED`), and so does `start()` after `close()` (code `CLOSED`): a closed
 * adapter is never reopened; create a new one.
 *
 * **Who closes an adapter: its creator.** A consumer given an adapter (`state: myAdapter`) starts it
 * if needed (`start()` is idempotent) but never closes it: the same adapter may serve several
 * consumers, or outlive one; whoever created it calls `close()` after the last consumer using it
 * closed. An adapter the consumer created itself (the default in-memory one) is closed by the
 * consumer. Likewise, an adapter never closes an SDK client or connection it was given; it closes
 * only the ones it created.
 *
 * ## Proving an adapter
 * `describeStateAdapterConformance` from `@kinesis-ts/core/testing` registers vitest tests that
 * check every rule above (concurrent takers in one process and, given a module that builds the
 * adapter, in 4 processes; stale fences, counters, handoff, expiry, isolation, large and aborted
 * listings, argument validation, lifecycle). The package README documents its options in full.
 */
import type { Checkpoint } from './records.js';

/** Which consumer group reads which stream: the namespace of a set of leases. */
export interface LeaseScope {
  /** Consumer group (KCL: application name). Instances with the same group share the shards. */
  readonly consumerGroup: string;
  /** Stream name. */
  readonly streamName: string;
}

/** One shard's lease as stored. Adapters return fresh objects; callers may keep them. */
export interface Lease {
  /** Consumer group of the lease. */
  readonly consumerGroup: string;
  /** Stream of the lease. */
  readonly streamName: string;
  /** Shard id (`shardId-000000000000`). */
  readonly shardId: string;
  /** Current owner, or `null` when nobody holds it (new or released). */
  readonly owner: string | null;
  /** Incremented by every take, renew, release and end. Starts at 0 when created. */
  readonly leaseCounter: number;
  /** Last checkpoint, or `null` when none was written (the consumer then uses its initial position). */
  readonly checkpoint: Checkpoint | null;
  /** Parent shard ids (0, 1 or 2), recorded at creation; never changed afterwards. */
  readonly parentShardIds: readonly string[];
  /** True once the shard was read to SHARD_END and its last record checkpointed. */
  readonly ended: boolean;
  /** An instance that asked for a graceful handoff, or `null`. */
  readonly pendingOwner: string | null;
  /** When the lease was last written, by the writer's clock. Informational: never used for expiry. */
  readonly updatedAt?: Date | undefined;
}

/** What a conditional write expects to find: the owner and counter the caller last saw. */
export interface LeaseFence {
  /** The owner the caller believes holds the lease (`null` for an unowned lease, e.g. when taking). */
  readonly owner: string | null;
  /** The counter the caller last observed. */
  readonly leaseCounter: number;
}

/** Options of {@link StateAdapter.createLease}. */
export interface CreateLeaseOptions {
  /** Parent shard ids from ListShards (`ParentShardId`, `AdjacentParentShardId`). */
  readonly parentShardIds?: readonly string[];
}

/** Options of {@link StateAdapter.releaseLease}. */
export interface ReleaseLeaseOptions {
  /**
   * When true and the lease has a `pendingOwner`, ownership passes straight to it (graceful handoff)
   * instead of leaving the lease unowned.
   */
  readonly handoff?: boolean;
}

/** Options of {@link StateAdapter.listLeases}. */
export interface ListLeasesOptions {
  /**
   * Aborts a long listing. When the signal is already aborted the call rejects with `signal.reason`
   * without reading. An adapter that pages checks the signal before each page (and may pass it to
   * its client); once aborted it stops paging and rejects with `signal.reason` (the very object,
   * never a wrapper). A listing that completed before the abort may resolve. An abort changes
   * nothing in the store and leaves the adapter fully usable: other listings and writes, in flight
   * or later, are unaffected.
   */
  readonly signal?: AbortSignal;
}

/** What an adapter supports. Omitted fields take the documented defaults. */
export interface StateAdapterCapabilities {
  /**
   * Instances in different processes (or hosts) can share the store. Default `true`. `false` for
   * in-memory stores: the consumer then refuses to share leases across processes.
   */
  readonly sharedAcrossProcesses?: boolean;
  /** Leases and checkpoints survive a restart of the process. Default `true`. */
  readonly durable?: boolean;
  /** `listLeases` reflects every write that completed before it started. Default `true`. */
  readonly consistentListing?: boolean;
}

/** Capabilities with defaults applied. */
export type ResolvedStateAdapterCapabilities = Required<StateAdapterCapabilities>;

/** Applies the documented defaults to an adapter's declared capabilities. */
export function resolveCapabilities(
  capabilities: StateAdapterCapabilities | undefined,
): ResolvedStateAdapterCapabilities {
  return {
    sharedAcrossProcesses: capabilities?.sharedAcrossProcesses ?? true,
    durable: capabilities?.durable ?? true,
    consistentListing: capabilities?.consistentListing ?? true,
  };
}

/**
 * Leases and checkpoints for consumers. Implement this to store state anywhere; run the conformance
 * suite from `@kinesis-ts/core/testing` to prove the implementation keeps the fencing rules above.
 */
export interface StateAdapter {
  /** Declared capabilities (see {@link StateAdapterCapabilities} for defaults). */
  readonly capabilities?: StateAdapterCapabilities;

  /**
   * Connects and checks the store. Idempotent; concurrent calls share one attempt.
   * @throws LifecycleError `CLOSED` after {@link StateAdapter.close}: a closed adapter never reopens.
   */
  start(): Promise<void>;

  /**
   * Releases the adapter's own resources (not the leases, not a client it was given). Idempotent.
   * Called by whoever created the adapter, never by a consumer it was given to.
   */
  close(): Promise<void>;

  /**
   * Every lease of one consumer group on one stream, in any order. Pages through the store
   * underneath, so any number of shards (thousands) is returned in full.
   */
  listLeases(scope: LeaseScope, options?: ListLeasesOptions): Promise<Lease[]>;

  /** One lease, or `null` when it does not exist. */
  getLease(scope: LeaseScope, shardId: string): Promise<Lease | null>;

  /**
   * Creates an unowned lease (counter 0, no checkpoint) for a shard if none exists, recording its
   * parents. Idempotent: when the lease already exists it is returned unchanged.
   */
  createLease(scope: LeaseScope, shardId: string, options?: CreateLeaseOptions): Promise<Lease>;

  /**
   * Takes a lease for `newOwner`, conditional on the owner and counter the caller observed (`fence`).
   * Increments the counter and clears `pendingOwner`. Used for unowned, expired and stolen leases.
   * @throws LeaseConflictError when the lease changed since it was observed, or does not exist.
   */
  takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease>;

  /**
   * Renews a held lease: increments the counter, conditional on owner + counter.
   * The returned lease shows a `pendingOwner` when another instance asked for a handoff.
   * @throws LeaseLostError when the caller no longer holds the lease as fenced.
   */
  renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease>;

  /**
   * Stores a checkpoint, conditional on owner + counter. Leaves the counter unchanged.
   * @throws LeaseLostError when the caller no longer holds the lease as fenced.
   */
  checkpoint(scope: LeaseScope, shardId: string, fence: LeaseFence, checkpoint: Checkpoint): Promise<Lease>;

  /**
   * Releases a held lease (owner becomes `null`, or the pending owner when `handoff` is set),
   * conditional on owner + counter; increments the counter and clears `pendingOwner`. A released
   * lease can be taken at once (fence: owner `null` and the returned counter).
   * @throws LeaseLostError when the caller no longer holds the lease as fenced.
   */
  releaseLease(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    options?: ReleaseLeaseOptions,
  ): Promise<Lease>;

  /**
   * Marks the shard as read to its end (`ended: true`), optionally storing the final checkpoint,
   * conditional on owner + counter; increments the counter. The lease stays owned until released.
   * @throws LeaseLostError when the caller no longer holds the lease as fenced.
   */
  markShardEnded(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    finalCheckpoint?: Checkpoint,
  ): Promise<Lease>;

  /** The stored checkpoint of a shard, or `null` when none exists (or no lease exists). */
  getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null>;

  /**
   * Asks the current owner to hand the lease over to `requester`: sets `pendingOwner`, conditional on
   * the owner still being `fence.owner` (the counter may move: the owner keeps renewing). Does not
   * change the counter. The owner sees the request on its next renew, checkpoints what it delivered
   * and releases with `{ handoff: true }`. Repeating the request of the requester already pending
   * succeeds and changes nothing (safe to retry).
   * @throws LeaseConflictError when the owner changed, the lease is unowned (take it instead) or does
   *   not exist, or another requester's handoff is already pending.
   */
  requestHandoff(scope: LeaseScope, shardId: string, fence: LeaseFence, requester: string): Promise<Lease>;
}
