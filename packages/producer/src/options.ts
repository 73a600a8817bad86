/**
 * Producer options: what users pass, the defaults, and validation at the boundary.
 */

import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import {
  type AnyLogger,
  assertClientConfig,
  assertCredentials,
  assertKnownOptions,
  type Clock,
  ErrorCode,
  KPL_DEFAULT_MAX_AGGREGATE_BYTES,
  type Logger,
  MAX_PUT_RECORDS_BYTES,
  MAX_PUT_RECORDS_COUNT,
  MAX_RECORD_SIZE_BYTES,
  type OptionKeys,
  resolveLogger,
  type SdkClientLike,
  systemClock,
  ValidationError,
} from '@kinesis-ts/core';
import type { ProducerEvent } from './events.js';
import type { KinesisApi } from './kinesis-api.js';
import type { PipelineOptions } from './pipeline.js';
import { type ResolvedSpoolOptions, resolveSpoolOptions, type SpoolOptions } from './spool/spool-options.js';

/** Options of {@link KinesisProducer}. Only `streamName` is required. */
export interface KinesisProducerOptions {
  /** The stream to write to. */
  streamName: string;
  /** Longest time a record waits to be batched, in milliseconds. Default 500. */
  bufferTime?: number;
  /**
   * KPL aggregation: pack records bound for the same shard into one Kinesis record. Default off
   * (consumers that do not deaggregate would see binary blobs). `true` = 50 KiB aggregates (the KPL's
   * default); `{ maxBytes }` to choose.
   */
  aggregation?: boolean | { maxBytes?: number };
  /** Most records accepted and not yet settled. Default 100,000. */
  maxOutstandingRecords?: number;
  /** Most data + partition key bytes accepted and not yet settled. Default 64 MiB. */
  maxOutstandingBytes?: number;
  /** What `put()` does when the outstanding limits are reached: wait for room (default) or reject with `BUFFER_FULL`. */
  whenFull?: 'wait' | 'reject';
  /** How long a record may take to be acknowledged (retries included) before its promise rejects with `RECORD_EXPIRED`, in ms. Default 30,000. */
  recordTtl?: number;
  /** Retry backoff (exponential, full jitter) of failed records, in ms. Defaults: `{ baseDelay: 100, maxDelay: 5000 }`. */
  retry?: { baseDelay?: number; maxDelay?: number };
  /**
   * Per-shard token buckets that keep writes under the shard limits. Defaults: 1,000 records/s and
   * 1 MiB/s per shard. `false` disables them.
   */
  rateLimit?: false | { recordsPerSecond?: number; bytesPerSecond?: number };
  /** Strict order per partition key, across retries. Default false. Works best with aggregation. */
  ordered?: boolean;
  /**
   * Longest wait for one Kinesis call (DescribeStreamSummary, ListShards, PutRecords), in ms. Default
   * 10,000. A PutRecords is also cut at the earliest `recordTtl` deadline of its records (time in
   * flight counts against the TTL). A PutRecords that timed out has an unknown outcome: its records
   * are retried (or expire) and may land twice, never zero times unnoticed.
   */
  requestTimeout?: number;
  /**
   * Longest wait to establish a connection to Kinesis, in ms. Default 3,000. Applied by the client the
   * producer builds (not to a `client` or `clientConfig.requestHandler` you pass; `requestTimeout`
   * bounds those calls anyway).
   */
  connectionTimeout?: number;
  /**
   * How often the shard map (ListShards) is reloaded, in ms, so aggregation keeps predicting shards
   * after resharding. Default 60,000; 0 = only when a record lands on an unexpected shard.
   */
  shardMapRefreshInterval?: number;
  /** Most PutRecords requests in flight at once. Default 8. */
  maxConcurrentRequests?: number;
  /** Most entries per PutRecords request (1..500). Default 500. */
  maxBatchRecords?: number;
  /**
   * Most bytes per PutRecords request (data + partition keys, up to 10 MiB). Default 5 MiB: the
   * request limit AWS documents for PutRecords (and what kinesalite enforces); raise it for streams
   * configured for records larger than 1 MiB.
   */
  maxBatchBytes?: number;
  /** Where batching happens: a background child process (default) or this event loop (`'inline'`). */
  runner?: 'process' | 'inline';
  /**
   * SDK client configuration (region, endpoint, credentials, ...). With the process runner only
   * serializable fields (`region` and `endpoint` as strings, `maxAttempts`) reach the host; credentials
   * are resolved here and sent over IPC.
   */
  clientConfig?: KinesisClientConfig;
  /** Credentials or a credentials provider; overrides `clientConfig.credentials`. Default: the SDK chain. */
  credentials?: KinesisClientConfig['credentials'];
  /**
   * A `KinesisClient` to use as is (inline runner only; e.g. one with middleware). Typed by the shape
   * the producer uses, so a client of any `@aws-sdk/client-kinesis` 3.x fits.
   */
  client?: SdkClientLike;
  /** Replaces the Kinesis calls altogether (inline runner only; tests). */
  kinesisApi?: KinesisApi;
  /** Logger. Default silent. With the process runner, the host's log lines are forwarded to it. */
  logger?: AnyLogger;
  /** Clock (inline runner only; tests). Default the system clock. */
  clock?: Clock;
  /** Random source for retry jitter (inline runner only; tests). Default `Math.random`. */
  random?: () => number;
  /**
   * Called for each producer event (requests, retries, throttles, expiries, spool): a convenience
   * equivalent to a listener of every event (`producer.on(type, ...)`), added first. Like a listener,
   * what it throws is logged and does not stop the producer.
   */
  onEvent?: (event: ProducerEvent) => void;
  /** On SIGINT/SIGTERM: flush, then re-raise the signal so the process exits as it would have. Default false. */
  handleSignals?: boolean;
  /** How long the background host keeps flushing after this process died or exited, in ms. Default 30,000. */
  orphanFlushTimeout?: number;
  /** Path of the host entry to fork (process runner). Default: the packaged `host-main` next to this module. */
  hostModulePath?: string;
  /**
   * Opt-in disk spool: records are written to an append-only log in `dir` before `accepted()` covers
   * them, and sent again by the next producer on that directory if this one dies before Kinesis
   * acknowledged them. See the README's Durability section. Default: none.
   */
  spool?: SpoolOptions;
}

