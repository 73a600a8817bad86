/**
 * Consumer options: the public shape, the defaults, and validation at the boundary.
 */
import { availableParallelism, hostname } from 'node:os';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import {
  type AnyLogger,
  assertClientConfig,
  assertCredentials,
  assertKnownOptions,
  assertSdkClient,
  type Clock,
  type ConfiguredSdkClientLike,
  ErrorCode,
  type Logger,
  type OptionKeys,
  resolveCapabilities,
  resolveLogger,
  type StateAdapter,
  systemClock,
  ValidationError,
} from '@kinesis-ts/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import {
  type FanOutOptions,
  type ResolvedFanOutOptions,
  resolveFanOutOptions,
} from './fan-out/fan-out-options.js';
import type { KinesisApi } from './kinesis-api.js';
import { workerClientModuleUrl } from './runners/worker-client-module.js';

/** Where to start reading a shard that has no checkpoint (and no parent shard). */
export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | { readonly atTimestamp: Date };

/**
 * Where shard readers run: a pool of child processes, a pool of worker threads (each reading several
 * shards; see `maxProcesses` / `maxThreads`), or the main event loop.
 */
export type RunnerKind = 'process' | 'thread' | 'inline';

/** When checkpoints are written: after this many processed records or this many milliseconds. */
export interface CheckpointInterval {
  /** Write after this many processed records of a shard. Default 1000. */
  readonly records?: number;
  /** Write at most this long after the first unwritten processed record. Default 5000. */
  readonly ms?: number;
}

