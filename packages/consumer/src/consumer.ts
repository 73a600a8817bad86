/**
 * KinesisConsumer: the public face. Reads every shard this instance holds a lease for and delivers
 * user records through an async iterator or a batch handler, with batched checkpoints.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  abortable,
  assertKnownOptions,
  backoffDelay,
  compareCheckpoints,
  ErrorCode,
  isKinesisTsError,
  type KinesisRecord,
  KinesisTsError,
  LeaseLostError,
  LifecycleError,
  type Logger,
  type OptionKeys,
  prefixLogger,
  SafeEventEmitter,
  type StateAdapter,
  StateStoreError,
  sleep,
  ValidationError,
} from '@kinesis-ts/core';
import { MemoryState } from '@kinesis-ts/state-memory';
import { type BatchRetrierObserver, retryBatch } from './batch-retrier.js';
import { boundedKinesisApi } from './bounded-kinesis-api.js';
import { Coordinator, START_RETRY_BACKOFF, startPositionFor } from './coordinator.js';
import type { ConsumerEventMap, ConsumerEventSink } from './events.js';
import type { FailureDestination } from './failure-destination.js';
import {
  type FailurePolicyOptions,
  type FailureStats,
  type ResolvedFailurePolicy,
  resolveFailurePolicy,
} from './failure-policy.js';
import type { WorkerFanOutConfig } from './fan-out/fan-out-factory.js';
import { type FanOutSetup, startFanOut } from './fan-out/fan-out-setup.js';
import type { HeldLease } from './held-lease.js';
import { type BatchResponse, readBatchResponse } from './item-identifier.js';
import type { KinesisApi } from './kinesis-api.js';
import {
  createKinesisClient,
  sdkKinesisApi,
  transferableClientConfig,
  transferableCredentials,
} from './kinesis-client.js';
import { type KinesisConsumerOptions, type ResolvedConsumerOptions, resolveOptions } from './options.js';
import { RecordFailurePolicy } from './record-failure-policy.js';
import { InlineRunner } from './runners/inline.js';
import { processLauncher } from './runners/process.js';
import { threadLauncher } from './runners/thread.js';
import type { ShardRunner, TransferableCredentials, WorkerClientConfig } from './runners/transport.js';
import { loadWorkerClientModule } from './runners/worker-client-module.js';
import { WorkerPool } from './runners/worker-pool.js';
import { resolveWorkerScript } from './runners/worker-script.js';
import { type SessionOutcome, ShardSession } from './shard-session.js';
import { callStore, isPermanentError, storeError } from './store-call.js';

/** What a batch handler gets besides the records. */
export interface BatchContext {
  /** The shard the records come from. */
  readonly shardId: string;
  /**
   * 1 on the first call with these records; with a failure policy, 1 + the failed calls of the same
   * records before (a retry).
   */
  readonly attempt: number;
  /** How far behind the tip the shard was when the batch was fetched. */
  readonly millisBehindLatest: number;
  /**
   * Aborted when this shard stops here (lease lost or handed over, consumer closing). A handler that
   * stops early because of it must throw (e.g. `signal.throwIfAborted()`): a handler that resolves
   * counts its whole batch as processed, and the batch may then be checkpointed.
   */
  readonly signal: AbortSignal;
  /**
   * Writes a checkpoint now, at `record` (default: the batch's last record), instead of waiting for
   * the batched checkpoint after the handler resolves. Rejects with `LeaseLostError` when the lease
   * is gone.
   */
  checkpoint(record?: KinesisRecord): Promise<void>;
}

/**
 * A batch handler: called with one shard's records in order; batches of one shard never overlap. It may
 * return a partial batch response (`{ batchItemFailures: [{ itemIdentifier }] }`, see `itemIdentifier`),
 * which `run(handler, { failure })` applies (without a failure policy, a non-empty one stops the
 * consumer like a thrown error).
 */
export type BatchHandler = (
  records: KinesisRecord[],
  context: BatchContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers that return nothing (`async () => {}`) must fit.
) => Promise<void | BatchResponse> | void | BatchResponse;

/** Options of `run()`. */
export interface RunOptions {
  /**
   * What happens when the handler fails (retries, bisecting, record age, a destination), after AWS
   * Lambda's Kinesis event source mapping. Without it, a failing handler stops the consumer.
   */
  readonly failure?: FailurePolicyOptions;
  /**
   * Aborting it closes the consumer exactly like `close()` (handlers finish, checkpoints are flushed,
   * leases released) and `run()` then resolves, as after `close()`. An already aborted signal closes
   * the consumer at once (nothing is read). Like `server.listen({ signal })` in Node.
   */
  readonly signal?: AbortSignal;
}

/** Options of `start()`. */
export interface StartOptions {
  /**
   * Aborting it before start-up finished rejects `start()` with `signal.reason` and ends the start-up
   * (state store retries, the first lease scan) as a failed start does: the consumer closes itself,
   * and `close()` resolves. Aborting it after `start()` resolved does nothing.
   */
  readonly signal?: AbortSignal;
}

