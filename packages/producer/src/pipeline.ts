/**
 * The host's engine: routes records to predicted shards, aggregates, batches, publishes, retries,
 * expires, and reports one outcome per record. Runs inside the background process (or inline).
 */

import {
  backoffDelay,
  type Clock,
  ErrorCode,
  effectiveHashKey,
  hashKeyInRange,
  isKinesisTsError,
  KinesisTsError,
  LifecycleError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
  validatePartitionKey,
} from '@kinesis-ts/core';
import type { RecordAck } from './acks.js';
import { Aggregator } from './aggregator.js';
import { Batcher } from './batcher.js';
import { type PendingRecord, type PutEntry, plainEntry } from './entries.js';
import { failureCause } from './failure-cause.js';

/** A record of an aggregate that landed on a shard other than the predicted one, waiting for a fresh map. */
interface ParkedRecord {
  readonly record: PendingRecord;
  /** Where its aggregate was written. */
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
}

import type { ProducerEvent } from './events.js';
import type { KinesisApi } from './kinesis-api.js';
import { publish } from './publisher.js';
import { callWithTimeout } from './request-timeout.js';
import { ShardMap } from './shard-map.js';
import { TokenBucket, type TokenBucketRates } from './token-bucket.js';

/** Settings of the pipeline (resolved producer options; plain data so they cross IPC). */
export interface PipelineOptions {
  /** Stream to write to. */
  readonly streamName: string;
  /** Longest wait before a record is sent (ms). */
  readonly bufferTime: number;
  /** KPL aggregation settings, or `undefined` for plain records. */
  readonly aggregation: { readonly maxBytes: number } | undefined;
  /** Time to live of a record, retries included (ms). */
  readonly recordTtl: number;
  /** Retry backoff of failed records (full jitter, see core's `backoffDelay`), in ms. */
  readonly retry: { readonly baseDelay: number; readonly maxDelay: number };
  /** Per-shard token bucket rates, or `undefined` for none. */
  readonly rateLimit: TokenBucketRates | undefined;
  /** Strict per-partition-key order. */
  readonly ordered: boolean;
  /** PutRecords requests in flight at most. */
  readonly maxConcurrentRequests: number;
  /** Entries per request at most. */
  readonly maxBatchRecords: number;
  /** Bytes per request at most. */
  readonly maxBatchBytes: number;
  /** Longest wait for one Kinesis call (ms); a PutRecords is also cut at its earliest record deadline. */
  readonly requestTimeout: number;
  /** Longest wait for a connection to Kinesis (ms; applied by the client the producer builds). */
  readonly connectionTimeout: number;
  /** Reload the shard map this often (ms); 0 = only when a record lands on an unexpected shard. */
  readonly shardMapRefreshInterval: number;
}

/** Where the pipeline reports. */
export interface PipelineHooks {
  /** Outcomes of records, batched (one call per PutRecords response or failed input batch). */
  settled(acks: RecordAck[]): void;
  /** Observability events. */
  event(event: ProducerEvent): void;
}

/** A record as handed to the pipeline (already validated by the producer, re-checked here). */
export interface IncomingRecord {
  readonly id: number;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
}

/** What the pipeline learned about the stream at start. */
export interface StreamInfo {
  /** Largest record (data + partition key) the stream accepts. */
  readonly maxRecordSizeBytes: number;
  /** Open shards at start. */
  readonly openShards: number;
}

interface FlushWaiter {
  readonly watermark: number;
  remaining: number;
  readonly resolve: () => void;
}

/** Serializes an error into the failure shape acks carry. */
function failureOf(error: unknown): { code: ErrorCode; message: string; context: Record<string, unknown> } {
  if (isKinesisTsError(error))
    return { code: error.code, message: error.message, context: { ...error.context } };
  return { code: ErrorCode.KINESIS_REQUEST_FAILED, message: String(error), context: {} };
}

