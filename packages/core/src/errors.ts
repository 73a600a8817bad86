/**
 * Typed errors shared by every kinesis-ts package.
 *
 * Every error has a stable `code` (one of {@link ErrorCode}), an optional `cause`, and a `context`
 * object with the ids that help (stream, shard, owner, ...). Match on `code` or `instanceof`, never
 * on the message.
 */

/** Stable error codes. New codes may be added in minor releases; existing ones never change meaning. */
export const ErrorCode = {
  /** A conditional lease write failed: the lease changed since the caller observed it. */
  LEASE_CONFLICT: 'LEASE_CONFLICT',
  /** An owner write (renew, checkpoint, release, end, handoff answer) failed: the caller no longer holds the lease. */
  LEASE_LOST: 'LEASE_LOST',
  /** The lease does not exist in the state store. */
  LEASE_NOT_FOUND: 'LEASE_NOT_FOUND',
  /** An argument or option is invalid. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A partition key is empty or longer than 256 characters. */
  INVALID_PARTITION_KEY: 'INVALID_PARTITION_KEY',
  /** An explicit hash key is not a decimal integer in 0..2^128-1. */
  INVALID_EXPLICIT_HASH_KEY: 'INVALID_EXPLICIT_HASH_KEY',
  /** A record (or aggregate) is larger than the allowed size. */
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  /** Bytes that claim to be a KPL aggregate are truncated or corrupt. */
  INVALID_AGGREGATE: 'INVALID_AGGREGATE',
  /** A component was used before `start()`. */
  NOT_STARTED: 'NOT_STARTED',
  /** A component was used after `close()`. */
  CLOSED: 'CLOSED',
  /** The state store is missing or misconfigured (e.g. a table with the wrong key schema). */
  STATE_STORE_MISCONFIGURED: 'STATE_STORE_MISCONFIGURED',
  /** The state store could not be reached or failed after retries. */
  STATE_STORE_UNAVAILABLE: 'STATE_STORE_UNAVAILABLE',
  /** The Kinesis stream does not exist or is not readable. */
  STREAM_NOT_FOUND: 'STREAM_NOT_FOUND',
  /**
   * A shard of an existing stream is gone (trimmed after a reshard). The consumer treats it like
   * SHARD_END and moves on to its children.
   */
  SHARD_NOT_FOUND: 'SHARD_NOT_FOUND',
  /** A record was not acknowledged before its time to live ran out. */
  RECORD_EXPIRED: 'RECORD_EXPIRED',
  /** A Kinesis request failed in a way that is not retried. */
  KINESIS_REQUEST_FAILED: 'KINESIS_REQUEST_FAILED',
  /** A shard worker crashed too often and was given up. */
  SHARD_QUARANTINED: 'SHARD_QUARANTINED',
  /** The outstanding-record buffer is full and the caller asked not to wait. */
  BUFFER_FULL: 'BUFFER_FULL',
  /** A timeout elapsed. */
  TIMEOUT: 'TIMEOUT',
  /**
   * The caller's `AbortSignal` aborted a wait whose operation could not be undone (e.g. a record
   * already handed over for sending may still be written); `cause` is the signal's reason.
   */
  ABORTED: 'ABORTED',
  /**
   * Another live process uses this consumer instance's `instanceId`: both would read the same shards.
   * Fatal; give every instance its own id (the default is unique).
   */
  DUPLICATE_INSTANCE: 'DUPLICATE_INSTANCE',
  /** A producer's disk spool directory is locked by another live process. */
  SPOOL_LOCKED: 'SPOOL_LOCKED',
  /** Reading or writing a producer's disk spool failed (disk full, permissions, I/O error). */
  SPOOL_IO_FAILED: 'SPOOL_IO_FAILED',
  /**
   * A batch handler reported records as failed (`batchItemFailures`), or returned identifiers that
   * match no record of its batch (the whole batch then counts as failed).
   */
  BATCH_ITEM_FAILED: 'BATCH_ITEM_FAILED',
  /** A failure destination did not accept records (it threw, or did not answer in time). */
  FAILURE_DESTINATION_FAILED: 'FAILURE_DESTINATION_FAILED',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Ids and values that explain an error. */
export type ErrorContext = Readonly<Record<string, unknown>>;

/** Options for {@link KinesisTsError}. */
export interface KinesisTsErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Ids that help (stream, shard, owner, ...). */
  context?: ErrorContext;
}

