/**
 * What the consumer does for enhanced fan-out around its shard readers: at `start()`, find or
 * register the stream consumer and wait until it is ACTIVE; hand every worker the settings (or, for
 * the inline runner, a source factory on a main-process SubscribeToShard client); at `close()`,
 * release that client and deregister the consumer only when asked to.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock, Logger } from '@kinesis-ts/core';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { KinesisApi } from '../kinesis-api.js';
import { transferableClientConfig, workerClientSettings } from '../kinesis-client.js';
import {
  createFanOutClient,
  type FanOutApi,
  type StreamConsumerApi,
  sdkFanOutApi,
  sdkStreamConsumerApi,
} from './fan-out-api.js';
import { fanOutSourceFactory, type WorkerFanOutConfig, type WorkerSourceFactory } from './fan-out-factory.js';
import type { ResolvedFanOutOptions } from './fan-out-options.js';
import { deregisterStreamConsumer, ensureStreamConsumer } from './stream-consumer-registration.js';

/** Inputs of {@link startFanOut}. */
export interface FanOutSetupInput {
  /** The consumer's Kinesis client (region, endpoint and credentials are reused). */
  readonly client: KinesisClient;
  /**
   * The consumer's `kinesisApi` option, if any: when it also implements SubscribeToShard and/or the
   * stream-consumer calls (tests, custom transports), those are used instead of the SDK.
   */
  readonly kinesisApi: KinesisApi | undefined;
  readonly streamName: string;
  readonly options: ResolvedFanOutOptions;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The fan-out state of a started consumer. */
export interface FanOutSetup {
  /** The ACTIVE stream consumer. */
  readonly consumerArn: string;
  /** Settings for process/thread workers. */
  readonly worker: WorkerFanOutConfig;
  /** Source factory for the inline runner (SubscribeToShard on a main-process client). */
  readonly inlineSourceFactory: WorkerSourceFactory;
  /** Destroys the main-process client; deregisters the consumer when `deregisterOnClose`. Idempotent. */
  close(): Promise<void>;
}

function implementsAll<T>(value: unknown, methods: readonly string[]): value is T {
  return (
    value !== null &&
    typeof value === 'object' &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}

/**
 * Finds or registers the stream consumer and waits until it is ACTIVE.
 * @throws KinesisTsError `TIMEOUT`, `STREAM_NOT_FOUND`, `KINESIS_REQUEST_FAILED`.
 */
export async function startFanOut(input: FanOutSetupInput, signal?: AbortSignal): Promise<FanOutSetup> {
  const { options, logger, clock } = input;
  const consumers: StreamConsumerApi = implementsAll<StreamConsumerApi>(input.kinesisApi, [
    'describeStreamSummary',
    'registerStreamConsumer',
    'describeStreamConsumer',
    'deregisterStreamConsumer',
  ])
    ? input.kinesisApi
    : sdkStreamConsumerApi(input.client);
  const info = await ensureStreamConsumer(
    consumers,
    {
      streamName: input.streamName,
      ...(options.consumerArn === undefined ? {} : { consumerArn: options.consumerArn }),
      ...(options.consumerName === undefined ? {} : { consumerName: options.consumerName }),
      timeoutMs: options.registrationTimeoutMs,
      clock,
      logger,
    },
    signal,
  );
  const worker: WorkerFanOutConfig = {
    consumerArn: info.consumerArn,
    http: options.http,
    maxBufferedEvents: options.maxBufferedEvents,
    maxSubscriptionMs: options.maxSubscriptionMs,
  };
  const given = implementsAll<FanOutApi>(input.kinesisApi, ['subscribeToShard']) ? input.kinesisApi : null;
  let ownClient: KinesisClient | null = null;
  let sdkApi: Promise<FanOutApi> | null = null;
  // Built on first use (only the inline runner subscribes from the main process), once.
  const mainProcessApi = (): Promise<FanOutApi> => {
    sdkApi ??= transferableClientConfig(input.client).then((config) => {
      const credentials = (input.client.config as { credentials?: unknown }).credentials;
      ownClient = createFanOutClient(
        workerClientSettings(config),
        typeof credentials === 'function' ? (credentials as AwsCredentialIdentityProvider) : undefined,
        options.http,
      );
      return sdkFanOutApi(ownClient);
    });
    return sdkApi;
  };
  const lazyApi: FanOutApi = given ?? {
    subscribeToShard: async (request, abortSignal) =>
      (await mainProcessApi()).subscribeToShard(request, abortSignal),
  };
  let closed: Promise<void> | null = null;
  return {
    consumerArn: info.consumerArn,
    worker,
    inlineSourceFactory: fanOutSourceFactory(lazyApi, worker),
    close: () => {
      closed ??= (async () => {
        await (sdkApi as Promise<FanOutApi> | null)?.catch(() => {});
        (ownClient as KinesisClient | null)?.destroy();
        if (!options.deregisterOnClose) return;
        logger.info('deregistering the stream consumer (deregisterOnClose)', {
          consumerArn: info.consumerArn,
        });
        await deregisterStreamConsumer(consumers, { consumerArn: info.consumerArn }, { clock, logger });
      })();
      return closed;
    },
  };
}
