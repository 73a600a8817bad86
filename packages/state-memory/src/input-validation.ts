import {
  type Checkpoint,
  type CreateLeaseOptions,
  ErrorCode,
  isSentinelSequenceNumber,
  type LeaseFence,
  type LeaseScope,
  SEQUENCE_NUMBER_PATTERN,
  ValidationError,
} from '@kinesis-ts/core';

function invalid(message: string, context: Record<string, unknown>): ValidationError {
  return new ValidationError(ErrorCode.INVALID_ARGUMENT, `MemoryState: ${message}`, { context });
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** A scope must name a consumer group and a stream. */
export function validateScope(scope: LeaseScope): void {
  if (typeof scope !== 'object' || scope === null) throw invalid('scope must be an object', { scope });
  if (!isNonEmptyString(scope.consumerGroup)) {
    throw invalid('scope.consumerGroup must be a non-empty string', { consumerGroup: scope.consumerGroup });
  }
  if (!isNonEmptyString(scope.streamName)) {
    throw invalid('scope.streamName must be a non-empty string', { streamName: scope.streamName });
  }
}

/** Shard ids, owners and requesters are non-empty strings. */
export function validateId(name: string, value: unknown): void {
  if (!isNonEmptyString(value)) throw invalid(`${name} must be a non-empty string`, { [name]: value });
}

/** A fence has an owner (string or `null`) and a non-negative integer counter. */
export function validateFence(fence: LeaseFence): void {
  if (typeof fence !== 'object' || fence === null) throw invalid('fence must be an object', { fence });
  if (fence.owner !== null && !isNonEmptyString(fence.owner)) {
    throw invalid('fence.owner must be a non-empty string or null', { owner: fence.owner });
  }
  if (!Number.isSafeInteger(fence.leaseCounter) || fence.leaseCounter < 0) {
    throw invalid('fence.leaseCounter must be a non-negative integer', { leaseCounter: fence.leaseCounter });
  }
}

/**
 * A checkpoint is a decimal sequence number (`0`, or 1 to 129 digits without a leading zero, the
 * Kinesis API's pattern) and a non-negative integer sub-sequence number, or a sentinel position
 * (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<epoch ms>`) with sub-sequence number 0.
 */
export function validateCheckpoint(checkpoint: Checkpoint): void {
  if (typeof checkpoint !== 'object' || checkpoint === null) {
    throw invalid('checkpoint must be an object', { checkpoint });
  }
  const { sequenceNumber, subSequenceNumber } = checkpoint;
  const sentinel = typeof sequenceNumber === 'string' && isSentinelSequenceNumber(sequenceNumber);
  if (typeof sequenceNumber !== 'string' || !(sentinel || SEQUENCE_NUMBER_PATTERN.test(sequenceNumber))) {
    throw invalid(
      'checkpoint.sequenceNumber must be a decimal string of 1 to 129 digits without a leading zero, or TRIM_HORIZON, LATEST or AT_TIMESTAMP:<epoch ms>',
      { sequenceNumber },
    );
  }
  if (
    !Number.isSafeInteger(subSequenceNumber) ||
    subSequenceNumber < 0 ||
    (sentinel && subSequenceNumber !== 0)
  ) {
    throw invalid(
      sentinel
        ? `checkpoint.subSequenceNumber must be 0 with the position ${sequenceNumber}`
        : 'checkpoint.subSequenceNumber must be a non-negative integer',
      { subSequenceNumber },
    );
  }
}

/** Parents are at most two distinct shard ids, none of them the shard itself. */
export function validateCreateOptions(shardId: string, options: CreateLeaseOptions | undefined): void {
  const parents = options?.parentShardIds;
  if (parents === undefined) return;
  if (
    !Array.isArray(parents) ||
    parents.length > 2 ||
    !parents.every(isNonEmptyString) ||
    new Set(parents).size !== parents.length ||
    parents.includes(shardId)
  ) {
    throw invalid(
      'parentShardIds must be at most 2 distinct non-empty shard ids other than the shard itself',
      {
        shardId,
        parentShardIds: parents,
      },
    );
  }
}
