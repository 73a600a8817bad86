/**
 * Glue between enhanced fan-out and the shard workers: the plain-data fan-out settings a worker
 * receives, the record-source factory that reads through SubscribeToShard instead of polling, and
 * the SubscribeToShard client a process/thread worker builds for itself.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock } from '@kinesis-ts/core';
import type { KinesisApi } from '../kinesis-api.js';
import { workerClientSettings, workerCredentialProvider } from '../kinesis-client.js';
import type { RecordSourceObserver, ShardReadSpec, ShardRecordSource } from '../record-source.js';
import type { TransferableCredentials, WorkerClientConfig } from '../runners/transport.js';
import { createFanOutClient, type FanOutApi, sdkFanOutApi } from './fan-out-api.js';
import { FanOutShardSource } from './fan-out-source.js';
import type { FanOutHttpHandlerOptions } from './http2-handler.js';

/** Fan-out settings of a shard worker (plain data: crosses process boundaries). */
export interface WorkerFanOutConfig {
  /** The ACTIVE stream consumer's ARN. */
  readonly consumerArn: string;
  /** HTTP handler settings for SubscribeToShard. */
  readonly http: FanOutHttpHandlerOptions;
  /** Most events buffered per shard before the subscription is no longer read. */
  readonly maxBufferedEvents: number;
  /** Renew subscriptions after this long (default: when the server ends them). */
  readonly maxSubscriptionMs?: number | undefined;
}

/** A record-source factory with the shard worker's signature. */
export type WorkerSourceFactory = (
  api: KinesisApi,
  spec: ShardReadSpec,
  observer: RecordSourceObserver,
  options: { readonly clock: Clock },
) => ShardRecordSource;

/**
 * A source factory reading through SubscribeToShard on `fanOutApi`; the worker's polling API is only
 * used to confirm a shard's end after a caught-up subscription ended (see `shardEndProbe`).
 */
export function fanOutSourceFactory(fanOutApi: FanOutApi, config: WorkerFanOutConfig): WorkerSourceFactory {
  return (api, spec, observer, options) =>
    new FanOutShardSource(fanOutApi, spec, observer, {
      consumerArn: config.consumerArn,
      clock: options.clock,
      maxBufferedEvents: config.maxBufferedEvents,
      ...(config.maxSubscriptionMs === undefined ? {} : { maxSubscriptionMs: config.maxSubscriptionMs }),
      shardEndProbe: api,
    });
}

/**
 * The SubscribeToShard client of a process/thread worker: same region, endpoint and IPC-backed
 * credentials as its polling client, on the fan-out HTTP handler. Call `destroy()` when the worker ends.
 */
export function workerFanOutApi(
  config: WorkerClientConfig,
  credentials: (() => Promise<TransferableCredentials>) | null,
  http: FanOutHttpHandlerOptions,
): { readonly api: FanOutApi; destroy(): void } {
  const client: KinesisClient = createFanOutClient(
    workerClientSettings(config),
    workerCredentialProvider(credentials),
    http,
  );
  return { api: sdkFanOutApi(client), destroy: () => client.destroy() };
}