/** Options of {@link KinesisConsumer}. Only `streamName` is required. */
export interface KinesisConsumerOptions {
  /** The stream to read. */
  readonly streamName: string;
  /** Leases and checkpoints. Default: a new in-memory state (one process only, nothing survives a restart). */
  readonly state?: StateAdapter;
  /**
   * Consumer group (KCL: application name): instances with the same group and stream share the shards
   * and checkpoints; different groups each read every record. Required when `state` is an adapter
   * shared across processes (its `capabilities.sharedAcrossProcesses` is not `false`, e.g.
   * `DynamoDBState`): two applications on one table must not split each other's shards by accident.
   * Default `'default'` otherwise (the in-memory state).
   */
  readonly consumerGroup?: string;
  /** This instance's owner id in leases. Default `<hostname>-<pid>-<random>`; must be unique per instance. */
  readonly instanceId?: string;
  /** Start of a shard without checkpoint and without parent shard. Default `'LATEST'`. */
  readonly initialPosition?: InitialPosition;
  /** Where shard readers run. Default `'process'`. */
  readonly runner?: RunnerKind;
  /**
   * Most shard processes of the `process` runner; past that, one process reads several shards.
   * `Infinity`: one process per shard. Default `os.availableParallelism()`.
   */
  readonly maxProcesses?: number;
  /**
   * Most shard threads of the `thread` runner; past that, one thread reads several shards.
   * `Infinity`: one thread per shard. Default `os.availableParallelism()`.
   */
  readonly maxThreads?: number;
  /**
   * Most user records buffered per owned shard (fetched, not yet processed). The reader may overshoot by
   * at most one GetRecords batch. Default 10,000.
   */
  readonly maxBufferedRecords?: number;
  /** Most payload bytes buffered per owned shard (overshoot: one batch). Default 32 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * Most user records buffered over all owned shards together: each shard's bound is lowered to its
   * share (this ÷ owned shards) while that is below `maxBufferedRecords`. Default 10,000.
   */
  readonly maxInstanceBufferedRecords?: number;
  /** Most payload bytes buffered over all owned shards together (shared the same way). Default 16 MiB. */
  readonly maxInstanceBufferedBytes?: number;
  /** A lease whose counter did not move for this long is expired and may be taken. Default 10,000 ms. */
  readonly failoverTimeMs?: number;
  /** How often held leases are renewed. Default `failoverTimeMs / 3`. */
  readonly renewIntervalMs?: number;
  /** How often leases are listed, taken and balanced. Default `failoverTimeMs / 2`. */
  readonly leaseScanIntervalMs?: number;
  /** How often ListShards runs to find new shards (also run when a shard ends). Default 60,000 ms. */
  readonly shardSyncIntervalMs?: number;
  /** How long a requested handoff may take before the lease is taken anyway. Default `failoverTimeMs`. */
  readonly handoffTimeoutMs?: number;
  /**
   * Longest wait for one state-store call (list, take, renew, checkpoint, release, ...); a call that
   * has not answered by then fails with `StateStoreError` code `TIMEOUT` and is treated as having an
   * unknown outcome. Default `renewIntervalMs` (so at most one renewal of a lease is pending at a time,
   * and a renewal that cannot succeed is over before the next one is due); must be below
   * `failoverTimeMs`. Whatever the store does, a lease whose last successful renewal started
   * `failoverTimeMs` ago is given up locally, so a hung store never lets two instances read one shard.
   */
  readonly stateTimeoutMs?: number;
  /**
   * How long `start()` keeps retrying a state store that fails or does not answer (the adapter's
   * `start()` and the first lease scan) before it rejects. A missing stream or a misconfigured store
   * (e.g. a table with the wrong key) rejects at once. Default 60,000 ms.
   */
  readonly startTimeoutMs?: number;
  /**
   * Longest wait for one Kinesis call (ListShards, GetShardIterator, GetRecords), whichever client
   * makes it (yours included): a call that has not answered is aborted and retried like any transient
   * failure. Default 10,000 ms.
   */
  readonly requestTimeoutMs?: number;
  /** When checkpoints are written. Default `{ records: 1000, ms: 5000 }`. */
  readonly checkpointInterval?: CheckpointInterval;
  /** Shortest gap between two GetRecords calls of a shard. Default 200 ms; never below 200. */
  readonly minPollIntervalMs?: number;
  /** Gap between GetRecords calls when the shard is caught up. Default 1000 ms. */
  readonly idlePollIntervalMs?: number;
  /** `Limit` of GetRecords (1..10,000). Default 10,000. */
  readonly maxRecordsPerCall?: number;
  /** A shard whose reader crashed this many times within `crashWindowMs` is released and quarantined. Default 3. */
  readonly maxShardCrashes?: number;
  /** The window in which crashes are counted. Default 300,000 ms. */
  readonly crashWindowMs?: number;
  /** A shard process/thread that sends nothing for this long is killed as hung. Default 30,000 ms. */
  readonly heartbeatTimeoutMs?: number;
  /**
   * An existing `KinesisClient` (its config and credential provider are also used by shard processes).
   * Typed by the shape the consumer uses, so a client of any `@aws-sdk/client-kinesis` 3.x fits.
   */
  readonly kinesisClient?: ConfiguredSdkClientLike;
  /**
   * Replaces the SDK calls of the main process (ListShards, and GetRecords of the inline runner):
   * for tests and custom transports. Shard processes and threads always build their own SDK client.
   */
  readonly kinesisApi?: KinesisApi;
  /** Config for the client the consumer creates (ignored when `kinesisClient` is given). */
  readonly clientConfig?: KinesisClientConfig;
  /** Credentials or a credential provider (ignored when `kinesisClient` is given). Default: the SDK chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Enhanced fan-out: read through SubscribeToShard with a registered stream consumer instead of
   * polling (see {@link FanOutOptions}). Default: polling.
   */
  readonly fanOut?: FanOutOptions;
  /**
   * Where diagnostics go: `console`, a pino logger (recognised and adapted, see core's
   * `resolveLogger`) or Powertools' `Logger`. Default silent.
   */
  readonly logger?: AnyLogger;
  /** Time source for leases, checkpoints and polling. Default the system clock. */
  readonly clock?: Clock;
  /**
   * Path of the shard worker script for the `process` and `thread` runners. Default: the file shipped
   * next to this module. Only needed for unusual bundling.
   */
  readonly workerScript?: string;
  /**
   * Absolute path or `file:` URL of a module whose named export `createKinesisClient(config)` returns
   * the `KinesisClient` each shard process or thread reads with, so your middleware, retry strategy
   * and HTTP agent apply there too (`config`: region, endpoint, maxAttempts and an IPC-backed credential provider). Loaded at
   * `start()` in this process (a bad path or a missing export rejects `start()` with a
   * `ValidationError` naming this option) and in every shard process/thread. `process` and `thread`
   * runners only; the inline runner reads with the main process's client. Default: the consumer
   * builds the workers' client from region, endpoint and max attempts.
   */
  readonly workerClientModule?: string;
}