/** Options after defaults and validation. */
export interface ResolvedProducerOptions {
  /** What the pipeline (in the host) needs: plain data that crosses IPC. */
  readonly pipeline: PipelineOptions;
  /** Most records accepted and not yet settled. */
  readonly maxOutstandingRecords: number;
  /** Most bytes accepted and not yet settled. */
  readonly maxOutstandingBytes: number;
  /** What `put()` does when full. */
  readonly whenFull: 'wait' | 'reject';
  /** Where the pipeline runs. */
  readonly runner: 'process' | 'inline';
  /** Logger (silent by default). */
  readonly logger: Logger;
  /** Clock (system by default). */
  readonly clock: Clock;
  /** Whether SIGINT/SIGTERM flush, then re-raise. */
  readonly handleSignals: boolean;
  /** How long the host flushes after the parent is gone (ms). */
  readonly orphanFlushTimeout: number;
  /** The disk spool, when configured. */
  readonly spool: ResolvedSpoolOptions | undefined;
}

const OPTION_KEYS: OptionKeys<KinesisProducerOptions> = {
  streamName: true,
  bufferTime: true,
  aggregation: true,
  maxOutstandingRecords: true,
  maxOutstandingBytes: true,
  whenFull: true,
  recordTtl: true,
  retry: true,
  rateLimit: true,
  ordered: true,
  requestTimeout: true,
  connectionTimeout: true,
  shardMapRefreshInterval: true,
  maxConcurrentRequests: true,
  maxBatchRecords: true,
  maxBatchBytes: true,
  runner: true,
  clientConfig: true,
  credentials: true,
  client: true,
  kinesisApi: true,
  logger: true,
  clock: true,
  random: true,
  onEvent: true,
  handleSignals: true,
  orphanFlushTimeout: true,
  hostModulePath: true,
  spool: true,
};
const SUBJECT = { subject: 'KinesisProducer option' } as const;

function nested(option: string, value: unknown, known: readonly string[]): void {
  if (value === null || typeof value !== 'object')
    fail(option, `must be an object { ${known.join(', ')} }`, value);
  assertKnownOptions(value, known, { ...SUBJECT, path: `${option}.` });
}

function fail(option: string, message: string, value: unknown): never {
  throw new ValidationError(ErrorCode.INVALID_ARGUMENT, `KinesisProducer option ${option} ${message}`, {
    context: { option, value },
  });
}

function int(
  option: string,
  value: unknown,
  fallback: number,
  minimum: number,
  maximum = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    fail(option, `must be an integer in ${minimum}..${maximum}`, value);
  }
  return value;
}

/** Default request size cap: the 5 MiB PutRecords request limit AWS documents. */
export const DEFAULT_PUT_RECORDS_BYTES = 5 * 1024 * 1024;

