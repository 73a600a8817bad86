/**
 * The main-process side of one held shard: starts its worker (process, thread or inline), buffers
 * the batches it sends under a credit limit, feeds the checkpointer, and supervises the worker
 * (restart from the last received record with backoff, quarantine after repeated crashes, hang
 * detection by heartbeat).
 */
import {
  backoffDelay,
  type Checkpoint,
  ErrorCode,
  fromTransferableError,
  fromTransferableLogContext,
  isKinesisTsError,
  type KinesisRecord,
  KinesisTsError,
  LeaseLostError,
  type Logger,
  sleep,
  type TimerHandle,
} from '@kinesis-ts/core';
import { unpackRecords } from './batch-codec.js';
import { Checkpointer } from './checkpointer.js';
import type { ConsumerEventSink } from './events.js';
import type { WorkerFanOutConfig } from './fan-out/fan-out-factory.js';
import type { HeldLease } from './held-lease.js';
import type { ResolvedConsumerOptions } from './options.js';
import {
  type ChildShardInfo,
  describePosition,
  type ShardReadSpec,
  type StartPosition,
} from './record-source.js';
import type {
  FromWorkerMessage,
  ShardRunner,
  ShardWorkerHandle,
  TransferableCredentials,
  WorkerClientConfig,
} from './runners/transport.js';
import { pinLatest } from './start-position.js';

/** How a session ended. */
export type SessionOutcome =
  | { readonly type: 'ended'; readonly childShards: ChildShardInfo[] | null }
  | { readonly type: 'stopped' }
  | { readonly type: 'quarantined' };

/** What a session needs from the consumer. */
export interface ShardSessionDeps {
  readonly held: HeldLease;
  readonly spec: ShardReadSpec;
  readonly runner: ShardRunner;
  readonly options: ResolvedConsumerOptions;
  readonly events: ConsumerEventSink;
  readonly logger: Logger;
  /**
   * This shard's buffer bound now: the per-shard options, lowered to its share of the instance-wide
   * budget while the instance owns many shards. Default: the per-shard options.
   */
  readonly bufferLimits?: () => BufferLimits;
  /** Client config for workers (`null` credentials for the inline runner). */
  readonly workerClient: () => Promise<{
    client: WorkerClientConfig;
    credentials: TransferableCredentials | null;
    fanOut?: WorkerFanOutConfig | null;
  }>;
  /**
   * The shard's hash-key range when `spec` has none (a shard this instance has not listed yet, e.g. a
   * child created from another instance's ChildShards). `null` turns the KCL hash-range filter off.
   */
  readonly hashKeyRange?: () => Promise<ShardReadSpec['hashKeyRange']>;
  /** Fresh credentials for a worker that asked. */
  readonly credentials: () => Promise<TransferableCredentials | null>;
  /** Records became available. */
  readonly onRecords: (session: ShardSession) => void;
  /** The session finished (shard end, quarantine); not called for `stop()`. */
  readonly onFinished: (session: ShardSession, outcome: SessionOutcome) => void;
  /** The lease was lost while writing a checkpoint. */
  readonly onLeaseLost: (session: ShardSession, error: LeaseLostError) => void;
  /** A failure that ends the whole consumer (the stream is gone). */
  readonly onFatal: (error: KinesisTsError) => void;
}

/** How much a shard may have fetched and not yet processed. */
export interface BufferLimits {
  readonly records: number;
  readonly bytes: number;
}

interface QueuedBatch {
  readonly records: KinesisRecord[];
  next: number;
}

type State = 'idle' | 'running' | 'restarting' | 'ending' | 'stopping' | 'stopped';

const STOP_GRACE_MS = 5000;