/** Base class of every error thrown by kinesis-ts. */
export class KinesisTsError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Ids and values that explain the error. */
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: KinesisTsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when `error` is a kinesis-ts error, optionally with the given code. */
export function isKinesisTsError(error: unknown, code?: ErrorCode): error is KinesisTsError {
  if (!(error instanceof Error)) return false;
  const candidate = error as Partial<KinesisTsError>;
  if (typeof candidate.code !== 'string' || !(candidate.code in ErrorCode)) return false;
  return code === undefined || candidate.code === code;
}

/** Invalid input at a public boundary: an option, an argument, a key, a record. */
export class ValidationError extends KinesisTsError {}

/** A component was used outside its lifecycle: before `start()` or after `close()`. */
export class LifecycleError extends KinesisTsError {}

/** The state store failed or is misconfigured (not a lease conflict). */
export class StateStoreError extends KinesisTsError {}

/** Which lease write failed its condition. */
export type LeaseOperation = 'create' | 'take' | 'renew' | 'checkpoint' | 'release' | 'end' | 'handoff';

/** Ids carried by every lease conflict. */
export interface LeaseConflictDetails {
  /** The consumer group (application name) the lease belongs to. */
  consumerGroup: string;
  /** The stream the shard belongs to. */
  streamName: string;
  /** The shard the lease is for. */
  shardId: string;
  /** The write that failed. */
  operation: LeaseOperation;
  /** The owner the caller expected (or claimed to be). */
  expectedOwner: string | null;
  /** The lease counter the caller expected. */
  expectedCounter: number | null;
  /** The owner found in the store after the failure, when known (`undefined` = not re-read). */
  actualOwner?: string | null;
  /** The lease counter found in the store after the failure, when known. */
  actualCounter?: number | null;
}

/** A conditional lease write failed because the lease changed since the caller observed it. */
export class LeaseConflictError extends KinesisTsError {
  /** The consumer group of the lease. */
  readonly consumerGroup: string;
  /** The stream of the lease. */
  readonly streamName: string;
  /** The shard of the lease. */
  readonly shardId: string;
  /** The write that failed. */
  readonly operation: LeaseOperation;
  /** The owner the caller expected. */
  readonly expectedOwner: string | null;
  /** The counter the caller expected. */
  readonly expectedCounter: number | null;
  /** The owner found after the failure (`undefined` when not re-read). */
  readonly actualOwner: string | null | undefined;
  /** The counter found after the failure (`undefined` when not re-read). */
  readonly actualCounter: number | null | undefined;

  constructor(
    details: LeaseConflictDetails,
    options: { cause?: unknown; message?: string } = {},
    code: ErrorCode = ErrorCode.LEASE_CONFLICT,
  ) {
    super(
      code,
      options.message ??
        `${details.operation} of lease ${details.streamName}/${details.shardId} (group ${details.consumerGroup}) failed: ` +
          `expected owner ${String(details.expectedOwner)} counter ${String(details.expectedCounter)}, ` +
          `found owner ${details.actualOwner === undefined ? '?' : String(details.actualOwner)} counter ${details.actualCounter === undefined ? '?' : String(details.actualCounter)}`,
      { cause: options.cause, context: { ...details } },
    );
    this.consumerGroup = details.consumerGroup;
    this.streamName = details.streamName;
    this.shardId = details.shardId;
    this.operation = details.operation;
    this.expectedOwner = details.expectedOwner;
    this.expectedCounter = details.expectedCounter;
    this.actualOwner = details.actualOwner;
    this.actualCounter = details.actualCounter;
  }
}

/**
 * An owner write failed: the caller no longer holds the lease (another owner took it, or the counter
 * moved). The consumer stops the shard without a further checkpoint.
 */
export class LeaseLostError extends LeaseConflictError {
  constructor(details: LeaseConflictDetails, options: { cause?: unknown; message?: string } = {}) {
    super(details, options, ErrorCode.LEASE_LOST);
  }
}

/** The lease does not exist. */
export class LeaseNotFoundError extends KinesisTsError {
  constructor(
    details: { consumerGroup: string; streamName: string; shardId: string },
    options: { cause?: unknown } = {},
  ) {
    super(
      ErrorCode.LEASE_NOT_FOUND,
      `lease ${details.streamName}/${details.shardId} (group ${details.consumerGroup}) does not exist`,
      { cause: options.cause, context: { ...details } },
    );
  }
}