/** Validates `options` and fills in defaults. Throws {@link ValidationError} (`INVALID_ARGUMENT`). */
export function resolveProducerOptions(options: KinesisProducerOptions): ResolvedProducerOptions {
  if (options === null || typeof options !== 'object') fail('(options)', 'must be an object', options);
  assertKnownOptions(options, OPTION_KEYS, SUBJECT);
  const { streamName } = options;
  if (typeof streamName !== 'string' || !/^[a-zA-Z0-9_.-]{1,128}$/.test(streamName)) {
    fail('streamName', 'must be 1..128 characters of a-z, A-Z, 0-9, _ . -', streamName);
  }
  const runner = options.runner ?? 'process';
  if (runner !== 'process' && runner !== 'inline') fail('runner', "must be 'process' or 'inline'", runner);
  if (runner === 'process') {
    for (const name of ['client', 'kinesisApi', 'clock', 'random'] as const) {
      if (options[name] !== undefined)
        fail(name, "needs runner: 'inline' (it cannot cross to the background process)", '…');
    }
  }
  const whenFull = options.whenFull ?? 'wait';
  if (whenFull !== 'wait' && whenFull !== 'reject') fail('whenFull', "must be 'wait' or 'reject'", whenFull);
  let aggregation: { maxBytes: number } | undefined;
  if (options.aggregation === true) aggregation = { maxBytes: KPL_DEFAULT_MAX_AGGREGATE_BYTES };
  else if (options.aggregation !== undefined && options.aggregation !== false) {
    if (typeof options.aggregation !== 'object' || options.aggregation === null) {
      fail('aggregation', 'must be a boolean or { maxBytes }', options.aggregation);
    }
    nested('aggregation', options.aggregation, ['maxBytes']);
    aggregation = {
      maxBytes: int(
        'aggregation.maxBytes',
        options.aggregation.maxBytes,
        KPL_DEFAULT_MAX_AGGREGATE_BYTES,
        64,
        MAX_RECORD_SIZE_BYTES * 10,
      ),
    };
  }
  const retry = options.retry ?? {};
  nested('retry', retry, ['baseDelay', 'maxDelay']);
  const baseDelay = int('retry.baseDelay', retry.baseDelay, 100, 1);
  const maxDelay = int('retry.maxDelay', retry.maxDelay, 5000, baseDelay);
  let rateLimit: PipelineOptions['rateLimit'];
  if (options.rateLimit !== false) {
    const rl = options.rateLimit ?? {};
    nested('rateLimit', rl, ['recordsPerSecond', 'bytesPerSecond']);
    rateLimit = {
      recordsPerSecond: int('rateLimit.recordsPerSecond', rl.recordsPerSecond, 1000, 1),
      bytesPerSecond: int('rateLimit.bytesPerSecond', rl.bytesPerSecond, 1024 * 1024, 1),
    };
  }
  assertClientConfig(options.clientConfig, 'clientConfig', SUBJECT);
  assertCredentials(options.credentials, 'credentials', SUBJECT);
  if (
    options.client !== undefined &&
    (options.client === null || typeof (options.client as { send?: unknown }).send !== 'function')
  ) {
    fail(
      'client',
      'must be a KinesisClient from @aws-sdk/client-kinesis (an object with send())',
      typeof options.client,
    );
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    fail('onEvent', 'must be a function', options.onEvent);
  return {
    pipeline: {
      streamName,
      bufferTime: int('bufferTime', options.bufferTime, 500, 0),
      aggregation,
      recordTtl: int('recordTtl', options.recordTtl, 30_000, 1),
      retry: { baseDelay, maxDelay },
      rateLimit,
      ordered: options.ordered ?? false,
      maxConcurrentRequests: int('maxConcurrentRequests', options.maxConcurrentRequests, 8, 1, 1000),
      maxBatchRecords: int(
        'maxBatchRecords',
        options.maxBatchRecords,
        MAX_PUT_RECORDS_COUNT,
        1,
        MAX_PUT_RECORDS_COUNT,
      ),
      maxBatchBytes: int(
        'maxBatchBytes',
        options.maxBatchBytes,
        DEFAULT_PUT_RECORDS_BYTES,
        1,
        MAX_PUT_RECORDS_BYTES,
      ),
      requestTimeout: int('requestTimeout', options.requestTimeout, 10_000, 1),
      connectionTimeout: int('connectionTimeout', options.connectionTimeout, 3000, 1),
      shardMapRefreshInterval: int('shardMapRefreshInterval', options.shardMapRefreshInterval, 60_000, 0),
    },
    maxOutstandingRecords: int('maxOutstandingRecords', options.maxOutstandingRecords, 100_000, 1),
    maxOutstandingBytes: int('maxOutstandingBytes', options.maxOutstandingBytes, 64 * 1024 * 1024, 1),
    whenFull,
    runner,
    logger: resolveLogger(options.logger),
    clock: options.clock ?? systemClock,
    handleSignals: options.handleSignals ?? false,
    orphanFlushTimeout: int('orphanFlushTimeout', options.orphanFlushTimeout, 30_000, 0),
    spool: resolveSpoolOptions(options.spool),
  };
}
