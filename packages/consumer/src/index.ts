export { type PackedRecords, packRecords, unpackRecords } from './batch-codec.js';
export {
  type BatchOutcome,
  type BatchRetrierDeps,
  type BatchRetrierObserver,
  retryBatch,
} from './batch-retrier.js';
export {
  type BatchContext,
  type BatchHandler,
  type ConsumerStats,
  KinesisConsumer,
  type RunOptions,
  type StartOptions,
} from './consumer.js';
export type { ConsumerEventMap, ConsumerEvents, ConsumerListener } from './events.js';
export {
  describeError,
  type FailedRecordDocument,
  type FailedRecords,
  type FailureCondition,
  type FailureDestination,
  type FailureDestinationInput,
  failedRecordDocuments,
  toFailureDestination,
} from './failure-destination.js';
export {
  type FailurePolicyOptions,
  type FailureStats,
  type ResolvedFailurePolicy,
  resolveFailurePolicy,
  retryDelayMs,
} from './failure-policy.js';
export {
  createFanOutClient,
  type FanOutApi,
  type StreamConsumerApi,
  type SubscribeToShardResult,
  sdkFanOutApi,
  sdkStreamConsumerApi,
} from './fan-out/fan-out-api.js';
export type { FanOutOptions } from './fan-out/fan-out-options.js';
export { FanOutShardSource, type FanOutSourceOptions } from './fan-out/fan-out-source.js';
export {
  createFanOutHttpHandler,
  FAN_OUT_HTTP_DEFAULTS,
  type FanOutHttpHandlerOptions,
  type FanOutHttpProtocol,
  PooledHttp2Handler,
} from './fan-out/http2-handler.js';
export {
  deregisterStreamConsumer,
  ensureStreamConsumer,
  type StreamConsumerInfo,
  type StreamConsumerOptions,
} from './fan-out/stream-consumer-registration.js';
export {
  FAST_GET_RECORDS_MIDDLEWARE,
  fastGetRecords,
  parseGetRecordsBody,
} from './fast-get-records.js';
export {
  type BatchResponse,
  itemIdentifier,
  type ResponseVerdict,
  readBatchResponse,
} from './item-identifier.js';
export { type JsonLinesFileDestinationOptions, jsonLinesFileDestination } from './json-lines-destination.js';
export {
  classifyKinesisError,
  type GetRecordsResult,
  type GetShardIteratorResult,
  type KinesisApi,
  type KinesisFailureKind,
  type ListShardsResult,
} from './kinesis-api.js';
export { createKinesisClient, type SdkKinesisApiOptions, sdkKinesisApi } from './kinesis-client.js';
export {
  type DestinationProducer,
  type KinesisStreamDestinationOptions,
  kinesisStreamDestination,
} from './kinesis-stream-destination.js';
export {
  type CheckpointInterval,
  type InitialPosition,
  type KinesisConsumerOptions,
  MIN_POLL_INTERVAL_MS,
  type ResolvedConsumerOptions,
  type RunnerKind,
  resolveOptions,
} from './options.js';
export type { RecordFailurePolicy } from './record-failure-policy.js';
export {
  type ChildShardInfo,
  describePosition,
  type RecordBatch,
  type RecordSourceFactory,
  type RecordSourceObserver,
  type ShardReadSpec,
  type ShardRecordSource,
  type StartPosition,
} from './record-source.js';
export type {
  WorkerClientModule,
  WorkerKinesisClientConfig,
} from './runners/worker-client-module.js';
export { listAllShards, type ShardInfo } from './shard-list.js';
export { type PollingReaderOptions, PollingShardReader } from './shard-reader.js';
export { type DecodedRecords, ShardRecordDecoder } from './shard-record-decoder.js';
