export { type Clock, ManualClock, sleep, systemClock, type TimerHandle } from './clock.js';
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
export { type Logger, prefixLogger, silentLogger } from './logger.js';
export {
  type Checkpoint,
  compareCheckpoints,
  type KinesisRecord,
  recordJson,
  recordText,
  type UserRecord,
} from './records.js';
export {
  type CreateLeaseOptions,
  type Lease,
  type LeaseFence,
  type LeaseScope,
  type ListLeasesOptions,
  type ReleaseLeaseOptions,
  resolveCapabilities,
  type ResolvedStateAdapterCapabilities,
  type StateAdapter,
  type StateAdapterCapabilities,
} from './state.js';