/** One held shard in the main process. */
export class ShardSession {
  readonly shardId: string;
  readonly #d: ShardSessionDeps;
  readonly checkpointer: Checkpointer;
  #state: State = 'idle';
  #worker: ShardWorkerHandle | null = null;
  #workerExit: Promise<void> = Promise.resolve();
  #queue: QueuedBatch[] = [];
  #queued = 0;
  /** Received and not yet processed (queued + handed out). */
  #heldRecords = 0;
  #heldBytes = 0;
  /** Credit granted to the worker and not used yet (mirrors the worker's count; may dip below 0 by one batch). */
  #creditRecords = 0;
  #creditBytes = 0;
  /** The fetch threshold the worker has now. */
  #sentMinFetch = 0;
  #lastReceived: Checkpoint | null = null;
  #endReceived = false;
  #childShards: ChildShardInfo[] | null = null;
  #crashes: number[] = [];
  #restarts = 0;
  #lastMessageAt = 0;
  #heartbeatTimer: TimerHandle | null = null;
  #stopPromise: Promise<void> | null = null;
  #millisBehindLatest = 0;
  #spec: ShardReadSpec;
  /** Where a restart before the first received record resumes (a `LATEST` start pinned to its time). */
  #restartPosition: StartPosition;
  readonly #stopRequested = new AbortController();

  constructor(deps: ShardSessionDeps) {
    this.#d = deps;
    this.shardId = deps.spec.shardId;
    this.#spec = deps.spec;
    this.#restartPosition = deps.spec.position;
    this.checkpointer = new Checkpointer({
      lease: deps.held,
      records: deps.options.checkpointRecords,
      ms: deps.options.checkpointMs,
      clock: deps.options.clock,
      onWritten: (checkpoint) =>
        deps.events.emit('checkpoint', {
          shardId: this.shardId,
          sequenceNumber: checkpoint.sequenceNumber,
          subSequenceNumber: checkpoint.subSequenceNumber,
        }),
      onLost: (error) => deps.onLeaseLost(this, error),
      onError: (error) => deps.events.emit('error', error),
    });
  }

  /** The held lease. */
  get held(): HeldLease {
    return this.#d.held;
  }

  /** True while the session may still hand out records. */
  get active(): boolean {
    return this.#state === 'running' || this.#state === 'restarting' || this.#state === 'ending';
  }

  /** Records buffered and not handed out yet. */
  get queuedRecords(): number {
    return this.#queued;
  }

  /** Records received and not yet processed. */
  get bufferedRecords(): number {
    return this.#heldRecords;
  }

  /** Payload bytes received and not yet processed. */
  get bufferedBytes(): number {
    return this.#heldBytes;
  }

  /** The last `millisBehindLatest` reported. */
  get millisBehindLatest(): number {
    return this.#millisBehindLatest;
  }

  /** The OS pid of the shard process (process runner). */
  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  /** Starts the worker. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    // A worker restarted before the first record must not go back to LATEST (see start-position.ts).
    this.#restartPosition = pinLatest(this.#spec.position, Date.now());
    void this.#spawn(this.#spec.position);
  }

  /** True when a record can be handed out now. */
  hasRecords(): boolean {
    return this.active && this.#queued > 0;
  }

  /** Hands out the next record (in shard order), or `undefined`. */
  take(): KinesisRecord | undefined {
    if (!this.active) return undefined;
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    const record = head.records[head.next++]!;
    this.#queued -= 1;
    if (head.next >= head.records.length) this.#queue.shift();
    return record;
  }

  /** Hands out the rest of the oldest batch, or `undefined`. */
  takeBatch(): KinesisRecord[] | undefined {
    if (!this.active) return undefined;
    const head = this.#queue.shift();
    if (head === undefined) return undefined;
    const records = head.next === 0 ? head.records : head.records.slice(head.next);
    this.#queued -= records.length;
    return records;
  }

  /** Applies a changed buffer bound now (the instance's share per shard moved): grants or revokes credit. */
  rebalance(): void {
    if (this.active) this.#topUp();
  }

  /** Marks handed-out records processed, up to and including `last`. */
  processed(last: KinesisRecord, count: number, bytes: number): void {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.checkpointer.markProcessed(last, count);
    this.#heldRecords -= count;
    this.#heldBytes -= bytes;
    this.#topUp();
    this.#maybeFinishShard();
  }