/** Turns a start-time Kinesis error into a typed one. */
export function startError(error: unknown, streamName: string): KinesisTsError {
  if (isKinesisTsError(error)) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'ResourceNotFoundException') {
    return new KinesisTsError(ErrorCode.STREAM_NOT_FOUND, `stream ${streamName} does not exist`, {
      cause: error,
      context: { streamName },
    });
  }
  return new KinesisTsError(
    ErrorCode.KINESIS_REQUEST_FAILED,
    `cannot describe stream ${streamName}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, context: { streamName, error: name } },
  );
}

/**
 * Routes, aggregates, batches and publishes records; every record added gets exactly one ack
 * (success with shard and sequence number, or a failure) unless the pipeline is abandoned.
 */
export class ProducerPipeline {
  readonly #api: KinesisApi;
  readonly #options: PipelineOptions;
  readonly #hooks: PipelineHooks;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #shardMap: ShardMap;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #batcher: Batcher;
  #aggregator: Aggregator | undefined;
  #maxRecordSize = 0;
  #starting: Promise<StreamInfo> | undefined;
  #started = false;
  #stopped = false;
  #closing = false;
  #pending = 0;
  readonly #pendingIds = new Set<number>();
  #maxId = 0;
  #inFlight = 0;
  #flushWaiters: FlushWaiter[] = [];
  #pumpScheduled = false;
  #timer: TimerHandle | undefined;
  #timerAt = 0;
  #refreshing = false;
  #parked: ParkedRecord[] = [];
  /** Ordered mode: partition keys held in the batcher while their records are parked. */
  #parkedKeys: string[] = [];
  #refreshTimer: TimerHandle | undefined;
  #aborted: Error | undefined;

  constructor(
    api: KinesisApi,
    options: PipelineOptions,
    hooks: PipelineHooks,
    deps: { clock?: Clock; logger?: Logger; random?: () => number } = {},
  ) {
    this.#api = api;
    this.#options = options;
    this.#hooks = hooks;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger ?? silentLogger;
    this.#random = deps.random ?? Math.random;
    this.#shardMap = new ShardMap(
      {
        ...api,
        listShards: (streamName) =>
          callWithTimeout(this.#clock, options.requestTimeout, 'ListShards', (abortSignal) =>
            api.listShards(streamName, { abortSignal }),
          ),
      },
      options.streamName,
      this.#logger,
    );
    const rates = options.rateLimit;
    this.#batcher = new Batcher({
      maxCount: options.maxBatchRecords,
      maxBytes: options.maxBatchBytes,
      ordered: options.ordered,
      bucket:
        rates === undefined
          ? () => undefined
          : (shardId) => {
              let bucket = this.#buckets.get(shardId);
              if (bucket === undefined) {
                bucket = new TokenBucket(rates, this.#clock);
                this.#buckets.set(shardId, bucket);
              }
              return bucket;
            },
    });
  }

  /** Records added and not yet acknowledged or failed. */
  get pendingRecords(): number {
    return this.#pending;
  }

  /** Reads the stream's record size limit and shard map. Idempotent; retried by the next call after a failure. */
  start(): Promise<StreamInfo> {
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw startError(error, this.#options.streamName);
    });
    return this.#starting;
  }

  async #start(): Promise<StreamInfo> {
    const summary = await callWithTimeout(
      this.#clock,
      this.#options.requestTimeout,
      'DescribeStreamSummary',
      (abortSignal) => this.#api.describeStream(this.#options.streamName, { abortSignal }),
    );
    await this.#shardMap.refresh();
    this.#maxRecordSize = summary.maxRecordSizeBytes;
    const aggregation = this.#options.aggregation;
    if (aggregation !== undefined) {
      this.#aggregator = new Aggregator({
        maxBytes: Math.min(aggregation.maxBytes, summary.maxRecordSizeBytes),
        maxRecordBytes: summary.maxRecordSizeBytes,
        bufferTime: this.#options.bufferTime,
      });
    }
    this.#started = true;
    this.#schedulePeriodicRefresh();
    this.#logger.info('producer pipeline started', {
      streamName: this.#options.streamName,
      maxRecordSizeBytes: summary.maxRecordSizeBytes,
      openShards: this.#shardMap.shards.length,
    });
    return { maxRecordSizeBytes: summary.maxRecordSizeBytes, openShards: this.#shardMap.shards.length };
  }

  /** Accepts records (after `start()` resolved). Invalid ones are failed at once through `settled`. */
  add(records: readonly IncomingRecord[]): void {
    if (this.#stopped) throw new LifecycleError(ErrorCode.CLOSED, 'producer pipeline is closed');
    if (!this.#started) throw new LifecycleError(ErrorCode.NOT_STARTED, 'producer pipeline is not started');
    const now = this.#clock.now();
    const failures: RecordAck[] = [];
    for (const record of records) {
      this.#pending++;
      this.#pendingIds.add(record.id);
      if (record.id > this.#maxId) this.#maxId = record.id;
      let hashKey: bigint;
      try {
        validatePartitionKey(record.partitionKey);
        hashKey = effectiveHashKey(record);
      } catch (error) {
        failures.push({ id: record.id, failure: failureOf(error) });
        continue;
      }
      const size = record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
      if (size > this.#maxRecordSize) {
        failures.push({
          id: record.id,
          failure: {
            code: ErrorCode.RECORD_TOO_LARGE,
            message: `record is ${size} bytes, over the stream's limit of ${this.#maxRecordSize} bytes`,
            context: { size, limit: this.#maxRecordSize },
          },
        });
        continue;
      }
      this.#route({
        id: record.id,
        data: record.data,
        partitionKey: record.partitionKey,
        explicitHashKey: record.explicitHashKey ?? undefined,
        hashKey,
        size,
        arrivedAt: now,
        deadline: now + this.#options.recordTtl,
      });
    }
    if (failures.length > 0) this.#settle(failures);
    this.#schedulePump();
  }

  #route(record: PendingRecord): void {
    const shardId = this.#shardMap.predict(record.hashKey)?.shardId ?? '';
    const version = this.#shardMap.version;
    if (this.#aggregator === undefined) {
      this.#batcher.push(plainEntry(record, shardId, version, this.#options.bufferTime));
      return;
    }
    for (const entry of this.#aggregator.add(record, shardId, version)) this.#batcher.push(entry);
  }

  /**
   * Sends everything buffered now; resolves when every record added before the call (or, with
   * `upToId`, every record with an id up to it) has settled.
   */
  flush(upToId?: number): Promise<void> {
    const watermark = upToId === undefined ? this.#maxId : Math.min(upToId, this.#maxId);
    let remaining = 0;
    if (watermark >= this.#maxId) remaining = this.#pending;
    else for (const id of this.#pendingIds) if (id <= watermark) remaining++;
    if (remaining === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#flushWaiters.push({ watermark, remaining, resolve });
      this.#schedulePump();
    });
  }

  /** Flushes, then stops the pipeline. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.flush();
    this.#stop();
  }

  /**
   * Stops at once: every record not yet settled fails with `failure` (requests in flight may still
   * land: their late answers are ignored), timers stop, flush waiters resolve. Idempotent.
   */
  abort(failure: { code: ErrorCode; message: string; context: Record<string, unknown> }): void {
    if (this.#stopped) return;
    this.#aborted = new Error(failure.message);
    this.#closing = true;
    this.#stop();
    this.#batcher.takeAll();
    this.#aggregator?.sealDue(Number.POSITIVE_INFINITY, true);
    this.#parked = [];
    const acks: RecordAck[] = [];
    for (const id of this.#pendingIds) acks.push({ id, failure });
    if (acks.length > 0) this.#settle(acks);
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#refreshTimer !== undefined) this.#clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }

  #schedulePeriodicRefresh(): void {
    const every = this.#options.shardMapRefreshInterval;
    if (every <= 0 || this.#stopped) return;
    this.#refreshTimer = this.#clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      if (this.#stopped) return;
      this.#refreshShardMap('interval');
      this.#schedulePeriodicRefresh();
    }, every);
  }

  #settle(all: RecordAck[]): void {
    // A record settles once: late answers (after an abort) for records already failed are dropped.
    const acks = all.filter((ack) => this.#pendingIds.has(ack.id));
    if (acks.length === 0) return;
    this.#pending -= acks.length;
    for (const ack of acks) this.#pendingIds.delete(ack.id);
    if (this.#flushWaiters.length > 0) {
      for (const ack of acks) {
        for (const waiter of this.#flushWaiters) if (ack.id <= waiter.watermark) waiter.remaining--;
      }
      const done = this.#flushWaiters.filter((w) => w.remaining <= 0);
      if (done.length > 0) {
        this.#flushWaiters = this.#flushWaiters.filter((w) => w.remaining > 0);
        for (const waiter of done) waiter.resolve();
      }
    }
    this.#hooks.settled(acks);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #wakeAt(at: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #pump(): void {
    if (!this.#started || this.#stopped) return;
    const now = this.#clock.now();
    const force = this.#flushWaiters.length > 0 || this.#closing;
    if (this.#aggregator !== undefined) {
      for (const entry of this.#aggregator.sealDue(now, force)) this.#batcher.push(entry);
    }
    let wakeAt: number | undefined;
    while (this.#inFlight < this.#options.maxConcurrentRequests) {
      const next = this.#batcher.next(now, force);
      if (next.expired.length > 0) this.#expire(next.expired);
      if (next.batch.length === 0) {
        wakeAt = next.wakeAt;
        break;
      }
      void this.#send(next.batch);
    }
    const aggregateDue = this.#aggregator?.nextDueAt();
    if (aggregateDue !== undefined && (wakeAt === undefined || aggregateDue < wakeAt)) wakeAt = aggregateDue;
    if (wakeAt !== undefined) this.#wakeAt(Math.max(wakeAt, now));
  }

  #expire(entries: readonly PutEntry[]): void {
    const acks: RecordAck[] = [];
    const streamName = this.#options.streamName;
    for (const entry of entries) {
      const detail = entry.lastErrorDetail;
      for (const record of entry.records) {
        acks.push({
          id: record.id,
          failure: {
            code: ErrorCode.RECORD_EXPIRED,
            message: `record not acknowledged within recordTtl (${this.#options.recordTtl} ms) after ${entry.attempts} attempt(s)`,
            context: {
              streamName: this.#options.streamName,
              attempts: entry.attempts,
              lastError: entry.lastError,
              recordTtl: this.#options.recordTtl,
              maybeWritten: entry.maybeWritten,
            },
            // Never sent (expired while waiting): no cause.
            cause:
              detail === undefined
                ? undefined
                : failureCause(detail, {
                    streamName,
                    partitionKey: record.partitionKey,
                    explicitHashKey: record.explicitHashKey,
                    shardId: entry.shardId,
                    attempts: entry.attempts,
                  }),
          },
        });
      }
    }
    this.#hooks.event({ type: 'expired', records: acks.length });
    this.#logger.warn('records expired', { records: acks.length, streamName: this.#options.streamName });
    this.#settle(acks);
  }

  async #send(batch: PutEntry[]): Promise<void> {
    this.#inFlight++;
    const startedAt = this.#clock.now();
    // Time in flight counts against recordTtl: the request is cut at its earliest record deadline.
    let earliestDeadline = Number.POSITIVE_INFINITY;
    for (const entry of batch) earliestDeadline = Math.min(earliestDeadline, entry.deadline);
    const timeoutMs = Math.max(1, Math.min(this.#options.requestTimeout, earliestDeadline - startedAt));
    const streamName = this.#options.streamName;
    const outcomes = await publish(
      (entries) =>
        callWithTimeout(this.#clock, timeoutMs, 'PutRecords', (abortSignal) =>
          this.#api.putRecords(streamName, entries, { abortSignal }),
        ),
      batch,
    );
    this.#inFlight--;
    if (this.#stopped && this.#aborted !== undefined) return;
    const now = this.#clock.now();
    const acks: RecordAck[] = [];
    const expired: PutEntry[] = [];
    let records = 0;
    let bytes = 0;
    let retried = 0;
    let throttled = 0;
    let outcomeUnknown = 0;
    let timedOut = false;
    let refresh = false;
    const delays = new Map<number, number>();
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i]!;
      const outcome = outcomes[i]!;
      records += entry.records.length;
      bytes += entry.size;
      if (outcome.kind === 'ok') {
        if (outcome.shardId !== entry.shardId) {
          if (entry.mapVersion === this.#shardMap.version) refresh = true;
          if (entry.aggregated) {
            // An aggregate must land on the shard owning its records' hash keys (consumers drop
            // records outside the shard's range, as the KCL does): re-route them with a fresh map.
            entry.records.forEach((record, index) => {
              this.#parked.push({
                record,
                shardId: outcome.shardId,
                sequenceNumber: outcome.sequenceNumber,
                subSequenceNumber: index,
              });
            });
            // Ordered mode: later records of these keys wait until the parked ones are settled.
            this.#batcher.holdKeys(entry.keys);
            if (this.#options.ordered) this.#parkedKeys.push(...entry.keys);
            continue;
          }
        }
        entry.records.forEach((record, index) => {
          acks.push({
            id: record.id,
            shardId: outcome.shardId,
            sequenceNumber: outcome.sequenceNumber,
            subSequenceNumber: entry.aggregated ? index : undefined,
          });
        });
      } else if (outcome.kind === 'retry') {
        retried++;
        if (outcome.throttled) throttled++;
        if (outcome.timedOut) timedOut = true;
        if (outcome.outcomeUnknown) {
          outcomeUnknown += entry.records.length;
          entry.maybeWritten = true;
        }
        entry.attempts++;
        entry.lastError = outcome.error;
        entry.lastErrorDetail = outcome.detail;
        if (now >= entry.deadline) {
          expired.push(entry);
        } else {
          // One draw per response and attempt count: entries that failed together retry together
          // (in one request) instead of scattering into many small ones.
          let delay = delays.get(entry.attempts);
          if (delay === undefined) {
            delay = backoffDelay(
              entry.attempts,
              { baseMs: this.#options.retry.baseDelay, maxMs: this.#options.retry.maxDelay },
              this.#random,
            );
            delays.set(entry.attempts, delay);
          }
          entry.notBefore = Math.min(now + delay, entry.deadline);
          this.#batcher.push(entry);
        }
      } else {
        for (const record of entry.records) {
          acks.push({
            id: record.id,
            failure: {
              code: outcome.code,
              message: outcome.message,
              context: {
                streamName,
                error: outcome.error,
                attempts: entry.attempts + 1,
              },
              cause: failureCause(outcome.detail, {
                streamName,
                partitionKey: record.partitionKey,
                explicitHashKey: record.explicitHashKey,
                shardId: entry.shardId,
                attempts: entry.attempts + 1,
              }),
            },
          });
        }
      }
    }
    this.#batcher.settle(batch);
    this.#hooks.event({
      type: 'putRecords',
      entries: batch.length,
      records,
      bytes,
      retried,
      throttled,
      timedOut,
      outcomeUnknown,
      durationMs: now - startedAt,
    });
    if (retried > 0) {
      this.#logger.debug('PutRecords entries failed, retrying', {
        retried,
        throttled,
        entries: batch.length,
      });
    }
    if (acks.length > 0) this.#settle(acks);
    if (expired.length > 0) this.#expire(expired);
    if (refresh || (this.#parked.length > 0 && !this.#refreshing)) this.#refreshShardMap('unexpectedShard');
    this.#schedulePump();
  }

  /**
   * After a shard map refresh: a parked record whose hash key lies in the range of the shard its
   * aggregate landed on is acknowledged there (consumers keep it: that is where it is read); the
   * others are re-sent. In ordered mode they are re-sent as plain records, in `put()` order, ahead of
   * every later record of their keys (which were held back meanwhile); plain records land wherever
   * Kinesis routes them, so another resharding cannot displace them again.
   */
  #settleParked(): void {
    const parked = this.#parked;
    const heldKeys = this.#parkedKeys;
    this.#parked = [];
    this.#parkedKeys = [];
    if (this.#stopped) return;
    const acks: RecordAck[] = [];
    const resend: PendingRecord[] = [];
    for (const p of parked) {
      const landed = this.#shardMap.shards.find((s) => s.shardId === p.shardId);
      if (landed !== undefined && hashKeyInRange(p.record.hashKey, landed.hashKeyRange)) {
        acks.push({
          id: p.record.id,
          shardId: p.shardId,
          sequenceNumber: p.sequenceNumber,
          subSequenceNumber: p.subSequenceNumber,
        });
      } else {
        resend.push(p.record);
      }
    }
    if (this.#options.ordered) {
      resend.sort((a, b) => a.id - b.id);
      for (const record of resend) {
        const shardId = this.#shardMap.predict(record.hashKey)?.shardId ?? '';
        this.#batcher.push(plainEntry(record, shardId, this.#shardMap.version, this.#options.bufferTime));
      }
      this.#batcher.releaseKeys(heldKeys);
    } else {
      for (const record of resend) this.#route(record);
    }
    if (acks.length > 0) this.#settle(acks);
  }

  #refreshShardMap(reason: 'interval' | 'unexpectedShard'): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.#shardMap
      .refresh()
      .then(
        () =>
          this.#hooks.event({
            type: 'shardMapRefreshed',
            openShards: this.#shardMap.shards.length,
            reason,
          }),
        (error: unknown) => this.#logger.warn('shard map refresh failed', { error }),
      )
      .finally(() => {
        this.#refreshing = false;
        this.#settleParked();
        this.#schedulePump();
      });
  }
}
