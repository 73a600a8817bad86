/**
 * KinesisProducer: the public face. `put()` resolves with the shard and sequence number Kinesis gave
 * the record; batching, aggregation, retries and rate limiting happen in a runner (a background
 * process by default).
 */

import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  abortable,
  assertKnownOptions,
  ErrorCode,
  fromTransferableError,
  KinesisTsError,
  LifecycleError,
  type OptionKeys,
  parseExplicitHashKey,
  randomPartitionKey,
  SafeEventEmitter,
  toTransferableError,
  type UserRecord,
  ValidationError,
  validatePartitionKey,
} from '@kinesis-ts/core';
import type { RecordAck } from './acks.js';
import { ProducerRecordError } from './errors.js';
import type { ProducerEvent, ProducerEventMap, ProducerStats } from './events.js';
import { Fifo } from './fifo.js';
import { sdkKinesisApi } from './kinesis-api.js';
import { createKinesisClient } from './kinesis-client.js';
import {
  type KinesisProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
} from './options.js';
import type { IncomingRecord, StreamInfo } from './pipeline.js';
import { InlineRunner } from './runners/inline.js';
import { ProcessRunner } from './runners/process.js';
import type { Runner, RunnerBacklog, RunnerCallbacks } from './runners/runner.js';
import { DiskSpool } from './spool/disk-spool.js';
import type { HostAckMarksTarget } from './spool/host-ack-marks.js';
import { SpoolRunner } from './spool/spool-runner.js';

/** Per-call options of {@link KinesisProducer.put}. */
export interface PutOptions {
  /** Partition key (1..256 characters). Default: a random key, which spreads records evenly. */
  partitionKey?: string;
  /** Explicit hash key (decimal in 0..2^128-1) that overrides the partition key's hash. */
  explicitHashKey?: string;
  /**
   * Stops waiting for this record. While the record still waits in the producer (for buffer room,
   * or for the start), aborting rejects `put()` with `signal.reason` and the record is never sent.
   * Once it was handed over for sending, it cannot be taken back: `put()` rejects at once with a
   * {@link ProducerRecordError} `ABORTED` (`cause`: the reason, `context.maybeWritten: true`) and
   * the record may still be written (its outcome is counted in `stats()`).
   */
  signal?: AbortSignal;
}

/** Options of {@link KinesisProducer.flush}. */
export interface FlushOptions {
  /**
   * Stops waiting: `flush()` rejects with `signal.reason`. The records keep going (each `put()`
   * still settles on its own).
   */
  signal?: AbortSignal;
}

/** Options of {@link KinesisProducer.close}. */
export interface CloseOptions {
  /**
   * Longest time close() waits for outstanding records, in ms. When it runs out, every record not yet
   * acknowledged rejects with a {@link ProducerRecordError} `TIMEOUT` and the host stops at once.
   * Default: none (close() still ends: every record settles within `recordTtl`).
   */
  timeoutMs?: number;
  /** Aborting it does the same as `timeoutMs` running out, with code `CLOSED`. */
  signal?: AbortSignal;
}

/** Where Kinesis wrote a record. */
export interface PutResult {
  /** Shard the record landed on. */
  readonly shardId: string;
  /** Sequence number of the Kinesis record that carries it. */
  readonly sequenceNumber: string;
  /** Index inside the KPL aggregate when aggregated, else `undefined`. */
  readonly subSequenceNumber?: number | undefined;
  /** True when the record was sent inside a KPL aggregate. */
  readonly aggregated: boolean;
}

interface Outstanding {
  /** Order of the put() call (1, 2, ...). */
  readonly seq: number;
  readonly record: UserRecord;
  readonly bytes: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly size: number;
  resolve: (result: PutResult) => void;
  reject: (error: unknown) => void;
  /** Set when its signal aborted while it waited in the admission queue (skipped there, never sent). */
  aborted?: boolean;
  /** Set when it left the admission queue for the runner (an abort can no longer stop it). */
  handedOver?: boolean;
}

