export { abortable } from './abortable.js';
export {
  type AggregatedUserRecord,
  type AggregateInputRecord,
  type DeaggregateOptions,
  deaggregate,
  decodeAggregate,
  encodeAggregate,
  hasAggregateMagic,
  KPL_AGGREGATE_OVERHEAD_BYTES,
  KPL_MAGIC,
  type RawKinesisRecord,
} from './aggregation.js';
export {
  AggregateBuilder,
  type AggregateBuilderOptions,
  type BuiltAggregate,
} from './aggregation-builder.js';
export { type BackoffJitter, type BackoffPolicy, backoffCeiling, backoffDelay } from './backoff.js';
export {
  atTimestampCheckpoint,
  type CheckpointPosition,
  checkpointPosition,
  formatCheckpoint,
  isRecordCheckpoint,
  isSentinelSequenceNumber,
  LATEST_CHECKPOINT,
  SENTINEL_SEQUENCE_NUMBER_PATTERN,
  TRIM_HORIZON_CHECKPOINT,
} from './checkpoint-position.js';
export { childExecArgv, type ParentWarningSettings } from './child-exec-argv.js';
export { type Clock, ManualClock, sleep, systemClock, type TimerHandle } from './clock.js';
export { type DeadlineOptions, withDeadline } from './deadline.js';
export { editDistance, nearestKey } from './edit-distance.js';
export {
  ErrorCode,
  type ErrorContext,
  isKinesisTsError,
  KinesisTsError,
  type KinesisTsErrorOptions,
  type LeaseConflictDetails,
  LeaseConflictError,
  LeaseLostError,
  LeaseNotFoundError,
  type LeaseOperation,
  LifecycleError,
  StateStoreError,
  ValidationError,
} from './errors.js';
export {
  effectiveHashKey,
  findShardForHashKey,
  type HashKeyRange,
  hashKeyInRange,
  isExplicitHashKey,
  MAX_HASH_KEY,
  MAX_PARTITION_KEY_LENGTH,
  parseExplicitHashKey,
  parseHashKeyRange,
  partitionKeyToHashKey,
  randomPartitionKey,
  validatePartitionKey,
} from './hash-keys.js';
export { LeaseExpiryTracker, type LeaseExpiryTrackerOptions } from './lease-expiry.js';
export {
  assertRecordSize,
  byteLength,
  KPL_DEFAULT_MAX_AGGREGATE_BYTES,
  MAX_PUT_RECORDS_BYTES,
  MAX_PUT_RECORDS_COUNT,
  MAX_RECORD_SIZE_BYTES,
  userRecordSize,
} from './limits.js';
export {
  type AnyLogger,
  type Logger,
  type LoggerStyle,
  type MessageFirstLogger,
  type ObjectFirstLogger,
  pinoLogger,
  prefixLogger,
  resolveLogger,
  silentLogger,
} from './logger.js';
export {
  assertClientConfig,
  assertCredentials,
  assertKnownOptions,
  assertSdkClient,
  type OptionKeys,
  type OptionPath,
} from './option-validation.js';
export {
  type PackedPayloads,
  type PackPayloadsOptions,
  packPayloads,
  unpackPayloads,
} from './packed-payloads.js';
export {
  type Checkpoint,
  compareCheckpoints,
  type KinesisRecord,
  recordJson,
  recordText,
  type UserRecord,
} from './records.js';
export { SafeEventEmitter } from './safe-event-emitter.js';
export type { ConfiguredSdkClientLike, SdkClientLike } from './sdk-client.js';
export {
  type CreateLeaseOptions,
  type Lease,
  type LeaseFence,
  type LeaseScope,
  type ListLeasesOptions,
  type ReleaseLeaseOptions,
  type ResolvedStateAdapterCapabilities,
  resolveCapabilities,
  type StateAdapter,
  type StateAdapterCapabilities,
} from './state.js';
export {
  SEQUENCE_NUMBER_PATTERN,
  validateCheckpoint,
  validateHandoffRequest,
  validateLeaseFence,
  validateLeaseScope,
  validateOwnerName,
  validateParentShardIds,
  validateShardId,
} from './state-arguments.js';
export {
  fromTransferableError,
  fromTransferableLogContext,
  type TransferableError,
  type TransferableMetadata,
  toTransferableError,
  toTransferableLogContext,
} from './transferable-error.js';
