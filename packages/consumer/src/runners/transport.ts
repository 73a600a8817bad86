/**
 * The messages between the main process and a shard worker (child process, worker thread or inline),
 * the envelope that multiplexes several shard workers over one pooled process or thread, and the
 * small interfaces every runner implements.
 */
import type { KinesisRecord, TransferableError } from '@kinesis-ts/core';
import type { PackedRecords } from '../batch-codec.js';
import type { WorkerFanOutConfig } from '../fan-out/fan-out-factory.js';
import type { ChildShardInfo, InvalidAggregate, ShardReadSpec } from '../record-source.js';

/** Credentials as plain data (what crosses IPC). */
export interface TransferableCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** Epoch milliseconds, when the credentials expire. */
  readonly expiration?: number | undefined;
}

/** Client settings a worker needs to build its own Kinesis client. */
export interface WorkerClientConfig {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly maxAttempts?: number | undefined;
  /**
   * `file:` URL of the user's `workerClientModule`: the worker builds its client with the module's
   * `createKinesisClient` instead of its own.
   */
  readonly clientModule?: string | undefined;
}

/** Reader settings sent with `start`. */
export interface WorkerReaderConfig {
  readonly minPollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly maxRecordsPerCall: number;
  /**
   * The worker fetches only when it has credit for at least this many records (half the buffer, at
   * most one call's limit), so one batch is prefetched while the previous one is consumed and calls
   * are not shrunk to a trickle of credit.
   */
  readonly minFetchRecords: number;
  /** How often the worker sends a heartbeat. */
  readonly heartbeatIntervalMs: number;
  /** Longest wait for one Kinesis call (GetShardIterator, GetRecords, ListShards); absent: unbounded. */
  readonly requestTimeoutMs?: number | undefined;
}

/** Main → worker. */
export type ToWorkerMessage =
  | {
      readonly type: 'start';
      readonly spec: ShardReadSpec;
      readonly reader: WorkerReaderConfig;
      readonly client: WorkerClientConfig;
      /** `null` when the worker uses the main process's client (inline). */
      readonly credentials: TransferableCredentials | null;
      readonly credit: { readonly records: number; readonly bytes: number };
      /** Enhanced fan-out settings; `null`/absent: poll with GetRecords. */
      readonly fanOut?: WorkerFanOutConfig | null;
    }
  /**
   * More room: the worker may fetch this many more records/bytes (negative: credit taken back, the
   * bound shrank); `minFetchRecords` replaces the start message's (the bound follows the instance's
   * share of its buffer budget).
   */
  | {
      readonly type: 'credit';
      readonly records: number;
      readonly bytes: number;
      readonly minFetchRecords?: number | undefined;
    }
  | {
      readonly type: 'credentials';
      readonly credentials: TransferableCredentials | null;
      readonly error?: string;
    }
  | { readonly type: 'stop' };

/** Worker → main. */
export type FromWorkerMessage =
  | {
      readonly type: 'batch';
      /** Packed payloads (process/thread) or the records themselves (inline). */
      readonly packed: PackedRecords | null;
      readonly records: KinesisRecord[] | null;
      readonly count: number;
      readonly bytes: number;
      readonly millisBehindLatest: number;
      readonly shardEnded: boolean;
      readonly childShards: ChildShardInfo[] | null;
      /** Records delivered raw because they looked like KPL aggregates and were not (rare). */
      readonly invalidAggregates?: InvalidAggregate[] | null | undefined;
    }
  | { readonly type: 'throttled'; readonly backoffMs: number }
  | { readonly type: 'heartbeat' }
  | { readonly type: 'credentials-request' }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn';
      readonly message: string;
      readonly context?: Record<string, unknown> | undefined;
    }
  /**
   * The reader failed for good: its typed error as data (code, message, context and cause chain, see
   * core's `toTransferableError`). The main process ends the worker.
   */
  | {
      readonly type: 'error';
      readonly error: TransferableError;
    }
  | { readonly type: 'stopped' };

/** The main side of one shard worker. */
export interface ShardWorkerHandle {
  /** Sends a message to the worker (dropped after the worker exited). */
  send(message: ToWorkerMessage): void;
  /** Registers the message listener (one). */
  onMessage(listener: (message: FromWorkerMessage) => void): void;
  /**
   * Registers the exit listener (one): called once when the worker is gone, with `null` after a clean
   * stop and a reason otherwise (crash, signal, non-zero exit).
   */
  onExit(listener: (reason: string | null) => void): void;
  /** Ends the worker at once (kill -9 / terminate). */
  kill(): void;
  /** OS process id (process runner). */
  readonly pid?: number | undefined;
}

/** Starts shard workers of one kind. */
export interface ShardRunner {
  /** Which kind. */
  readonly kind: 'process' | 'thread' | 'inline';
  /** Starts a worker for a shard; it waits for the `start` message. */
  spawn(shardId: string): ShardWorkerHandle;
  /**
   * Ends every process/thread the runner still holds (pooled workers kept warm between leases); a
   * handle still open ends with a reason. Call after every session stopped. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Main → pooled worker (a process or thread reading several shards): a message for one of its lanes.
 * A lane is one shard reader; its id is unique per pool, so a shard restarted on the same worker while
 * its old reader is still stopping gets a new lane. A `start` for an unknown lane opens it; anything
 * else for an unknown (closed) lane is dropped.
 */
export interface ToPooledWorkerMessage {
  readonly type: 'lane';
  readonly lane: number;
  readonly message: ToWorkerMessage;
}

/**
 * Pooled worker → main: a lane's message, or `closed` once a lane's reader is gone (after `stop`;
 * also the answer that tells the pool a worker is still responsive).
 */
export type FromPooledWorkerMessage =
  | { readonly type: 'lane'; readonly lane: number; readonly message: FromWorkerMessage }
  | { readonly type: 'closed'; readonly lane: number };

/** The worker side of the transport (one shard reader; a lane of a pooled worker). */
export interface WorkerPort {
  /** Sends a message to the main process. */
  send(message: FromWorkerMessage): void;
  /** Registers the message listener (one). */
  onMessage(listener: (message: ToWorkerMessage) => void): void;
  /** Called when the worker is done; lets the process/thread exit. */
  close(): void;
}