/** Options with every default applied. */
export interface ResolvedConsumerOptions {
  readonly streamName: string;
  readonly state: StateAdapter | undefined;
  readonly consumerGroup: string;
  readonly instanceId: string;
  readonly initialPosition: InitialPosition;
  readonly runner: RunnerKind;
  readonly maxProcesses: number;
  readonly maxThreads: number;
  readonly maxBufferedRecords: number;
  readonly maxBufferedBytes: number;
  readonly maxInstanceBufferedRecords: number;
  readonly maxInstanceBufferedBytes: number;
  readonly failoverTimeMs: number;
  readonly renewIntervalMs: number;
  readonly leaseScanIntervalMs: number;
  readonly shardSyncIntervalMs: number;
  readonly handoffTimeoutMs: number;
  readonly stateTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly checkpointRecords: number;
  readonly checkpointMs: number;
  readonly minPollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly maxRecordsPerCall: number;
  readonly maxShardCrashes: number;
  readonly crashWindowMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly kinesisClient: ConfiguredSdkClientLike | undefined;
  readonly clientConfig: KinesisClientConfig | undefined;
  readonly kinesisApi: KinesisApi | undefined;
  /** Enhanced fan-out settings, or `null` for polling. */
  readonly fanOut: ResolvedFanOutOptions | null;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly workerScript: string | undefined;
  /** `workerClientModule` as a `file:` URL. */
  readonly workerClientModule: string | undefined;
}

/** The shortest GetRecords gap the consumer allows (Kinesis allows 5 calls per second per shard). */
export const MIN_POLL_INTERVAL_MS = 200;

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Every option key: unknown (misspelled) keys are rejected with a suggestion. */
const OPTION_KEYS: OptionKeys<KinesisConsumerOptions> = {
  streamName: true,
  state: true,
  consumerGroup: true,
  instanceId: true,
  initialPosition: true,
  runner: true,
  maxProcesses: true,
  maxThreads: true,
  maxBufferedRecords: true,
  maxBufferedBytes: true,
  maxInstanceBufferedRecords: true,
  maxInstanceBufferedBytes: true,
  failoverTimeMs: true,
  renewIntervalMs: true,
  leaseScanIntervalMs: true,
  shardSyncIntervalMs: true,
  handoffTimeoutMs: true,
  stateTimeoutMs: true,
  startTimeoutMs: true,
  requestTimeoutMs: true,
  checkpointInterval: true,
  minPollIntervalMs: true,
  idlePollIntervalMs: true,
  maxRecordsPerCall: true,
  maxShardCrashes: true,
  crashWindowMs: true,
  heartbeatTimeoutMs: true,
  kinesisClient: true,
  kinesisApi: true,
  clientConfig: true,
  credentials: true,
  fanOut: true,
  logger: true,
  clock: true,
  workerScript: true,
  workerClientModule: true,
};

const CHECKPOINT_INTERVAL_KEYS: OptionKeys<CheckpointInterval> = { records: true, ms: true };

function invalid(option: string, message: string, value: unknown): ValidationError {
  return new ValidationError(ErrorCode.INVALID_ARGUMENT, `option ${option} ${message}`, {
    context: { option, value },
  });
}

function integer(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `must be an integer in ${min}..${max}`, value);
  }
  return value;
}

/** A pool size: an integer ≥ 1 or `Infinity`. */
function poolSize(options: Record<string, unknown>, name: string): number {
  const value = options[name];
  if (value === undefined) return Math.max(1, availableParallelism());
  if (
    value === Number.POSITIVE_INFINITY ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 1)
  ) {
    return value;
  }
  throw invalid(name, 'must be an integer ≥ 1 or Infinity', value);
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

