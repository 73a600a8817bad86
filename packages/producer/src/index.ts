export type { RecordAck, RecordRejection, RecordSuccess } from './acks.js';
export { ProducerRecordError, type RecordFailure } from './errors.js';
export type { ProducerEvent, ProducerEventMap, ProducerStats } from './events.js';
export {
  type KinesisApi,
  type KinesisCallOptions,
  type PutRecordsEntry,
  type PutRecordsResultEntry,
  type ShardInfo,
  type StreamSummary,
  sdkKinesisApi,
} from './kinesis-api.js';
export {
  createKinesisClient,
  DEFAULT_KINESIS_CLIENT_TIMEOUTS,
  type KinesisClientTimeouts,
} from './kinesis-client.js';
export {
  type KinesisProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
} from './options.js';
export {
  type CloseOptions,
  type FlushOptions,
  KinesisProducer,
  type PutOptions,
  type PutResult,
} from './producer.js';
export type { ReplayedRecordResult, SpoolEvent } from './spool/spool-events.js';
export type { ResolvedSpoolOptions, SpoolOptions } from './spool/spool-options.js';
export { TokenBucket, type TokenBucketRates } from './token-bucket.js';
