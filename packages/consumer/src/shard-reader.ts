/**
 * The polling record source: one shard's GetShardIterator/GetRecords loop with adaptive polling,
 * throttling backoff, expired-iterator recovery, KPL deaggregation and KCL's hash-range filter.
 */
import type { _Record, ChildShard, GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import { backoffDelay, type Clock, ErrorCode, isKinesisTsError, sleep } from '@kinesis-ts/core';
import { classifyKinesisError, type KinesisApi, kinesisError } from './kinesis-api.js';
import type {
  RecordBatch,
  RecordSourceObserver,
  ShardReadSpec,
  ShardRecordSource,
  StartPosition,
} from './record-source.js';
import { explainShardNotFound } from './shard-not-found.js';
import { ShardRecordDecoder, toChildShardInfo } from './shard-record-decoder.js';
import { pinLatest } from './start-position.js';

/** Tuning of {@link PollingShardReader}. */
export interface PollingReaderOptions {
  /** Gap after a call that found the shard behind the tip (`millisBehindLatest` > 0). At least 200 ms. */
  readonly minPollIntervalMs: number;
  /** Gap after a call that found the shard caught up. */
  readonly idlePollIntervalMs: number;
  /** First backoff after a throttled or failed call; doubles up to `maxBackoffMs`. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** Longest backoff. Default 10,000 ms. */
  readonly maxBackoffMs?: number;
  /** Consecutive non-throttling failures after which the reader gives up. Default 10. */
  readonly maxConsecutiveFailures?: number;
  /** Time source. */
  readonly clock: Clock;
}

/**
 * Reads one shard by polling: the next call starts `minPollIntervalMs` after the previous one started when it showed
 * the shard behind the tip (`millisBehindLatest` > 0, or a page filled to its limit), else
 * `idlePollIntervalMs`. Tracks the last Kinesis record it returned so an expired iterator is
 * re-created right after it (AFTER_SEQUENCE_NUMBER); a start `AFTER` a checkpoint uses
 * AT_SEQUENCE_NUMBER and skips the user records at or before the checkpoint, because the checkpoint
 * may point inside a KPL aggregate. Before the first record, an expired iterator of a `LATEST` start
 * is re-created at the pinned time of the first start (see start-position.ts), not at `LATEST`.
 *
 * A shard-level `ResourceNotFoundException` from GetShardIterator (the shard was trimmed after a
 * reshard) rejects with `SHARD_NOT_FOUND` once ListShards confirms that the stream exists and no
 * longer lists the shard; the consumer treats it like SHARD_END (KCL's rule). Only a missing stream
 * rejects with `STREAM_NOT_FOUND`.
 */
export class PollingShardReader implements ShardRecordSource {
  readonly #api: KinesisApi;
  readonly #spec: ShardReadSpec;
  readonly #observer: RecordSourceObserver;
  readonly #options: Required<PollingReaderOptions>;
  readonly #decoder: ShardRecordDecoder;
  /** `undefined`: must be created; `null`: the shard ended. */
  #iterator: string | null | undefined;
  /** Sequence number of the last Kinesis record returned (all of its user records were returned). */
  #lastSequenceNumber: string | null = null;
  /** Where an iterator starts while no record was returned: the spec's, `LATEST` pinned once used. */
  #position: StartPosition;
  #nextCallAt = 0;
  #callStartedAt = 0;
  /** Failed calls since the last success: the backoff's retry number. */
  #retries = 0;
  #failures = 0;

  constructor(
    api: KinesisApi,
    spec: ShardReadSpec,
    observer: RecordSourceObserver,
    options: PollingReaderOptions,
  ) {
    this.#api = api;
    this.#spec = spec;
    this.#observer = observer;
    this.#options = {
      initialBackoffMs: 500,
      maxBackoffMs: 10_000,
      maxConsecutiveFailures: 10,
      ...options,
      minPollIntervalMs: Math.max(200, options.minPollIntervalMs),
    };
    this.#decoder = new ShardRecordDecoder(spec);
    this.#position = spec.position;
  }

  /** The position an expired iterator would be re-created from (for tests and diagnostics). */
  get lastSequenceNumber(): string | null {
    return this.#lastSequenceNumber;
  }

  async next(limit: number, signal: AbortSignal): Promise<RecordBatch> {
    if (this.#iterator === null) throw new Error(`shard ${this.#spec.shardId} already ended`);
    const clock = this.#options.clock;
    for (;;) {
      const wait = this.#nextCallAt - clock.now();
      if (wait > 0) await sleep(wait, clock, signal);
      signal.throwIfAborted();
      let operation = 'GetShardIterator';
      try {
        if (this.#iterator === undefined) this.#iterator = await this.#createIterator(signal);
        operation = 'GetRecords';
        // Poll intervals run from the start of a call to the start of the next (the 5 calls/s/shard
        // limit counts calls), so a slow response on a backlog is not followed by an extra pause.
        this.#callStartedAt = clock.now();
        const output = await this.#api.getRecords(
          { ShardIterator: this.#iterator ?? undefined, Limit: Math.max(1, Math.min(10_000, limit)) },
          signal,
        );
        this.#failures = 0;
        this.#retries = 0;
        const raw = output.Records ?? [];
        const full = raw.length > 0 && raw.length >= Math.min(10_000, limit);
        return this.#accept(
          raw,
          output.NextShardIterator,
          output.MillisBehindLatest,
          output.ChildShards,
          full,
        );
      } catch (error) {
        signal.throwIfAborted();
        this.#handleFailure(error, operation);
      }
    }
  }

  #handleFailure(error: unknown, operation: string): void {
    if (
      isKinesisTsError(error) &&
      (error.code === ErrorCode.SHARD_NOT_FOUND || error.code === ErrorCode.STREAM_NOT_FOUND)
    ) {
      throw error;
    }
    const kind = classifyKinesisError(error);
    const context = { streamName: this.#spec.streamName, shardId: this.#spec.shardId };
    if (kind === 'expired-iterator') {
      this.#observer.log('info', 'shard iterator expired; re-creating it after the last returned record', {
        ...context,
        after: this.#lastSequenceNumber,
      });
      this.#iterator = undefined;
      return;
    }
    if (kind === 'fatal') throw kinesisError(operation, error, context);
    if (kind === 'not-found') {
      // GetRecords: the iterator's shard (or stream) is gone; GetShardIterator tells which.
      this.#iterator = undefined;
    }
    if (kind !== 'throttled') {
      this.#failures += 1;
      if (this.#failures >= this.#options.maxConsecutiveFailures)
        throw kinesisError(operation, error, context);
      this.#observer.log('warn', `${operation} failed; retrying with backoff`, {
        ...context,
        error,
      });
    }
    this.#retries += 1;
    // Jitter above half the backoff keeps shards of one instance from retrying in lockstep.
    const delay = backoffDelay(this.#retries, {
      baseMs: this.#options.initialBackoffMs,
      maxMs: this.#options.maxBackoffMs,
      jitter: 'equal',
    });
    if (kind === 'throttled') this.#observer.throttled(delay);
    this.#nextCallAt = this.#options.clock.now() + delay;
  }

  async #createIterator(signal: AbortSignal): Promise<string | null> {
    const base = { StreamName: this.#spec.streamName, ShardId: this.#spec.shardId };
    let input: GetShardIteratorCommandInput;
    if (this.#lastSequenceNumber !== null) {
      input = {
        ...base,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: this.#lastSequenceNumber,
      };
    } else {
      const position = this.#position;
      // Pinned before the call, so a retry or an expired iterator never goes back to LATEST.
      if (position.type === 'LATEST') this.#position = pinLatest(position, Date.now());
      switch (position.type) {
        case 'AFTER':
          input = {
            ...base,
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            StartingSequenceNumber: position.checkpoint.sequenceNumber,
          };
          break;
        case 'AT_TIMESTAMP':
          input = { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(position.timestamp) };
          break;
        default:
          input = { ...base, ShardIteratorType: position.type };
      }
    }
    let output: Awaited<ReturnType<KinesisApi['getShardIterator']>>;
    try {
      output = await this.#api.getShardIterator(input, signal);
    } catch (error) {
      if (classifyKinesisError(error) === 'not-found') {
        const { streamName, shardId } = this.#spec;
        const verdict = await explainShardNotFound(
          this.#api,
          streamName,
          shardId,
          'GetShardIterator',
          error,
          signal,
        );
        throw verdict.error;
      }
      throw error;
    }
    return output.ShardIterator ?? null;
  }

  #accept(
    raw: _Record[],
    nextIterator: string | undefined,
    millisBehindLatest: number | undefined,
    childShards: ChildShard[] | undefined,
    full: boolean,
  ): RecordBatch {
    const { records, bytes, lastSequenceNumber, invalidAggregates } = this.#decoder.decode(raw);
    if (lastSequenceNumber !== null) this.#lastSequenceNumber = lastSequenceNumber;
    const behind = millisBehindLatest ?? 0;
    this.#iterator = nextIterator ?? null;
    const ended = this.#iterator === null;
    // Behind the tip (or a page filled to its limit, whatever the service reports): fast; caught up: slow.
    const fast = behind > 0 || full;
    this.#nextCallAt =
      this.#callStartedAt + (fast ? this.#options.minPollIntervalMs : this.#options.idlePollIntervalMs);
    return {
      records,
      bytes,
      millisBehindLatest: behind,
      shardEnded: ended,
      childShards: ended && childShards !== undefined ? childShards.map(toChildShardInfo) : undefined,
      invalidAggregates,
    };
  }
}
