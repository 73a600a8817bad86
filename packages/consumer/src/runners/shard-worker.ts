/**
 * The worker side of a shard: runs one record source under the main process's credit and sends
 * one message per fetched batch. The same code runs inline and as one lane of a pooled process or
 * thread (see `worker-host.ts`).
 */

import {
  type Clock,
  ErrorCode,
  isKinesisTsError,
  KinesisTsError,
  systemClock,
  toTransferableError,
  toTransferableLogContext,
} from '@kinesis-ts/core';
import { packRecords } from '../batch-codec.js';
import { boundedKinesisApi } from '../bounded-kinesis-api.js';
import type { WorkerFanOutConfig } from '../fan-out/fan-out-factory.js';
import type { KinesisApi } from '../kinesis-api.js';
import type { RecordSourceObserver, ShardReadSpec, ShardRecordSource } from '../record-source.js';
import { type PollingReaderOptions, PollingShardReader } from '../shard-reader.js';
import type {
  ToWorkerMessage,
  TransferableCredentials,
  WorkerClientConfig,
  WorkerPort,
} from './transport.js';

/** Builds the Kinesis API a worker reads with, given the start message's client config. */
export type WorkerApiFactory = (
  config: WorkerClientConfig,
  credentials: (() => Promise<TransferableCredentials>) | null,
) => KinesisApi;

/** Options of {@link runShardWorker}. */
export interface ShardWorkerOptions {
  /** The transport to the main process. */
  readonly port: WorkerPort;
  /** Builds the Kinesis API. */
  readonly apiFactory: WorkerApiFactory;
  /** Pack batches into one buffer (process/thread) or pass the record objects (inline). */
  readonly pack: boolean;
  /** Time source (inline runner: the consumer's clock). */
  readonly clock?: Clock;
  /**
   * Builds the record source of a worker whose start message carries enhanced fan-out settings
   * (process and thread workers: a SubscribeToShard client of their own). Without it, or without
   * fan-out settings, `sourceFactory` is used.
   */
  readonly fanOutSourceFactory?: (
    fanOut: WorkerFanOutConfig,
    client: WorkerClientConfig,
    credentials: (() => Promise<TransferableCredentials>) | null,
  ) => NonNullable<ShardWorkerOptions['sourceFactory']>;
  /** Builds the record source; default {@link PollingShardReader}. Enhanced fan-out plugs in here. */
  readonly sourceFactory?: (
    api: KinesisApi,
    spec: ShardReadSpec,
    observer: RecordSourceObserver,
    options: PollingReaderOptions,
  ) => ShardRecordSource;
}

type StartMessage = Extract<ToWorkerMessage, { type: 'start' }>;

/** Credentials are refreshed this long before they expire. */
const CREDENTIAL_REFRESH_MS = 5 * 60_000;

/**
 * Runs a shard worker on `port` until it is told to stop, the shard ends or the reader fails.
 * Returns when the worker is done (the port is closed).
 */