  #limits(): BufferLimits {
    const { maxBufferedRecords, maxBufferedBytes } = this.#d.options;
    return this.#d.bufferLimits?.() ?? { records: maxBufferedRecords, bytes: maxBufferedBytes };
  }

  /** Fetch only when this many records fit: half the bound, at most one call's limit. */
  #minFetch(limits: BufferLimits): number {
    return Math.max(1, Math.min(this.#d.options.maxRecordsPerCall, Math.ceil(limits.records / 2)));
  }

  /**
   * Grants the worker credit up to the current bound (held + granted ≤ bound), in steps of at least a
   * quarter of it (or when nothing is held), so the bound follows the instance's share as shards come
   * and go without a message per record.
   */
  #topUp(): void {
    const worker = this.#worker;
    if (worker === null) return;
    const limits = this.#limits();
    // The bound shrank (the instance took more shards): take back unused credit beyond it. A fetch
    // already in flight may still land: one batch over, as with any bound.
    const excessRecords = Math.min(
      this.#creditRecords,
      this.#heldRecords + this.#creditRecords - limits.records,
    );
    const excessBytes = Math.min(this.#creditBytes, this.#heldBytes + this.#creditBytes - limits.bytes);
    if (excessRecords > 0 || excessBytes > 0) {
      const revoke = { records: -Math.max(0, excessRecords), bytes: -Math.max(0, excessBytes) };
      this.#creditRecords += revoke.records;
      this.#creditBytes += revoke.bytes;
      this.#sentMinFetch = this.#minFetch(limits);
      worker.send({ type: 'credit', ...revoke, minFetchRecords: this.#sentMinFetch });
      return;
    }
    const records = limits.records - this.#heldRecords - Math.max(0, this.#creditRecords);
    const bytes = limits.bytes - this.#heldBytes - Math.max(0, this.#creditBytes);
    const minFetchRecords = this.#minFetch(limits);
    const thresholdChanged = minFetchRecords !== this.#sentMinFetch;
    if (records <= 0 && bytes <= 0 && !thresholdChanged) return;
    if (
      thresholdChanged ||
      this.#heldRecords === 0 ||
      records >= Math.max(1, Math.floor(limits.records / 4)) ||
      bytes >= Math.floor(limits.bytes / 4)
    ) {
      const grant = { records: Math.max(0, records), bytes: Math.max(0, bytes) };
      this.#creditRecords += grant.records;
      this.#creditBytes += grant.bytes;
      this.#sentMinFetch = minFetchRecords;
      worker.send({ type: 'credit', ...grant, minFetchRecords });
    }
  }

  /**
   * Stops the session: the worker ends, undelivered records are dropped. Unless `lost`, the processed
   * position is checkpointed and the lease released (to the pending owner for `handoff`). Idempotent.
   */
  stop(mode: 'close' | 'handoff' | 'lost' | 'quarantine'): Promise<void> {
    // Also ends a pending restart backoff and the retries of a shard-end write.
    this.#stopRequested.abort();
    this.#stopPromise ??= this.#stop(mode);
    return this.#stopPromise;
  }

  async #stop(mode: 'close' | 'handoff' | 'lost' | 'quarantine'): Promise<void> {
    // A shard that reached SHARD_END with records still unprocessed was not marked ended (that
    // happens once they are all processed, in #finishShard, which owns the stop then): it is
    // checkpointed and released like any other, so the next owner reads the rest.
    this.#state = 'stopping';
    this.#queue = [];
    this.#queued = 0;
    await this.#stopWorker();
    if (mode === 'lost') {
      this.checkpointer.stop();
      this.#state = 'stopped';
      return;
    }
    const { held, events } = this.#d;
    try {
      await this.checkpointer.flush();
    } catch {
      // Reported through the checkpointer's callbacks.
    }
    this.checkpointer.stop();
    if (held.lost === null && !held.released) {
      try {
        await held.release({ handoff: mode === 'handoff' });
        events.emit('leaseReleased', { shardId: this.shardId, reason: mode });
      } catch (error) {
        if (error instanceof LeaseLostError) {
          events.emit('leaseLost', { shardId: this.shardId, reason: 'lost before release' });
        } else {
          events.emit('error', asError(error, 'release failed', this.shardId));
        }
      }
    }
    this.#state = 'stopped';
  }

  async #spawn(position: StartPosition): Promise<void> {
    const { runner, options, events, logger } = this.#d;
    let setup: {
      client: WorkerClientConfig;
      credentials: TransferableCredentials | null;
      fanOut?: WorkerFanOutConfig | null;
    };
    try {
      if (this.#spec.hashKeyRange === null && this.#d.hashKeyRange !== undefined) {
        this.#spec = { ...this.#spec, hashKeyRange: await this.#d.hashKeyRange() };
      }
      setup = await this.#d.workerClient();
    } catch (error) {
      this.#crash(`could not prepare the shard worker: ${String((error as Error)?.message ?? error)}`);
      return;
    }
    if (!this.active || this.#endReceived) return;
    let worker: ShardWorkerHandle;
    try {
      worker = runner.spawn(this.shardId);
    } catch (error) {
      this.#crash(`could not start the shard worker: ${String((error as Error)?.message ?? error)}`);
      return;
    }
    this.#worker = worker;
    this.#state = this.#endReceived ? 'ending' : 'running';
    let resolveExit!: () => void;
    this.#workerExit = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    worker.onMessage((message) => this.#onMessage(worker, message));
    worker.onExit((reason) => {
      resolveExit();
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#clearHeartbeat();
      if (reason !== null && this.active && !this.#endReceived) this.#crash(reason);
    });
    const limits = this.#limits();
    this.#sentMinFetch = this.#minFetch(limits);
    this.#creditRecords = Math.max(0, limits.records - this.#heldRecords);
    this.#creditBytes = Math.max(0, limits.bytes - this.#heldBytes);
    worker.send({
      type: 'start',
      spec: { ...this.#spec, position },
      reader: {
        minPollIntervalMs: options.minPollIntervalMs,
        idlePollIntervalMs: options.idlePollIntervalMs,
        maxRecordsPerCall: options.maxRecordsPerCall,
        minFetchRecords: this.#sentMinFetch,
        heartbeatIntervalMs: Math.max(50, Math.floor(options.heartbeatTimeoutMs / 5)),
        requestTimeoutMs: options.requestTimeoutMs,
      },
      client: setup.client,
      credentials: setup.credentials,
      fanOut: setup.fanOut ?? null,
      credit: { records: this.#creditRecords, bytes: this.#creditBytes },
    });
    this.#lastMessageAt = options.clock.now();
    if (runner.kind !== 'inline') this.#armHeartbeat(worker);
    logger.info('shard started', {
      shardId: this.shardId,
      position: describePosition(position),
      pid: worker.pid,
    });
    events.emit('shardStarted', {
      shardId: this.shardId,
      position: describePosition(position),
      restart: this.#restarts,
    });
  }

  #onMessage(worker: ShardWorkerHandle, message: FromWorkerMessage): void {
    if (worker !== this.#worker) return;
    const { events, logger, options } = this.#d;
    this.#lastMessageAt = options.clock.now();
    switch (message.type) {
      case 'batch': {
        if (!this.active) return;
        const records =
          message.records ?? (message.packed === null ? [] : unpackRecords(message.packed, this.shardId));
        this.#millisBehindLatest = message.millisBehindLatest;
        for (const bad of message.invalidAggregates ?? []) {
          logger.warn('invalid KPL aggregate delivered raw', { shardId: this.shardId, ...bad });
          events.emit('invalidAggregate', { shardId: this.shardId, ...bad });
        }
        events.emit('lag', { shardId: this.shardId, millisBehindLatest: message.millisBehindLatest });
        this.#creditRecords -= records.length;
        this.#creditBytes -= message.bytes;
        if (records.length > 0) {
          this.#queue.push({ records, next: 0 });
          this.#queued += records.length;
          this.#heldRecords += records.length;
          this.#heldBytes += message.bytes;
          this.#lastReceived = records[records.length - 1]!;
        }
        if (message.shardEnded) {
          this.#endReceived = true;
          this.#childShards = message.childShards;
          this.#state = 'ending';
        }
        if (records.length > 0) this.#d.onRecords(this);
        this.#maybeFinishShard();
        return;
      }
      case 'throttled':
        logger.warn('GetRecords throttled', { shardId: this.shardId, backoffMs: message.backoffMs });
        events.emit('throttled', { shardId: this.shardId, backoffMs: message.backoffMs });
        return;
      case 'log':
        logger[message.level](message.message, {
          shardId: this.shardId,
          ...fromTransferableLogContext(message.context),
        });
        return;
      case 'credentials-request':
        void this.#d.credentials().then(
          (credentials) => worker.send({ type: 'credentials', credentials }),
          (error: unknown) =>
            worker.send({
              type: 'credentials',
              credentials: null,
              error: String((error as Error)?.message ?? error),
            }),
        );
        return;
      case 'error': {
        // The worker always sends a kinesis-ts error; its cause chain comes back with it.
        const data = message.error;
        const rebuilt = fromTransferableError({
          ...data,
          context: { ...data.context, shardId: this.shardId },
        });
        const error = isKinesisTsError(rebuilt)
          ? rebuilt
          : new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, rebuilt.message, {
              cause: rebuilt,
              context: { shardId: this.shardId },
            });
        if (error.code === ErrorCode.STREAM_NOT_FOUND) {
          this.#d.onFatal(error);
          return;
        }
        if (error.code === ErrorCode.SHARD_NOT_FOUND) {
          this.#shardNotFound(error.message, data.context ?? {});
          return;
        }
        events.emit('error', error);
        this.#crash(`shard reader failed: ${error.message}`);
        return;
      }
      default:
        return;
    }
  }

  /**
   * The shard is gone (trimmed): like SHARD_END without children known (the coordinator's next
   * shard sync finds them), once the records already received are processed.
   */
  #shardNotFound(message: string, context: Record<string, unknown>): void {
    if (!this.active || this.#endReceived) return;
    const childShardIds = Array.isArray(context.childShardIds)
      ? context.childShardIds.filter((id): id is string => typeof id === 'string')
      : [];
    this.#d.logger.warn('shard no longer exists; treating it as ended', {
      shardId: this.shardId,
      childShardIds,
      message,
    });
    this.#d.events.emit('shardNotFound', { shardId: this.shardId, childShardIds, message });
    this.#endReceived = true;
    this.#childShards = null;
    this.#state = 'ending';
    this.#maybeFinishShard();
  }

  #armHeartbeat(worker: ShardWorkerHandle): void {
    const { clock, heartbeatTimeoutMs } = this.#d.options;
    this.#clearHeartbeat();
    this.#heartbeatTimer = clock.setTimeout(
      () => {
        this.#heartbeatTimer = null;
        if (worker !== this.#worker || !this.active) return;
        if (clock.now() - this.#lastMessageAt > heartbeatTimeoutMs) {
          // Let messages that queued up while this event loop was busy arrive before judging.
          setImmediate(() => {
            if (worker !== this.#worker || !this.active) return;
            if (clock.now() - this.#lastMessageAt > heartbeatTimeoutMs) {
              this.#crash(`shard worker hung: no message for ${heartbeatTimeoutMs} ms`);
            } else {
              this.#armHeartbeat(worker);
            }
          });
          return;
        }
        this.#armHeartbeat(worker);
      },
      Math.max(25, Math.floor(heartbeatTimeoutMs / 2)),
    );
  }

  #clearHeartbeat(): void {
    if (this.#heartbeatTimer !== null) {
      this.#d.options.clock.clearTimeout(this.#heartbeatTimer);
      this.#heartbeatTimer = null;
    }
  }

  #crash(reason: string): void {
    if (!this.active || this.#state === 'restarting') return;
    const { options, events, logger } = this.#d;
    const worker = this.#worker;
    this.#worker = null;
    this.#clearHeartbeat();
    worker?.kill();
    const now = options.clock.now();
    this.#crashes = this.#crashes.filter((at) => now - at < options.crashWindowMs);
    this.#crashes.push(now);
    const crashes = this.#crashes.length;
    logger.warn('shard worker crashed', { shardId: this.shardId, reason, crashes });
    events.emit('shardCrashed', { shardId: this.shardId, reason, crashes });
    if (this.#endReceived) return;
    if (crashes >= options.maxShardCrashes) {
      void this.#quarantine(reason, crashes);
      return;
    }
    this.#state = 'restarting';
    const backoff = backoffDelay(crashes, { baseMs: 500, maxMs: 10_000, jitter: 'none' });
    void sleep(backoff, options.clock, this.#stopRequested.signal).then(
      () => {
        if (this.#state !== 'restarting') return;
        this.#restarts += 1;
        this.#state = 'running';
        const position: StartPosition =
          this.#lastReceived === null
            ? this.#restartPosition
            : { type: 'AFTER', checkpoint: this.#lastReceived };
        void this.#spawn(position);
      },
      () => {},
    );
  }

  async #quarantine(reason: string, crashes: number): Promise<void> {
    const { events } = this.#d;
    await this.stop('quarantine');
    const error = new KinesisTsError(
      ErrorCode.SHARD_QUARANTINED,
      `shard ${this.shardId} crashed ${crashes} times within ${this.#d.options.crashWindowMs} ms (last: ${reason}); lease released`,
      { context: { shardId: this.shardId, crashes, reason } },
    );
    events.emit('error', error);
    this.#d.onFinished(this, { type: 'quarantined' });
  }

  #maybeFinishShard(): void {
    if (this.#state !== 'ending' || this.#heldRecords > 0 || this.#stopPromise !== null) return;
    this.#stopPromise = this.#finishShard();
  }

  async #finishShard(): Promise<void> {
    const { held, events, options } = this.#d;
    await this.#stopWorker();
    let endedWritten = false;
    for (;;) {
      if (held.lost !== null) {
        this.checkpointer.stop();
        this.#state = 'stopped';
        return;
      }
      try {
        if (!endedWritten) {
          await held.markEnded(this.checkpointer.processed ?? undefined);
          endedWritten = true;
        }
        this.checkpointer.stop();
        await held.release();
        break;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.#d.onLeaseLost(this, error);
          this.checkpointer.stop();
          this.#state = 'stopped';
          return;
        }
        events.emit('error', asError(error, 'marking the shard ended failed', this.shardId));
        try {
          await sleep(options.renewIntervalMs, options.clock, this.#stopRequested.signal);
        } catch {
          // close() while the store is failing: leave the lease to expire; its records were processed.
          this.checkpointer.stop();
          this.#state = 'stopped';
          return;
        }
      }
    }
    this.#state = 'stopped';
    events.emit('leaseReleased', { shardId: this.shardId, reason: 'shard-end' });
    events.emit('shardEnded', {
      shardId: this.shardId,
      childShardIds: (this.#childShards ?? []).map((c) => c.shardId),
    });
    this.#d.onFinished(this, { type: 'ended', childShards: this.#childShards });
  }

  async #stopWorker(): Promise<void> {
    this.#clearHeartbeat();
    const worker = this.#worker;
    if (worker === null) return;
    worker.send({ type: 'stop' });
    const { clock } = this.#d.options;
    let timer: TimerHandle | null = null;
    await Promise.race([
      this.#workerExit,
      new Promise<void>((resolve) => {
        timer = clock.setTimeout(() => {
          worker.kill();
          resolve();
        }, STOP_GRACE_MS);
      }),
    ]);
    if (timer !== null) clock.clearTimeout(timer);
    await this.#workerExit;
    this.#worker = null;
  }
}

function asError(error: unknown, what: string, shardId: string): KinesisTsError {
  if (error instanceof KinesisTsError) return error;
  return new KinesisTsError(
    ErrorCode.STATE_STORE_UNAVAILABLE,
    `${what}: ${String((error as Error)?.message ?? error)}`,
    {
      cause: error,
      context: { shardId },
    },
  );
}