/** Counters of a consumer since it was created. */
export interface ConsumerStats extends FailureStats {
  /** Records that looked like KPL aggregates and were not (delivered raw). */
  readonly invalidAggregates: number;
  /**
   * Records processed by the user's code: handler calls that resolved (their records), records the
   * iterator moved past. Records retried by a failure policy count once they succeed.
   */
  readonly recordsProcessed: number;
}

const RUN_OPTION_KEYS: OptionKeys<RunOptions> = { failure: true, signal: true };
const START_OPTION_KEYS: OptionKeys<StartOptions> = { signal: true };

/** Checks an options object with an optional `signal`. */
function checkSignalOptions<T extends object>(
  options: T,
  keys: OptionKeys<T>,
  method: string,
): AbortSignal | undefined {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, `${method}: options must be an object`, {
      context: { options: options === null ? 'null' : typeof options },
    });
  }
  assertKnownOptions(options, keys, { subject: `${method} option` });
  const signal = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, `${method}: signal must be an AbortSignal`, {
      context: { option: 'signal', type: signal === null ? 'null' : typeof signal },
    });
  }
  return signal;
}

type Mode = 'iterator' | 'run' | null;

/** The shard session whose batch handler is running (to spot `close()` called from a handler). */
const handlerScope = new AsyncLocalStorage<ShardSession>();

/**
 * Reads a Kinesis stream: `for await (const record of consumer)` or `consumer.run(handler)`.
 *
 * The constructor validates options and does no I/O. `start()` (called by the iterator and `run()`)
 * starts the state adapter, checks the stream and takes leases. `close()` stops fetching, flushes
 * checkpoints of processed records, releases leases and ends every shard process. Both idempotent.
 *
 * A Node `EventEmitter` of {@link ConsumerEvents} (`on`, `once`, `off`, `events.once(consumer, 'lag')`,
 * `events.on(consumer, 'lag')`), with two differences that keep user code from breaking the consumer:
 * a listener that throws (or rejects) is logged at error level and the other listeners still run; and
 * an `error` event without listeners does not throw (non-fatal errors are logged at warn level either
 * way; fatal errors end iteration / reject `run()`).
 */
