/**
 * The Kinesis calls enhanced fan-out makes, typed structurally (tests pass fakes), and their SDK
 * adapter. SubscribeToShard goes through its own client on the fan-out HTTP handler; polling calls
 * keep the HTTP/1.1 keep-alive client.
 */
import {
  DeregisterStreamConsumerCommand,
  type DeregisterStreamConsumerCommandInput,
  DescribeStreamConsumerCommand,
  type DescribeStreamConsumerCommandInput,
  type DescribeStreamConsumerCommandOutput,
  DescribeStreamSummaryCommand,
  type DescribeStreamSummaryCommandInput,
  type DescribeStreamSummaryCommandOutput,
  KinesisClient,
  type KinesisClientConfig,
  RegisterStreamConsumerCommand,
  type RegisterStreamConsumerCommandInput,
  type RegisterStreamConsumerCommandOutput,
  SubscribeToShardCommand,
  type SubscribeToShardCommandInput,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createFanOutHttpHandler, type FanOutHttpHandlerOptions } from './http2-handler.js';

/** SubscribeToShard's result without `$metadata`: an event stream. */
export interface SubscribeToShardResult {
  /** The subscription's events (about one a second on kinesis-local, up to every 5 s on AWS). */
  readonly EventStream?: AsyncIterable<SubscribeToShardEventStream> | undefined;
}

/** What a fan-out record source needs: SubscribeToShard. */
export interface FanOutApi {
  /** SubscribeToShard; aborting `signal` ends the subscription (and its HTTP/2 stream). */
  subscribeToShard(input: SubscribeToShardCommandInput, signal: AbortSignal): Promise<SubscribeToShardResult>;
}

/** What registering a stream consumer needs. */
export interface StreamConsumerApi {
  /** DescribeStreamSummary (for the stream ARN). */
  describeStreamSummary(
    input: DescribeStreamSummaryCommandInput,
    signal?: AbortSignal,
  ): Promise<Omit<DescribeStreamSummaryCommandOutput, '$metadata'>>;
  /** RegisterStreamConsumer (5 TPS per account). */
  registerStreamConsumer(
    input: RegisterStreamConsumerCommandInput,
    signal?: AbortSignal,
  ): Promise<Omit<RegisterStreamConsumerCommandOutput, '$metadata'>>;
  /** DescribeStreamConsumer (20 TPS per stream). */
  describeStreamConsumer(
    input: DescribeStreamConsumerCommandInput,
    signal?: AbortSignal,
  ): Promise<Omit<DescribeStreamConsumerCommandOutput, '$metadata'>>;
  /** DeregisterStreamConsumer (5 TPS per account). */
  deregisterStreamConsumer(
    input: DeregisterStreamConsumerCommandInput,
    signal?: AbortSignal,
  ): Promise<unknown>;
}

/** Adapts an SDK client (on the fan-out HTTP handler) to {@link FanOutApi}. */
export function sdkFanOutApi(client: KinesisClient): FanOutApi {
  return {
    subscribeToShard: (input, signal) =>
      client.send(new SubscribeToShardCommand(input), { abortSignal: signal }),
  };
}

/** Adapts an SDK client (any handler) to {@link StreamConsumerApi}. */
export function sdkStreamConsumerApi(client: KinesisClient): StreamConsumerApi {
  return {
    describeStreamSummary: (input, signal) =>
      client.send(new DescribeStreamSummaryCommand(input), { abortSignal: signal }),
    registerStreamConsumer: (input, signal) =>
      client.send(new RegisterStreamConsumerCommand(input), { abortSignal: signal }),
    describeStreamConsumer: (input, signal) =>
      client.send(new DescribeStreamConsumerCommand(input), { abortSignal: signal }),
    deregisterStreamConsumer: (input, signal) =>
      client.send(new DeregisterStreamConsumerCommand(input), { abortSignal: signal }),
  };
}

/**
 * Creates the client SubscribeToShard runs on: same region, endpoint and credentials as `config`,
 * on the fan-out HTTP handler (pooled HTTP/2 by default). `destroy()` it when done.
 */
export function createFanOutClient(
  config: KinesisClientConfig = {},
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
  http: FanOutHttpHandlerOptions = {},
): KinesisClient {
  const { requestHandler: _ignored, ...rest } = config;
  return new KinesisClient({
    ...rest,
    requestHandler: createFanOutHttpHandler(http),
    ...(credentials === undefined ? {} : { credentials }),
  });
}