export function runShardWorker(options: ShardWorkerOptions): Promise<void> {
  const { port, pack } = options;
  const clock = options.clock ?? systemClock;
  const abort = new AbortController();
  let creditRecords = 0;
  /** Fetch only with credit for this many records (set by `start`, updated by `credit`). */
  let minFetchRecords = 1;
  let creditBytes = 0;
  let creditWaiter: (() => void) | null = null;
  let credentials: TransferableCredentials | null = null;
  let credentialWaiters: Array<{
    resolve: (c: TransferableCredentials) => void;
    reject: (e: Error) => void;
  }> = [];
  let started = false;
  let heartbeat: ReturnType<Clock['setTimeout']> | null = null;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  let closed = false;

  const finish = (): void => {
    if (closed) return;
    closed = true;
    abort.abort();
    if (heartbeat !== null) clock.clearTimeout(heartbeat);
    for (const waiter of credentialWaiters) waiter.reject(new Error('worker stopped'));
    credentialWaiters = [];
    creditWaiter?.();
    port.send({ type: 'stopped' });
    port.close();
    done();
  };

  const credentialProvider = async (): Promise<TransferableCredentials> => {
    if (
      credentials !== null &&
      (credentials.expiration === undefined || credentials.expiration - Date.now() > CREDENTIAL_REFRESH_MS)
    ) {
      return credentials;
    }
    return new Promise<TransferableCredentials>((resolve, reject) => {
      credentialWaiters.push({ resolve, reject });
      if (credentialWaiters.length === 1) port.send({ type: 'credentials-request' });
    });
  };

  const loop = async (start: StartMessage): Promise<void> => {
    const built = options.apiFactory(start.client, start.credentials === null ? null : credentialProvider);
    const api =
      start.reader.requestTimeoutMs === undefined
        ? built
        : boundedKinesisApi(built, { timeoutMs: start.reader.requestTimeoutMs, clock });
    const observer: RecordSourceObserver = {
      throttled: (backoffMs) => port.send({ type: 'throttled', backoffMs }),
      log: (level, message, context) =>
        port.send({ type: 'log', level, message, context: toTransferableLogContext(context) }),
    };
    const readerOptions: PollingReaderOptions = { ...start.reader, clock };
    const fanOut = start.fanOut ?? null;
    const factory =
      fanOut !== null && options.fanOutSourceFactory !== undefined
        ? options.fanOutSourceFactory(
            fanOut,
            start.client,
            start.credentials === null ? null : credentialProvider,
          )
        : (options.sourceFactory ?? ((a, s, o, r) => new PollingShardReader(a, s, o, r)));
    const source = factory(api, start.spec, observer, readerOptions);
    for (;;) {
      while (
        creditRecords < Math.max(1, Math.min(minFetchRecords, start.reader.maxRecordsPerCall)) ||
        creditBytes <= 0
      ) {
        await new Promise<void>((resolve) => {
          creditWaiter = resolve;
        });
        creditWaiter = null;
        if (abort.signal.aborted) return;
      }
      const batch = await source.next(Math.min(start.reader.maxRecordsPerCall, creditRecords), abort.signal);
      if (abort.signal.aborted) return;
      creditRecords -= batch.records.length;
      creditBytes -= batch.bytes;
      port.send({
        type: 'batch',
        packed: pack ? packRecords(batch.records) : null,
        records: pack ? null : batch.records,
        count: batch.records.length,
        bytes: batch.bytes,
        millisBehindLatest: batch.millisBehindLatest,
        shardEnded: batch.shardEnded,
        childShards: batch.childShards ?? null,
        invalidAggregates: batch.invalidAggregates ?? null,
      });
      if (batch.shardEnded) return;
    }
  };

  const beat = (interval: number): void => {
    heartbeat = clock.setTimeout(() => {
      if (closed) return;
      port.send({ type: 'heartbeat' });
      beat(interval);
    }, interval);
  };

  port.onMessage((message) => {
    if (closed) return;
    switch (message.type) {
      case 'start': {
        if (started) return;
        started = true;
        credentials = message.credentials;
        creditRecords = message.credit.records;
        minFetchRecords = message.reader.minFetchRecords;
        creditBytes = message.credit.bytes;
        beat(message.reader.heartbeatIntervalMs);
        loop(message).then(
          () => {
            // The shard ended (or the worker was stopped): wait for `stop` so no batch is cut off.
          },
          (error: unknown) => {
            if (abort.signal.aborted) return;
            const typed = isKinesisTsError(error)
              ? error
              : new KinesisTsError(
                  ErrorCode.KINESIS_REQUEST_FAILED,
                  String((error as Error)?.message ?? error),
                  { cause: error },
                );
            port.send({ type: 'error', error: toTransferableError(typed) });
          },
        );
        return;
      }
      case 'credit':
        creditRecords += message.records;
        creditBytes += message.bytes;
        if (message.minFetchRecords !== undefined) minFetchRecords = message.minFetchRecords;
        creditWaiter?.();
        return;
      case 'credentials': {
        const waiters = credentialWaiters;
        credentialWaiters = [];
        if (message.credentials === null) {
          for (const waiter of waiters) waiter.reject(new Error(message.error ?? 'no credentials'));
        } else {
          credentials = message.credentials;
          for (const waiter of waiters) waiter.resolve(message.credentials);
        }
        return;
      }
      case 'stop':
        finish();
        return;
    }
  });
  return finished;
}