export class KinesisConsumer
  extends SafeEventEmitter<ConsumerEventMap>
  implements AsyncIterable<KinesisRecord>
{
  readonly #o: ResolvedConsumerOptions;
  readonly #events: ConsumerEventSink;
  readonly #logger: Logger;
  readonly #state: StateAdapter;
  readonly #ownState: boolean;
  #client: KinesisClient | null = null;
  #ownClient = false;
  #api: KinesisApi | null = null;
  #runner: ShardRunner | null = null;
  /** Enhanced fan-out state once started (`null`: polling). */
  #fanOut: FanOutSetup | null = null;
  #coordinator: Coordinator | null = null;
  #workerClient: Promise<WorkerClientConfig> | null = null;
  readonly #sessions = new Map<string, ShardSession>();
  readonly #live = new Set<ShardSession>();
  readonly #aborts = new Map<ShardSession, AbortController>();
  readonly #inflight = new Map<ShardSession, Promise<void>>();
  #ready: ShardSession[] = [];
  readonly #readySet = new Set<ShardSession>();
  #waiters: Array<() => void> = [];
  #mode: Mode = null;
  #handler: BatchHandler | null = null;
  #failure: ResolvedFailurePolicy | null = null;
  /** Destinations to close at the end of close() (run's and the iterator policies'). */
  readonly #destinations = new Set<FailureDestination>();
  readonly #failureStats = {
    handlerFailures: 0,
    retries: 0,
    bisections: 0,
    recordsSentToDestination: 0,
    recordsSkippedByAge: 0,
    destinationFailures: 0,
  };
  #runSettle: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  #fatal: unknown = null;
  #startPromise: Promise<void> | null = null;
  /** The start-up finished (resolved). */
  #startDone = false;
  #closePromise: Promise<void> | null = null;
  #closing = false;
  /**
   * Keeps the process alive from `start()` until `close()` finished, like a server: the library's own
   * timers are `unref()`'d, so without it a standby instance (no lease) or an idle inline consumer
   * would let Node exit under a pending `for await` / `run()`.
   */
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  /** Aborted by close(): ends start-up retries at once. */
  readonly #startAbort = new AbortController();
  /** Held leases whose loss was reported (one `leaseLost` per lease). */
  readonly #lossReported = new WeakSet<HeldLease>();
  #invalidAggregates = 0;
  /** The last computed per-shard buffer bound and the shard count it is for. */
  #limits = { shards: 0, records: 0, bytes: 0 };
  #recordsProcessed = 0;

  /** @throws ValidationError when an option is invalid. */
  constructor(options: KinesisConsumerOptions) {
    super();
    this.#o = resolveOptions(options);
    this.#logger = prefixLogger(this.#o.logger, '[kinesis-ts consumer]');
    this.#events = {
      emit: (event, payload) => {
        if (event === 'invalidAggregate') this.#invalidAggregates += 1;
        (this.emit as (event: string, payload: unknown) => boolean)(event, payload);
      },
    };
    this.#ownState = this.#o.state === undefined;
    this.#state = this.#o.state ?? new MemoryState({ clock: this.#o.clock });
  }

  /** This instance's owner id in leases. */
  get instanceId(): string {
    return this.#o.instanceId;
  }

  /** The consumer group. */
  get consumerGroup(): string {
    return this.#o.consumerGroup;
  }

  /** Shards this instance currently reads. */
  get ownedShards(): string[] {
    return [...this.#sessions.keys()].sort();
  }

  /**
   * Records fetched and not yet processed, over all owned shards (bounded by `maxBufferedRecords` per
   * shard and `maxInstanceBufferedRecords` in all, each overshot by at most one GetRecords batch a shard).
   */
  get bufferedRecords(): number {
    let total = 0;
    for (const session of this.#sessions.values()) total += session.bufferedRecords;
    return total;
  }

  /** Payload bytes fetched and not yet processed, over all owned shards. */
  get bufferedBytes(): number {
    let total = 0;
    for (const session of this.#sessions.values()) total += session.bufferedBytes;
    return total;
  }

  /** Records that looked like KPL aggregates and were not (delivered raw), since construction. */
  get invalidAggregates(): number {
    return this.#invalidAggregates;
  }

  /** Counters: failure policy (retries, bisections, records sent to the destination, ...) and more. */
  stats(): ConsumerStats {
    return {
      ...this.#failureStats,
      invalidAggregates: this.#invalidAggregates,
      recordsProcessed: this.#recordsProcessed,
    };
  }

  /** Process ids of the shard processes (process runner), by shard. */
  get shardProcessIds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [shardId, session] of this.#sessions)
      if (session.pid !== undefined) out[shardId] = session.pid;
    return out;
  }

  /** Logs what a listener threw; the other listeners still ran. */
  protected override listenerFailed(error: unknown, event: string | symbol): void {
    this.#logger.error('event listener threw', { event: String(event), error });
  }

  /**
   * Starts the state adapter, checks the stream and runs the first lease scan. Idempotent.
   * `options.signal` aborting first rejects with its reason and closes the consumer (as a failed start).
   * @throws KinesisTsError `STREAM_NOT_FOUND`, `StateStoreError`, `LifecycleError` after `close()`.
   */
  start(options: StartOptions = {}): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = checkSignalOptions(options, START_OPTION_KEYS, 'start()');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing) return Promise.reject(this.#closedError());
    if (signal?.aborted === true && this.#startPromise === null) {
      // Never started: nothing to end but the consumer itself (as after a failed start).
      this.#fail(signal.reason);
      return Promise.reject(signal.reason);
    }
    this.#keepAlive ??= setInterval(() => {}, 1 << 30);
    this.#startPromise ??= this.#start().then(
      () => {
        this.#startDone = true;
      },
      (error: unknown) => {
        this.#fail(error);
        throw error;
      },
    );
    const startPromise = this.#startPromise;
    if (signal === undefined || this.#startDone) return startPromise;
    return this.#abortableStart(startPromise, signal);
  }

  /** `start()` with a signal: rejects with its reason when it aborts first, and fails the start-up. */
  #abortableStart(startPromise: Promise<void>, signal: AbortSignal): Promise<void> {
    // An abort that wins ends the start-up as a failed one does: the consumer closes itself.
    return abortable(startPromise, signal, () => {
      if (!this.#startDone) this.#fail(signal.reason);
    });
  }

  /**
   * Starts the state adapter, retrying failures and calls that do not answer until `startTimeoutMs`
   * (a misconfigured store fails at once). Adapter errors come out typed, with their `cause`.
   */
  async #startState(deadline: number): Promise<void> {
    const o = this.#o;
    const scope = { consumerGroup: o.consumerGroup, streamName: o.streamName };
    for (let attempt = 0; ; attempt++) {
      const left = deadline - o.clock.now();
      try {
        await callStore(
          { clock: o.clock, timeoutMs: Math.max(1, Math.min(left, o.failoverTimeMs)), scope },
          'state adapter start()',
          () => this.#state.start(),
        );
        return;
      } catch (error) {
        const typed = storeError('state adapter start()', error, scope);
        if (isPermanentError(typed) || this.#closing) throw typed;
        if (deadline - o.clock.now() <= 0) {
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `the state adapter did not start within startTimeoutMs (${o.startTimeoutMs} ms); last failure: ${typed.message}`,
            { cause: typed, context: { ...scope, attempts: attempt + 1 } },
          );
        }
        this.#nonFatal(typed);
        const backoff = backoffDelay(attempt + 1, START_RETRY_BACKOFF);
        try {
          await sleep(
            Math.max(0, Math.min(backoff, deadline - o.clock.now())),
            o.clock,
            this.#startAbort.signal,
          );
        } catch {
          return; // close() during start-up: #start sees #closing and stops there
        }
      }
    }
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const deadline = o.clock.now() + o.startTimeoutMs;
    // A module that cannot be loaded here would fail every shard worker: reject start() naming it.
    if (o.workerClientModule !== undefined && o.runner !== 'inline')
      await loadWorkerClientModule(o.workerClientModule);
    await this.#startState(deadline);
    if (this.#closing) return;
    if (o.kinesisClient !== undefined) {
      // Typed structurally for users on any SDK 3.x; at run time it is a KinesisClient (one copy of the
      // SDK: it is a peer dependency).
      this.#client = o.kinesisClient as unknown as KinesisClient;
    } else {
      this.#client = createKinesisClient(o.clientConfig, o.credentials);
      this.#ownClient = true;
    }
    this.#api = boundedKinesisApi(o.kinesisApi ?? sdkKinesisApi(this.#client), {
      timeoutMs: o.requestTimeoutMs,
      clock: o.clock,
    });
    if (o.fanOut !== null) {
      this.#fanOut = await startFanOut({
        client: this.#client,
        kinesisApi: o.kinesisApi,
        streamName: o.streamName,
        options: o.fanOut,
        clock: o.clock,
        logger: this.#logger,
      });
      if (this.#closing) return;
    }
    this.#runner = this.#createRunner(this.#api);
    this.#coordinator = new Coordinator({
      state: this.#state,
      scope: { consumerGroup: o.consumerGroup, streamName: o.streamName },
      owner: o.instanceId,
      api: this.#api,
      clock: o.clock,
      logger: this.#logger,
      initialPosition: o.initialPosition,
      failoverTimeMs: o.failoverTimeMs,
      renewIntervalMs: o.renewIntervalMs,
      leaseScanIntervalMs: o.leaseScanIntervalMs,
      shardSyncIntervalMs: o.shardSyncIntervalMs,
      handoffTimeoutMs: o.handoffTimeoutMs,
      stateTimeoutMs: o.stateTimeoutMs,
      startTimeoutMs: Math.max(1, deadline - o.clock.now()),
      callbacks: {
        acquired: (held, stolen) => this.#acquired(held, stolen),
        lost: (shardId, reason) => this.#lost(shardId, reason),
        handoffRequested: (shardId) => void this.#handoff(shardId),
        error: (error) => this.#nonFatal(error),
        fatal: (error) => this.#fail(error),
      },
    });
    await this.#coordinator.start();
  }

  #createRunner(api: KinesisApi): ShardRunner {
    switch (this.#o.runner) {
      case 'inline':
        return new InlineRunner({
          api,
          clock: this.#o.clock,
          ...(this.#fanOut === null ? {} : { sourceFactory: this.#fanOut.inlineSourceFactory }),
        });
      default: {
        const thread = this.#o.runner === 'thread';
        // An ES module workerClientModule imports the SDK as an ES module: a worker of this build's own
        // format then shares that copy instead of loading the CommonJS one beside it.
        const script = resolveWorkerScript(this.#o.workerScript, {
          preferCommonJs: this.#o.workerClientModule === undefined,
        });
        return new WorkerPool({
          kind: thread ? 'thread' : 'process',
          launch: thread ? threadLauncher(script) : processLauncher(script),
          maxWorkers: thread ? this.#o.maxThreads : this.#o.maxProcesses,
          // A worker that does not stop a killed shard reader in this long is hung: killed whole.
          unresponsiveMs: Math.min(this.#o.heartbeatTimeoutMs, 10_000),
          clock: this.#o.clock,
          logger: this.#logger,
        });
      }
    }
  }

  async #workerSetup(): Promise<{
    client: WorkerClientConfig;
    credentials: TransferableCredentials | null;
    fanOut: WorkerFanOutConfig | null;
  }> {
    const fanOut = this.#fanOut?.worker ?? null;
    if (this.#runner?.kind === 'inline' || this.#client === null) {
      return { client: {}, credentials: null, fanOut };
    }
    const clientModule = this.#o.workerClientModule;
    this.#workerClient ??= transferableClientConfig(this.#client).then((config) =>
      clientModule === undefined ? config : { ...config, clientModule },
    );
    const [client, credentials] = await Promise.all([this.#workerClient, this.#credentials()]);
    return { client, credentials, fanOut };
  }

  async #credentials(): Promise<TransferableCredentials | null> {
    if (this.#client === null) return null;
    try {
      return await transferableCredentials(this.#client);
    } catch (error) {
      this.#logger.warn('could not resolve credentials for shard workers; they fall back to the SDK chain', {
        error,
      });
      return null;
    }
  }

  #acquired(held: HeldLease, stolen: boolean): void {
    const shardId = held.shardId;
    // A session still registered for the shard belongs to a holder this instance gave up: it must not
    // read next to the new one.
    const stale = this.#sessions.get(shardId);
    if (stale !== undefined) this.#sessionLost(stale, 'lease re-acquired by this instance');
    this.#events.emit('leaseAcquired', { shardId, leaseCounter: held.lease.leaseCounter, stolen });
    const session = new ShardSession({
      held,
      spec: {
        streamName: this.#o.streamName,
        shardId,
        hashKeyRange: this.#coordinator?.shardInfo(shardId)?.hashKeyRange ?? null,
        position: startPositionFor(held.lease, this.#o.initialPosition),
      },
      runner: this.#runner!,
      options: this.#o,
      events: this.#events,
      logger: this.#logger,
      hashKeyRange: async () => {
        try {
          return (await this.#coordinator?.shardRange(shardId)) ?? null;
        } catch (error) {
          this.#logger.warn('hash-key range unknown; aggregated records are not filtered by range', {
            shardId,
            error,
          });
          return null;
        }
      },
      bufferLimits: () => this.#bufferLimits(),
      workerClient: () => this.#workerSetup(),
      credentials: () => this.#credentials(),
      onRecords: (s) => this.#onRecords(s),
      onFinished: (s, outcome) => this.#onFinished(s, outcome),
      onLeaseLost: (s, error) => {
        if (s.held.duplicateInstance !== null) {
          this.#fail(s.held.duplicateInstance);
          return;
        }
        this.#sessionLost(s, error.message);
      },
      onFatal: (error) => this.#fail(error),
    });
    this.#sessions.set(shardId, session);
    this.#live.add(session);
    this.#aborts.set(session, new AbortController());
    // Acquired while closing: never started, released by close().
    if (!this.#closing) session.start();
    // Every shard's share of the instance's buffer budget just shrank.
    for (const other of this.#sessions.values()) if (other !== session) other.rebalance();
  }

  /**
   * One shard's buffer bound: the per-shard options, lowered to the shard's share of the instance-wide
   * budget (at least one record and 64 KiB, so every shard keeps moving).
   */
  #bufferLimits(): { readonly records: number; readonly bytes: number } {
    // Shared by the shards owned now, or as many as the last lease scan planned to own (so the first
    // shards taken do not fill the whole budget before the others start). Called per processed record
    // in iterator mode: the result is kept until the share changes, so nothing is allocated per record.
    const shards = Math.max(1, this.#sessions.size, this.#coordinator?.targetLeases ?? 0);
    if (this.#limits.shards !== shards) {
      const o = this.#o;
      this.#limits = {
        shards,
        records: Math.min(
          o.maxBufferedRecords,
          Math.max(1, Math.floor(o.maxInstanceBufferedRecords / shards)),
        ),
        bytes: Math.min(
          o.maxBufferedBytes,
          Math.max(64 * 1024, Math.floor(o.maxInstanceBufferedBytes / shards)),
        ),
      };
    }
    return this.#limits;
  }

  /**
   * Removes a session from the owned shards. The coordinator keeps the lease (renewing it, and not
   * re-adopting it) until `dropLease` is set, i.e. after the release was written.
   */
  #forget(session: ShardSession, dropLease = true): void {
    if (this.#sessions.get(session.shardId) === session) this.#sessions.delete(session.shardId);
    if (dropLease) this.#coordinator?.drop(session.shardId, session.held);
    this.#aborts.get(session)?.abort();
    this.#aborts.delete(session);
  }

  /** The coordinator lost a lease (taken by another instance, or given up at its renewal deadline). */
  #lost(shardId: string, reason: string): void {
    const session = this.#sessions.get(shardId);
    if (session === undefined) {
      this.#events.emit('leaseLost', { shardId, reason });
      this.#logger.warn('lease lost', { shardId, reason });
      return;
    }
    this.#sessionLost(session, reason);
  }

  /** Stops a session whose lease is gone; reports the loss once per held lease. */
  #sessionLost(session: ShardSession, reason: string): void {
    if (!this.#lossReported.has(session.held)) {
      this.#lossReported.add(session.held);
      this.#events.emit('leaseLost', { shardId: session.shardId, reason });
      this.#logger.warn('lease lost', { shardId: session.shardId, reason });
    }
    this.#forget(session);
    void session.stop('lost').finally(() => this.#live.delete(session));
  }

  async #handoff(shardId: string): Promise<void> {
    const session = this.#sessions.get(shardId);
    if (session === undefined || this.#closing) return;
    this.#logger.info('handing a lease over', { shardId });
    this.#forget(session, false);
    // The batch being handled finishes first, so its checkpoint goes out before the release.
    await this.#inflight.get(session);
    await session.stop('handoff');
    this.#coordinator?.drop(shardId, session.held);
    this.#live.delete(session);
    this.#coordinator?.scanSoon();
  }

  #onFinished(session: ShardSession, outcome: SessionOutcome): void {
    this.#forget(session);
    this.#live.delete(session);
    if (outcome.type === 'ended') void this.#coordinator?.shardEnded(session.shardId, outcome.childShards);
    if (outcome.type === 'quarantined') {
      this.#coordinator?.quarantine(session.shardId, this.#o.crashWindowMs);
    }
  }

  #onRecords(session: ShardSession): void {
    if (this.#mode === 'run') {
      this.#pump(session);
      return;
    }
    if (!this.#readySet.has(session)) {
      this.#readySet.add(session);
      this.#ready.push(session);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #nonFatal(error: KinesisTsError): void {
    this.#logger.warn(error.message, { code: error.code });
    this.#events.emit('error', error);
  }

  #fail(error: unknown): void {
    if (this.#fatal !== null) return;
    this.#fatal = error;
    this.#logger.error('consumer failed', { error });
    this.#wake();
    void this.close();
  }

  #closedError(): LifecycleError {
    return new LifecycleError(ErrorCode.CLOSED, 'the consumer is closed', {
      context: { streamName: this.#o.streamName },
    });
  }

  #claim(mode: 'iterator' | 'run'): void {
    if (this.#closing) throw this.#closedError();
    if (this.#mode !== null) {
      throw new LifecycleError(
        ErrorCode.INVALID_ARGUMENT,
        `the consumer is already being consumed (${this.#mode})`,
        {
          context: { streamName: this.#o.streamName },
        },
      );
    }
    this.#mode = mode;
  }

  /**
   * Iterates user records, in order within each shard; shards interleave. A record counts as
   * processed (and may be checkpointed) when the loop asks for the next one. Leaving the loop
   * (`break`, `return`, a throw) closes the consumer; the record in hand is not checkpointed.
   * Iterating a closed consumer rejects with `LifecycleError`.
   */
  [Symbol.asyncIterator](): AsyncIterator<KinesisRecord> {
    let claimError: unknown = null;
    try {
      this.#claim('iterator');
    } catch (error) {
      claimError = error;
    }
    let previous: { session: ShardSession; record: KinesisRecord } | null = null;
    const done = { done: true, value: undefined } as IteratorReturnResult<undefined>;
    const next = async (): Promise<IteratorResult<KinesisRecord>> => {
      if (claimError !== null) throw claimError;
      if (previous !== null) {
        this.#recordsProcessed += 1;
        previous.session.processed(previous.record, 1, previous.record.data.byteLength);
        previous = null;
      }
      if (this.#fatal !== null) throw this.#fatal;
      if (this.#closing) return done;
      // Once started, start() would only re-check its (empty) options: not per record. The await stays
      // (one tick), so a close() called right after next() still ends this call.
      await (this.#startDone ? this.#startPromise : this.start());
      for (;;) {
        if (this.#fatal !== null) throw this.#fatal;
        if (this.#closing) return done;
        const session = this.#ready.shift();
        if (session === undefined) {
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
          continue;
        }
        const record = session.take();
        if (record === undefined) {
          this.#readySet.delete(session);
          continue;
        }
        if (session.hasRecords()) this.#ready.push(session);
        else this.#readySet.delete(session);
        previous = { session, record };
        return { done: false, value: record };
      }
    };
    return {
      next,
      return: async (): Promise<IteratorResult<KinesisRecord>> => {
        previous = null;
        if (claimError === null) await this.close();
        return done;
      },
    };
  }

  /**
   * Runs `handler` for every batch until `close()`; shards are handled concurrently, batches of one
   * shard one after another. A batch counts as processed when the handler resolves. Without
   * `options.failure`, if the handler throws, the consumer closes (the batch is not checkpointed) and
   * `run()` rejects with that error. With it, failed records are retried, bisected, or sent to the
   * destination (see the README, "When a handler fails"). Resolves after `close()` finished.
   * `options.signal` aborting closes the consumer like `close()`; `run()` then resolves.
   * @throws ValidationError for a handler that is not a function, an invalid failure policy or signal.
   */
  async run(handler: BatchHandler, options: RunOptions = {}): Promise<void> {
    if (typeof handler !== 'function') {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'run(handler): handler must be a function', {
        context: { handler: typeof handler },
      });
    }
    const signal = checkSignalOptions(options, RUN_OPTION_KEYS, 'run(handler, options)');
    const failure = options.failure === undefined ? null : resolveFailurePolicy(options.failure);
    this.#claim('run');
    this.#handler = handler;
    this.#failure = failure;
    const settled = new Promise<void>((resolve, reject) => {
      this.#runSettle = { resolve, reject };
    });
    // When start() fails, run() rejects with that error; `settled` then rejects with the same one.
    settled.catch(() => {});
    if (signal !== undefined) {
      // Aborting is close(): run() settles as after close() (resolves, unless the consumer failed).
      if (signal.aborted) {
        void this.close();
        return settled;
      }
      // Outside any handler's scope even when a handler aborts it: close() then waits for that
      // handler too, and its batch is checkpointed (unlike close() awaited inside a handler).
      const onAbort = (): void => handlerScope.exit(() => void this.close());
      signal.addEventListener('abort', onAbort, { once: true });
      void settled.then(
        () => signal.removeEventListener('abort', onAbort),
        () => signal.removeEventListener('abort', onAbort),
      );
    }
    await this.start();
    for (const session of this.#sessions.values()) if (session.hasRecords()) this.#pump(session);
    return settled;
  }

  #pump(session: ShardSession): void {
    if (this.#inflight.has(session) || this.#handler === null) return;
    const handler = this.#handler;
    const loop = async (): Promise<void> => {
      for (;;) {
        if (this.#closing || this.#fatal !== null) return;
        const abort = this.#aborts.get(session);
        if (abort === undefined || abort.signal.aborted) return;
        const records = session.takeBatch();
        if (records === undefined || records.length === 0) return;
        const call = (batch: KinesisRecord[], attempt: number): Promise<unknown> => {
          const context = this.#batchContext(session, batch, attempt, abort.signal);
          return handlerScope.run(session, async () => handler(batch, context));
        };
        const done =
          this.#failure === null
            ? await this.#handleOnce(session, records, abort.signal, call)
            : await this.#handleWithPolicy(session, records, abort.signal, this.#failure, call);
        if (!done) return;
      }
    };
    const running = loop().finally(() => this.#inflight.delete(session));
    this.#inflight.set(session, running);
  }

  #batchContext(
    session: ShardSession,
    batch: KinesisRecord[],
    attempt: number,
    signal: AbortSignal,
  ): BatchContext {
    const last = batch[batch.length - 1]!;
    return {
      shardId: session.shardId,
      attempt,
      millisBehindLatest: session.millisBehindLatest,
      signal,
      checkpoint: async (record?: KinesisRecord) => {
        const at = record ?? last;
        const processed = session.checkpointer.processed;
        // Never backwards (a record of an earlier batch): one comparison per call, not per record.
        if (processed === null || compareCheckpoints(at, processed) > 0)
          session.checkpointer.markProcessed(at, 0);
        await session.checkpointer.flush();
      },
    };
  }

  /** Marks `records[from..to)` processed (count and bytes summed once per call). */
  #markProcessed(session: ShardSession, records: readonly KinesisRecord[], from: number, to: number): void {
    let bytes = 0;
    for (let i = from; i < to; i++) bytes += records[i]!.data.byteLength;
    this.#recordsProcessed += to - from;
    session.processed(records[to - 1]!, to - from, bytes);
  }

  /** Counts and reports what the failure policy does on `shardId`. */
  #failureObserver(shardId: string): BatchRetrierObserver {
    const stats = this.#failureStats;
    const events = this.#events;
    return {
      handlerFailed: ({ records: count, error }) => {
        stats.handlerFailures += 1;
        this.#logger.warn('batch handler failed', {
          shardId,
          records: count,
          error,
        });
        events.emit('batchFailed', { shardId, records: count, error });
      },
      bisected: (info) => {
        stats.bisections += 1;
        events.emit('batchBisected', { shardId, ...info });
      },
      retrying: (info) => {
        stats.retries += 1;
        events.emit('batchRetry', { shardId, ...info });
      },
      sent: (failed) => {
        const count = failed.records.length;
        stats.recordsSentToDestination += count;
        if (failed.condition === 'RecordAgeExceeded') stats.recordsSkippedByAge += count;
        this.#logger.warn('records sent to the failure destination', {
          shardId,
          records: count,
          condition: failed.condition,
        });
        events.emit('sentToDestination', {
          shardId,
          records: count,
          condition: failed.condition,
          firstSequenceNumber: failed.records[0]!.sequenceNumber,
          lastSequenceNumber: failed.records[count - 1]!.sequenceNumber,
          attempts: failed.attempts,
          error: failed.error,
        });
      },
      destinationFailed: ({ error }) => {
        stats.destinationFailures += 1;
        this.#nonFatal(error);
      },
    };
  }

  /**
   * A failure policy for iterator mode: `await policy.handle(record, fn)` in the loop body retries
   * `fn` with backoff and gives the record to the destination when the policy is exhausted (same
   * options, counters and events as `run(handler, { failure })`; nothing to bisect for one record).
   * Its destination is closed by `close()`.
   * @throws ValidationError for an invalid policy.
   */
  failurePolicy(options: FailurePolicyOptions): RecordFailurePolicy {
    const policy = resolveFailurePolicy(options);
    if (policy.destination !== null) this.#destinations.add(policy.destination);
    return new RecordFailurePolicy({
      policy,
      streamName: this.#o.streamName,
      consumerGroup: this.#o.consumerGroup,
      clock: this.#o.clock,
      wallNow: () => Date.now(),
      // The shard's signal (aborted on a lost lease, a handoff and close); a shard no longer held here
      // (or the consumer closing) stops at once.
      signal: (record) => {
        const session = this.#sessions.get(record.shardId);
        const abort = session === undefined ? undefined : this.#aborts.get(session);
        return abort?.signal ?? AbortSignal.abort(this.#closedError());
      },
      observer: (shardId) => this.#failureObserver(shardId),
    });
  }

  /** No failure policy (the default): a failing handler stops the consumer. False: stop this loop. */
  async #handleOnce(
    session: ShardSession,
    records: KinesisRecord[],
    signal: AbortSignal,
    call: (batch: KinesisRecord[], attempt: number) => Promise<unknown>,
  ): Promise<boolean> {
    try {
      const response = await call(records, 1);
      const verdict = readBatchResponse(response, records);
      if (verdict.type !== 'ok') {
        throw new KinesisTsError(
          ErrorCode.BATCH_ITEM_FAILED,
          'the batch handler reported failed records (batchItemFailures) and run() has no failure policy: pass run(handler, { failure }) to retry them',
          { context: { shardId: session.shardId, records: records.length } },
        );
      }
    } catch (error) {
      if (signal.aborted || error instanceof LeaseLostError) {
        // The shard stopped here (lease lost or handed over, closing): the batch is not
        // checkpointed and the new owner reads it again. Not a reason to stop the consumer.
        this.#logger.warn('batch handler failed after its shard stopped', {
          shardId: session.shardId,
          error,
        });
        return false;
      }
      this.#fail(error);
      return false;
    }
    this.#markProcessed(session, records, 0, records.length);
    return true;
  }

  /** `run(handler, { failure })`: the batch goes through the retrier. False: stop this loop. */
  async #handleWithPolicy(
    session: ShardSession,
    records: KinesisRecord[],
    signal: AbortSignal,
    policy: ResolvedFailurePolicy,
    call: (batch: KinesisRecord[], attempt: number) => Promise<unknown>,
  ): Promise<boolean> {
    const shardId = session.shardId;
    const outcome = await retryBatch(records, {
      policy,
      streamName: this.#o.streamName,
      consumerGroup: this.#o.consumerGroup,
      shardId,
      clock: this.#o.clock,
      wallNow: () => Date.now(),
      signal,
      invoke: call,
      progress: (from, to) => this.#markProcessed(session, records, from, to),
      observer: this.#failureObserver(shardId),
    });
    if (outcome.type === 'failed') this.#fail(outcome.error);
    return outcome.type === 'done';
  }

  /**
   * Stops fetching, lets in-flight handler calls finish, flushes checkpoints of processed records,
   * releases every lease and ends every shard process. Idempotent; resolves when all is done.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#wake();
    try {
      await this.#closeSteps();
    } finally {
      if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
  }

  async #closeSteps(): Promise<void> {
    // Start-up retries (of the store and of the first scan) end at once.
    this.#startAbort.abort();
    const stopTaking = this.#coordinator?.stopTaking();
    await this.#startPromise?.catch(() => {});
    await stopTaking;
    // 1. No more scans or takes; a lease a running scan still takes reaches #acquired and is released
    // below. Held leases keep being renewed until their sessions released them, so no other instance
    // takes a shard while its batch is still being handled here.
    await this.#coordinator?.stopTaking();
    for (const abort of this.#aborts.values()) abort.abort();
    // 2. In-flight handlers finish. A handler that calls close() itself is not waited for (it would
    // wait for itself); its batch is not checkpointed and comes again after a restart.
    const caller = handlerScope.getStore();
    await Promise.all(
      [...this.#inflight].filter(([session]) => session !== caller).map(([, running]) => running),
    );
    // 3. Checkpoints of processed records, then releases (and of any lease a timed-out take got).
    const stopping = [...this.#live];
    await Promise.all(stopping.map((session) => session.stop('close')));
    await this.#runner?.close();
    if (this.#fatal === null || !isKinesisTsError(this.#fatal, ErrorCode.DUPLICATE_INSTANCE)) {
      await this.#coordinator?.releaseOrphans((shardId) =>
        stopping.some((s) => s.shardId === shardId && s.held.lost === null && !s.held.released),
      );
    }
    // 4. Renewals end.
    await this.#coordinator?.close();
    this.#live.clear();
    this.#sessions.clear();
    this.#ready = [];
    this.#readySet.clear();
    if (this.#fanOut !== null) {
      await this.#fanOut.close().catch((error: unknown) => {
        this.#logger.warn('closing enhanced fan-out failed', {
          error,
        });
      });
    }
    if (this.#failure?.destination) this.#destinations.add(this.#failure.destination);
    for (const destination of this.#destinations) {
      await destination.close?.().catch((error: unknown) => {
        this.#logger.warn('closing a failure destination failed', {
          error,
        });
      });
    }
    if (this.#ownState) await this.#state.close().catch(() => {});
    if (this.#ownClient) this.#client?.destroy();
    this.#logger.info('consumer closed', { instanceId: this.#o.instanceId });
    const settle = this.#runSettle;
    this.#runSettle = null;
    if (settle !== null) {
      if (this.#fatal !== null) settle.reject(this.#fatal);
      else settle.resolve();
    }
  }
}

/** Re-exported for typing custom errors in handlers. */
export type { KinesisTsError } from '@kinesis-ts/core';