/**
 * Validates user options and applies the defaults.
 * @throws ValidationError (code `INVALID_ARGUMENT`) naming the first bad option.
 */
export function resolveOptions(input: KinesisConsumerOptions): ResolvedConsumerOptions {
  if (input === null || typeof input !== 'object') throw invalid('options', 'must be an object', input);
  const options = input as unknown as Record<string, unknown>;
  assertKnownOptions(input, OPTION_KEYS);
  const { streamName } = input;
  if (typeof streamName !== 'string' || !STREAM_NAME.test(streamName)) {
    throw invalid('streamName', 'must be 1..128 characters of a-z, A-Z, 0-9, _ . -', streamName);
  }
  if (
    input.state !== undefined &&
    input.state !== null &&
    input.consumerGroup === undefined &&
    typeof input.state === 'object' &&
    resolveCapabilities((input.state as StateAdapter).capabilities).sharedAcrossProcesses
  ) {
    throw invalid(
      'consumerGroup',
      'is required with a state adapter shared across processes (its capabilities.sharedAcrossProcesses is not false): ' +
        "instances of different applications on one state store would otherwise split each other's shards. " +
        "Name your application, e.g. consumerGroup: 'orders-indexer'",
      undefined,
    );
  }
  const consumerGroup = input.consumerGroup ?? 'default';
  if (typeof consumerGroup !== 'string' || consumerGroup.length === 0 || consumerGroup.length > 256) {
    throw invalid('consumerGroup', 'must be a non-empty string of at most 256 characters', consumerGroup);
  }
  const instanceId = input.instanceId ?? `${hostname()}-${process.pid}-${randomSuffix()}`;
  if (typeof instanceId !== 'string' || instanceId.length === 0 || instanceId.length > 256) {
    throw invalid('instanceId', 'must be a non-empty string of at most 256 characters', instanceId);
  }
  const initialPosition = input.initialPosition ?? 'LATEST';
  if (
    initialPosition !== 'LATEST' &&
    initialPosition !== 'TRIM_HORIZON' &&
    !(
      typeof initialPosition === 'object' &&
      initialPosition !== null &&
      initialPosition.atTimestamp instanceof Date &&
      !Number.isNaN(initialPosition.atTimestamp.getTime())
    )
  ) {
    throw invalid(
      'initialPosition',
      "must be 'LATEST', 'TRIM_HORIZON' or { atTimestamp: Date }",
      initialPosition,
    );
  }
  const runner = input.runner ?? 'process';
  if (runner !== 'process' && runner !== 'thread' && runner !== 'inline') {
    throw invalid('runner', "must be 'process', 'thread' or 'inline'", runner);
  }
  if (input.state !== undefined) {
    const state = input.state as unknown as Record<string, unknown>;
    for (const method of [
      'start',
      'close',
      'listLeases',
      'createLease',
      'takeLease',
      'renewLease',
      'checkpoint',
    ]) {
      if (state === null || typeof state[method] !== 'function') {
        throw invalid('state', `must be a StateAdapter (missing ${method}())`, typeof input.state);
      }
    }
  }
  const failoverTimeMs = integer(options, 'failoverTimeMs', 10_000, 300);
  const renewIntervalMs = integer(options, 'renewIntervalMs', Math.max(1, Math.floor(failoverTimeMs / 3)), 1);
  if (renewIntervalMs >= failoverTimeMs) {
    throw invalid('renewIntervalMs', `must be below failoverTimeMs (${failoverTimeMs})`, renewIntervalMs);
  }
  const stateTimeoutMs = integer(options, 'stateTimeoutMs', renewIntervalMs, 1);
  if (stateTimeoutMs >= failoverTimeMs) {
    throw invalid('stateTimeoutMs', `must be below failoverTimeMs (${failoverTimeMs})`, stateTimeoutMs);
  }
  const checkpointInterval = input.checkpointInterval ?? {};
  if (typeof checkpointInterval !== 'object' || checkpointInterval === null) {
    throw invalid('checkpointInterval', 'must be an object { records?, ms? }', checkpointInterval);
  }
  assertKnownOptions(checkpointInterval, CHECKPOINT_INTERVAL_KEYS, { path: 'checkpointInterval.' });
  const cp = checkpointInterval as Record<string, unknown>;
  const minPollIntervalMs = integer(options, 'minPollIntervalMs', MIN_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS);
  const idlePollIntervalMs = integer(
    options,
    'idlePollIntervalMs',
    Math.max(1000, minPollIntervalMs),
    minPollIntervalMs,
  );
  if (input.logger !== undefined) {
    const logger = input.logger as unknown as Record<string, unknown>;
    if (logger === null || ['debug', 'info', 'warn', 'error'].some((m) => typeof logger[m] !== 'function')) {
      throw invalid('logger', 'must have debug, info, warn and error methods', typeof input.logger);
    }
  }
  assertSdkClient(input.kinesisClient, 'kinesisClient', 'a KinesisClient from @aws-sdk/client-kinesis');
  assertClientConfig(input.clientConfig, 'clientConfig');
  assertCredentials(input.credentials, 'credentials');
  if (input.kinesisApi !== undefined && (input.kinesisApi === null || typeof input.kinesisApi !== 'object')) {
    throw invalid('kinesisApi', 'must be an object', input.kinesisApi);
  }
  if (
    input.workerScript !== undefined &&
    (typeof input.workerScript !== 'string' || input.workerScript === '')
  ) {
    throw invalid('workerScript', 'must be a file path', input.workerScript);
  }
  return {
    streamName,
    state: input.state,
    consumerGroup,
    instanceId,
    initialPosition,
    runner,
    maxProcesses: poolSize(options, 'maxProcesses'),
    maxThreads: poolSize(options, 'maxThreads'),
    maxBufferedRecords: integer(options, 'maxBufferedRecords', 10_000, 1),
    maxBufferedBytes: integer(options, 'maxBufferedBytes', 32 * 1024 * 1024, 1024),
    maxInstanceBufferedRecords: integer(options, 'maxInstanceBufferedRecords', 10_000, 1),
    maxInstanceBufferedBytes: integer(options, 'maxInstanceBufferedBytes', 16 * 1024 * 1024, 1024),
    failoverTimeMs,
    renewIntervalMs,
    leaseScanIntervalMs: integer(
      options,
      'leaseScanIntervalMs',
      Math.max(1, Math.floor(failoverTimeMs / 2)),
      1,
    ),
    shardSyncIntervalMs: integer(options, 'shardSyncIntervalMs', 60_000, 1),
    handoffTimeoutMs: integer(options, 'handoffTimeoutMs', failoverTimeMs, 1),
    stateTimeoutMs,
    startTimeoutMs: integer(options, 'startTimeoutMs', 60_000, 1),
    requestTimeoutMs: integer(options, 'requestTimeoutMs', 10_000, 1),
    checkpointRecords: integer(cp, 'records', 1000, 1),
    checkpointMs: integer(cp, 'ms', 5000, 1),
    minPollIntervalMs,
    idlePollIntervalMs,
    maxRecordsPerCall: integer(options, 'maxRecordsPerCall', 10_000, 1, 10_000),
    maxShardCrashes: integer(options, 'maxShardCrashes', 3, 1),
    crashWindowMs: integer(options, 'crashWindowMs', 300_000, 1),
    heartbeatTimeoutMs: integer(options, 'heartbeatTimeoutMs', 30_000, 100),
    kinesisClient: input.kinesisClient,
    clientConfig: input.clientConfig,
    kinesisApi: input.kinesisApi,
    fanOut: resolveFanOutOptions(input.fanOut, consumerGroup),
    credentials: input.credentials,
    logger: resolveLogger(input.logger),
    clock: input.clock ?? systemClock,
    workerScript: input.workerScript,
    workerClientModule:
      input.workerClientModule === undefined ? undefined : workerClientModuleUrl(input.workerClientModule),
  };
}