const NO_BACKLOG: RunnerBacklog = { records: 0, bytes: 0, waiting: false };

const FLUSH_OPTION_KEYS: OptionKeys<FlushOptions> = { signal: true };

function checkSignal(signal: unknown, method: string): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new ValidationError(ErrorCode.INVALID_ARGUMENT, `${method} signal must be an AbortSignal`, {
    context: { option: 'signal', type: signal === null ? 'null' : typeof signal },
  });
}

function toBytes(data: string | Uint8Array): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'put() data must be a string or a Uint8Array', {
    context: { type: typeof data },
  });
}

/**
 * Writes records to one Kinesis stream with batching, optional KPL aggregation, retries, per-shard
 * rate limits and a per-record acknowledgement. No I/O happens until the first `put()` or `start()`.
 *
 * A Node `EventEmitter` of {@link ProducerEventMap} (`producer.on('putRecords', e => ...)`,
 * `events.once(producer, 'expired')`, `events.on(producer, 'putRecords')`). A listener that throws (or
 * rejects) is logged at error level and the other listeners still run; an `error` event without
 * listeners would not throw (the producer emits none today: failures reject `put()`).
 */
export class KinesisProducer extends SafeEventEmitter<ProducerEventMap> {
  readonly #options: KinesisProducerOptions;
  readonly #resolved: ResolvedProducerOptions;
  #runner: Runner | undefined;
  #info: StreamInfo | undefined;
  #starting: Promise<StreamInfo> | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;
  readonly #queue = new Fifo<Outstanding>();
  /** Entries of `#queue` whose signal aborted (skipped when they reach the head). */
  #abortedQueued = 0;
  #queuedBytes = 0;
  readonly #pending = new Map<number, Outstanding>();
  #outstandingBytes = 0;
  #nextId = 0;
  #putSeq = 0;
  #batch: IncomingRecord[] = [];
  #batchScheduled = false;
  readonly #handoffs = new Set<Promise<void>>();
  #progress: (() => void)[] = [];
  #signalHandlers: [NodeJS.Signals, () => void][] = [];
  #gaveUp = false;
  #closeDone = false;
  #onGiveUp: (() => void)[] = [];
  #stats = {
    recordsPut: 0,
    recordsAcknowledged: 0,
    recordsFailed: 0,
    requests: 0,
    entriesSent: 0,
    retried: 0,
    throttled: 0,
    requestsTimedOut: 0,
    recordsOutcomeUnknown: 0,
  };

  /** Validates options (throws {@link ValidationError}); does no I/O. */
  constructor(options: KinesisProducerOptions) {
    super();
    this.#resolved = resolveProducerOptions(options);
    this.#options = options;
  }

  /** The stream this producer writes to. */
  get streamName(): string {
    return this.#resolved.pipeline.streamName;
  }

  /** Running totals (records put, acknowledged, failed; requests, retries, throttles). */
  stats(): ProducerStats {
    return { ...this.#stats };
  }

  #createRunner(): Runner {
    const callbacks: RunnerCallbacks = {
      settled: (acks) => this.#onSettled(acks),
      event: (event) => this.#onEvent(event),
      crashed: (error) => this.#onCrashed(error),
      backlogChanged: () => this.#admit(),
    };
    const spool = this.#resolved.spool;
    if (spool === undefined) return this.#createBaseRunner(callbacks);
    const disk = new DiskSpool(spool, {
      clock: this.#resolved.clock,
      logger: this.#resolved.logger,
      onEvent: (event) => this.#onEvent(event),
    });
    return new SpoolRunner(
      disk,
      (inner) => this.#createBaseRunner(inner, () => disk.ackMarkTarget()),
      callbacks,
      {
        logger: this.#resolved.logger,
        streamName: this.streamName,
        limits: {
          maxRecords: this.#resolved.maxOutstandingRecords,
          maxBytes: this.#resolved.maxOutstandingBytes,
        },
      },
    );
  }

  /**
   * The process or inline runner (the spool, when configured, wraps it; `ackMarks` tells the host
   * where to mark what it delivers after this process died).
   */
  #createBaseRunner(callbacks: RunnerCallbacks, ackMarks?: () => HostAckMarksTarget | undefined): Runner {
    const r = this.#resolved;
    const o = this.#options;
    if (r.runner === 'inline') {
      const api =
        o.kinesisApi ??
        sdkKinesisApi(
          // Typed structurally for users on any SDK 3.x; at run time a KinesisClient (one copy of the
          // SDK: it is a peer dependency).
          (o.client as Pick<KinesisClient, 'send'> | undefined) ??
            createKinesisClient(
              {
                ...o.clientConfig,
                ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
              },
              {
                connectionTimeout: r.pipeline.connectionTimeout,
                requestTimeout: r.pipeline.requestTimeout,
              },
            ),
        );
      return new InlineRunner(api, r.pipeline, callbacks, {
        clock: r.clock,
        logger: r.logger,
        random: o.random,
      });
    }
    return new ProcessRunner(
      {
        pipeline: r.pipeline,
        clientConfig: o.clientConfig,
        credentials: o.credentials,
        logger: r.logger,
        forwardLogs: o.logger !== undefined,
        orphanFlushTimeout: r.orphanFlushTimeout,
        hostModulePath: o.hostModulePath,
        ackMarks,
      },
      callbacks,
    );
  }

  /**
   * Starts the runner and reads the stream (record size limit, shards). Idempotent; `put()` calls it
   * lazily. Rejects with `STREAM_NOT_FOUND` for an unknown stream (a later call tries again).
   */
  async start(): Promise<void> {
    if (this.#closed)
      throw new LifecycleError(ErrorCode.CLOSED, 'producer is closed', {
        context: { streamName: this.streamName },
      });
    await this.#ensureStarted();
  }

  #ensureStarted(): Promise<StreamInfo> {
    if (this.#starting === undefined) {
      this.#runner ??= this.#createRunner();
      this.#installSignalHandlers();
      // Like a server: a started producer keeps the process alive until close(), with or without
      // records outstanding (its own timers are unref()'d). A start that failed holds nothing.
      this.#keepAlive ??= setInterval(() => {}, 1 << 30);
      this.#starting = this.#runner.start().then(
        (info) => {
          this.#info = info;
          this.#admit();
          return info;
        },
        (error: unknown) => {
          this.#starting = undefined;
          this.#releaseKeepAlive();
          for (const item of this.#drainQueue()) item.reject(error);
          this.#notifyProgress();
          throw error;
        },
      );
    }
    return this.#starting;
  }

  /**
   * Queues a record. Resolves with where Kinesis wrote it; rejects with a {@link ValidationError} for
   * bad input (other records are unaffected), `BUFFER_FULL` when full and `whenFull: 'reject'`,
   * `CLOSED` after `close()`, or a {@link ProducerRecordError} (`RECORD_EXPIRED`, `STREAM_NOT_FOUND`,
   * ...) that holds the record.
   */
  put(data: string | Uint8Array, options?: PutOptions): Promise<PutResult> {
    if (this.#closed) {
      return Promise.reject(
        new LifecycleError(ErrorCode.CLOSED, 'put() after close()', {
          context: { streamName: this.streamName },
        }),
      );
    }
    let item: Outstanding;
    let promise: Promise<PutResult>;
    let signal: AbortSignal | undefined;
    try {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new ValidationError(
          ErrorCode.INVALID_ARGUMENT,
          'put() options must be an object ({ partitionKey?, explicitHashKey?, signal? }) or undefined',
          { context: { type: options === null ? 'null' : typeof options } },
        );
      }
      signal = checkSignal(options?.signal, 'put()');
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      const bytes = toBytes(data);
      const partitionKey = options?.partitionKey ?? randomPartitionKey();
      validatePartitionKey(partitionKey);
      const explicitHashKey = options?.explicitHashKey;
      if (explicitHashKey !== undefined) parseExplicitHashKey(explicitHashKey);
      const size = bytes.byteLength + Buffer.byteLength(partitionKey, 'utf8');
      const limit = this.#info?.maxRecordSizeBytes;
      if (limit !== undefined && size > limit) {
        throw new ValidationError(
          ErrorCode.RECORD_TOO_LARGE,
          `record is ${size} bytes, over the stream's limit of ${limit}`,
          {
            context: { size, limit, streamName: this.streamName },
          },
        );
      }
      const r = this.#resolved;
      if (r.whenFull === 'reject') {
        const backlog = this.#backlog();
        const records = this.#pending.size + backlog.records + this.#queuedCount;
        const bytes = this.#outstandingBytes + backlog.bytes + this.#queuedBytes;
        if (records + 1 > r.maxOutstandingRecords || bytes + size > r.maxOutstandingBytes) {
          throw new KinesisTsError(ErrorCode.BUFFER_FULL, 'producer buffer is full', {
            context: { streamName: this.streamName, outstandingRecords: records, outstandingBytes: bytes },
          });
        }
      }
      const record: UserRecord = { data, partitionKey, explicitHashKey };
      let resolve!: (result: PutResult) => void;
      let reject!: (error: unknown) => void;
      promise = new Promise<PutResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      item = { seq: this.#putSeq + 1, record, bytes, partitionKey, explicitHashKey, size, resolve, reject };
    } catch (error) {
      return Promise.reject(error);
    }
    this.#putSeq = item.seq;
    this.#stats.recordsPut++;
    this.#queue.push(item);
    this.#queuedBytes += item.size;
    if (signal !== undefined) this.#watchAbort(item, signal);
    if (this.#info === undefined) this.#ensureStarted().catch(() => {});
    else this.#admit();
    return promise;
  }

  /** Queued records whose signal has not aborted. */
  get #queuedCount(): number {
    return this.#queue.length - this.#abortedQueued;
  }

  /** The first queued record whose signal has not aborted (aborted ones at the head are dropped). */
  #queueHead(): Outstanding | undefined {
    for (;;) {
      const head = this.#queue.peek();
      if (head === undefined || head.aborted !== true) return head;
      this.#queue.shift();
      this.#abortedQueued--;
    }
  }

  /** Removes and returns every queued record whose signal has not aborted. */
  #drainQueue(): Outstanding[] {
    this.#abortedQueued = 0;
    this.#queuedBytes = 0;
    return this.#queue.drain().filter((item) => item.aborted !== true);
  }

  /**
   * Rejects `item`'s put() when `signal` aborts: with the reason while it is queued (it is then never
   * sent), with `ABORTED` once handed over (it may still be written). The listener goes with the
   * settlement.
   */
  #watchAbort(item: Outstanding, signal: AbortSignal): void {
    const { resolve, reject } = item;
    const onAbort = (): void => {
      if (item.handedOver === true) {
        item.reject(
          new ProducerRecordError(
            ErrorCode.ABORTED,
            'put() was aborted after the record was handed over for sending; it may still be written',
            item.record,
            { cause: signal.reason, context: { streamName: this.streamName, maybeWritten: true } },
          ),
        );
        return;
      }
      item.aborted = true;
      this.#abortedQueued++;
      this.#queuedBytes -= item.size;
      this.#stats.recordsFailed++;
      item.reject(signal.reason);
      // accepted()/flush() may be waiting for this record to leave the queue.
      this.#notifyProgress();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    item.resolve = (result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    item.reject = (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
  }

  /** What the runner sends on its own account (the spool's replay), counted against the bounds. */
  #backlog(): RunnerBacklog {
    return this.#runner?.backlog?.() ?? NO_BACKLOG;
  }

  /**
   * Moves queued records to the runner while the outstanding limits allow (FIFO). Records the runner
   * replays from the spool count against the limits, and go first: nothing is admitted while some
   * wait to be handed over.
   */
  #admit(): void {
    const info = this.#info;
    if (info === undefined) return;
    const r = this.#resolved;
    const backlog = this.#backlog();
    for (;;) {
      if (backlog.waiting) break;
      const head = this.#queueHead();
      if (head === undefined) break;
      const records = this.#pending.size + backlog.records;
      if (
        records > 0 &&
        (records + 1 > r.maxOutstandingRecords ||
          this.#outstandingBytes + backlog.bytes + head.size > r.maxOutstandingBytes)
      ) {
        break;
      }
      this.#queue.shift();
      this.#queuedBytes -= head.size;
      if (head.size > info.maxRecordSizeBytes) {
        head.reject(
          new ValidationError(
            ErrorCode.RECORD_TOO_LARGE,
            `record is ${head.size} bytes, over the stream's limit of ${info.maxRecordSizeBytes}`,
            {
              context: { size: head.size, limit: info.maxRecordSizeBytes, streamName: this.streamName },
            },
          ),
        );
        continue;
      }
      const id = ++this.#nextId;
      head.handedOver = true;
      this.#pending.set(id, head);
      this.#outstandingBytes += head.size;
      this.#batch.push({
        id,
        data: head.bytes,
        partitionKey: head.partitionKey,
        explicitHashKey: head.explicitHashKey,
      });
    }
    if (this.#batch.length > 0 && !this.#batchScheduled) {
      this.#batchScheduled = true;
      setImmediate(() => this.#sendBatch());
    }
    this.#notifyProgress();
  }

  #sendBatch(): void {
    this.#batchScheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const handoff = this.#runner!.send(batch).catch((error: unknown) => {
      const cause = toTransferableError(error);
      this.#onSettled(
        batch.map((r) => ({
          id: r.id,
          failure: {
            code: ErrorCode.KINESIS_REQUEST_FAILED,
            message: `could not hand the record to the background host: ${error instanceof Error ? error.message : String(error)}`,
            context: { streamName: this.streamName },
            cause,
          },
        })),
      );
    });
    this.#handoffs.add(handoff);
    void handoff.finally(() => this.#handoffs.delete(handoff));
  }

  #notifyProgress(): void {
    const waiters = this.#progress;
    this.#progress = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Resolves once every `put()` made so far has been handed to the runner (for the process runner:
   * written to the background host, which then delivers it even if this process dies). Records still
   * waiting for buffer room are waited for.
   */
  async accepted(): Promise<void> {
    await this.#handOffUpTo(this.#putSeq);
  }

  /** Waits until every put with `seq <= target` left the admission queue, then hands the batch over. */
  async #handOffUpTo(target: number): Promise<void> {
    for (;;) {
      const head = this.#queueHead();
      if (head === undefined || head.seq > target) break;
      if (this.#info === undefined) {
        await this.#ensureStarted();
        continue;
      }
      // Blocked by the outstanding limits: have the runner send now so room frees up sooner.
      if (this.#pending.size > 0 || this.#backlog().records > 0) this.#runner!.flush().catch(() => {});
      await new Promise<void>((resolve) => this.#progress.push(resolve));
    }
    this.#sendBatch();
    await Promise.all([...this.#handoffs]);
  }

  /** True while a put with `seq <= target` is queued or outstanding (both are in seq order). */
  #unsettledUpTo(target: number): boolean {
    const head = this.#queueHead();
    if (head !== undefined && head.seq <= target) return true;
    for (const item of this.#pending.values()) return item.seq <= target;
    return false;
  }

  /** The largest record id among outstanding puts with `seq <= target`. */
  #pendingIdUpTo(target: number): number | undefined {
    let last: number | undefined;
    for (const [id, item] of this.#pending) {
      if (item.seq > target) break;
      last = id;
    }
    return last;
  }

  /**
   * Sends everything buffered now; resolves when every record put before the call has settled
   * (records put meanwhile are not waited for). `options.signal` aborting makes it reject with the
   * signal's reason at once; the records keep going.
   */
  flush(options: FlushOptions = {}): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      if (options === null || typeof options !== 'object')
        throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'flush() options must be an object', {
          context: { type: options === null ? 'null' : typeof options },
        });
      assertKnownOptions(options, FLUSH_OPTION_KEYS, { subject: 'flush() option' });
      signal = checkSignal(options.signal, 'flush()');
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal === undefined) return this.#flush();
    if (signal.aborted) return Promise.reject(signal.reason);
    return abortable(this.#flush(), signal);
  }

  async #flush(): Promise<void> {
    const target = this.#putSeq;
    while (this.#unsettledUpTo(target)) {
      await this.#handOffUpTo(target);
      const upToId = this.#pendingIdUpTo(target);
      if (upToId !== undefined) await this.#runner!.flush(upToId);
    }
  }

  /**
   * Flushes, waits until every outstanding `put()` settled, and stops the runner (the background
   * process exits). Idempotent; `put()` afterwards rejects with `CLOSED`. Bounded even without
   * options (every record settles within `recordTtl`); `timeoutMs` / `signal` bound it further: what
   * is left then rejects with a {@link ProducerRecordError} (`TIMEOUT` / `CLOSED`) and close() resolves.
   */
  close(options: CloseOptions = {}): Promise<void> {
    try {
      this.#armCloseBounds(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #armCloseBounds(options: CloseOptions): void {
    if (options === null || typeof options !== 'object')
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'close() options must be an object', {
        context: { type: options === null ? 'null' : typeof options },
      });
    const { timeoutMs, signal } = options;
    if (
      timeoutMs !== undefined &&
      (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 0)
    )
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'close() timeoutMs must be an integer >= 0', {
        context: { timeoutMs },
      });
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'close() signal must be an AbortSignal', {
        context: { type: typeof signal },
      });
    if (this.#gaveUp || this.#closeDone) return;
    const clock = this.#resolved.clock;
    if (timeoutMs !== undefined) {
      const timer = clock.setTimeout(
        () => this.#giveUp(ErrorCode.TIMEOUT, `close() gave up after ${timeoutMs} ms`, { timeoutMs }),
        timeoutMs,
      );
      this.#onGiveUp.push(() => clock.clearTimeout(timer));
    }
    if (signal !== undefined) {
      const onAbort = (): void =>
        this.#giveUp(ErrorCode.CLOSED, 'close() was aborted by its signal', {
          reason: String(signal.reason),
        });
      if (signal.aborted) {
        queueMicrotask(onAbort);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#onGiveUp.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  /** close() ran out of time: fail every unsettled record, stop the runner at once, let close() end. */
  #giveUp(code: ErrorCode, message: string, context: Record<string, unknown>): void {
    if (this.#gaveUp || this.#closing === undefined) return;
    this.#gaveUp = true;
    const stops = this.#onGiveUp;
    this.#onGiveUp = [];
    for (const stop of stops) stop();
    const base = { ...context, streamName: this.streamName };
    const queued = this.#drainQueue();
    this.#stats.recordsFailed += queued.length;
    for (const item of queued)
      item.reject(
        new ProducerRecordError(code, `${message}; the record was never sent`, item.record, {
          context: { ...base, maybeWritten: false },
        }),
      );
    this.#queuedBytes = 0;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#outstandingBytes = 0;
    this.#batch = [];
    this.#stats.recordsFailed += pending.length;
    const failure = {
      code,
      message: `${message}; the record may or may not have been written`,
      context: { ...base, maybeWritten: true },
    };
    for (const item of pending)
      item.reject(new ProducerRecordError(code, failure.message, item.record, { context: failure.context }));
    this.#runner?.abort(failure);
    this.#notifyProgress();
    const resolveGaveUp = this.#gaveUpResolve;
    this.#gaveUpResolve = undefined;
    resolveGaveUp?.();
  }

  #gaveUpResolve: (() => void) | undefined;
  /** Held from the first start until close() (see #ensureStarted). */
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  async #close(): Promise<void> {
    this.#closed = true;
    const gaveUp = new Promise<void>((resolve) => {
      this.#gaveUpResolve = resolve;
    });
    try {
      if (this.#runner === undefined) return;
      const runner = this.#runner;
      const work = (async () => {
        try {
          await this.#flush();
        } catch {
          // Start failed (the queued puts were rejected with the reason), or close() gave up.
        }
        if (!this.#gaveUp) await runner.close();
      })();
      work.catch(() => {});
      await Promise.race([work, gaveUp]);
    } finally {
      this.#closeDone = true;
      this.#gaveUpResolve = undefined;
      for (const stop of this.#onGiveUp.splice(0)) stop();
      this.#removeSignalHandlers();
      this.#releaseKeepAlive();
    }
  }

  #onSettled(acks: readonly RecordAck[]): void {
    for (const ack of acks) {
      const item = this.#pending.get(ack.id);
      if (item === undefined) continue;
      this.#pending.delete(ack.id);
      this.#outstandingBytes -= item.size;
      if ('failure' in ack) {
        this.#stats.recordsFailed++;
        const f = ack.failure;
        const cause = f.cause === undefined ? undefined : fromTransferableError(f.cause);
        item.reject(
          f.code === ErrorCode.INVALID_PARTITION_KEY ||
            f.code === ErrorCode.INVALID_EXPLICIT_HASH_KEY ||
            f.code === ErrorCode.RECORD_TOO_LARGE
            ? new ValidationError(f.code, f.message, { cause, context: f.context })
            : new ProducerRecordError(f.code, f.message, item.record, { cause, context: f.context }),
        );
      } else {
        this.#stats.recordsAcknowledged++;
        item.resolve({
          shardId: ack.shardId,
          sequenceNumber: ack.sequenceNumber,
          subSequenceNumber: ack.subSequenceNumber,
          aggregated: ack.subSequenceNumber !== undefined,
        });
      }
    }
    this.#admit();
  }

  #onCrashed(error: Error): void {
    const acks: RecordAck[] = [];
    const failure = {
      code: ErrorCode.KINESIS_REQUEST_FAILED,
      message: error.message,
      context: { streamName: this.streamName },
      cause: toTransferableError(error),
    };
    for (const id of this.#pending.keys()) acks.push({ id, failure });
    this.#info = undefined;
    this.#starting = undefined;
    this.#onSettled(acks);
    if (this.#queuedCount > 0 && !this.#closed) this.#ensureStarted().catch(() => {});
  }

  #onEvent(event: ProducerEvent): void {
    if (event.type === 'putRecords') {
      this.#stats.requests++;
      this.#stats.entriesSent += event.entries;
      this.#stats.retried += event.retried;
      this.#stats.throttled += event.throttled;
      if (event.timedOut) this.#stats.requestsTimedOut++;
      this.#stats.recordsOutcomeUnknown += event.outcomeUnknown;
    }
    const onEvent = this.#options.onEvent;
    if (onEvent !== undefined)
      try {
        onEvent(event);
      } catch (error) {
        this.listenerFailed(error, event.type);
      }
    (this.emit as (type: string, event: ProducerEvent) => boolean)(event.type, event);
  }

  /** Logs what a listener (or the `onEvent` hook) threw; the other listeners still ran. */
  protected override listenerFailed(error: unknown, event: string | symbol): void {
    this.#resolved.logger.error('event listener threw', { event: String(event), error });
  }

  #releaseKeepAlive(): void {
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  #installSignalHandlers(): void {
    if (!this.#resolved.handleSignals || this.#signalHandlers.length > 0) return;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => {
        this.#removeSignalHandlers();
        const reraise = (): void => {
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        };
        this.close().then(reraise, reraise);
      };
      this.#signalHandlers.push([signal, handler]);
      process.once(signal, handler);
    }
  }

  #removeSignalHandlers(): void {
    for (const [signal, handler] of this.#signalHandlers) process.removeListener(signal, handler);
    this.#signalHandlers = [];
  }
}
