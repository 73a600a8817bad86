import {
  type Checkpoint,
  type CreateLeaseOptions,
  ErrorCode,
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

/** `0`, or 1 to 129 digits without a leading zero (the Kinesis API's pattern). */
const SEQUENCE_NUMBER = SEQUENCE_NUMBER_PATTERN;

/** A checkpoint is a decimal sequence number and a non-negative integer sub-sequence number. */
export function validateCheckpoint(checkpoint: Checkpoint): void {
  if (typeof checkpoint !== 'object' || checkpoint === null) {
    throw invalid('checkpoint must be an object', { checkpoint });
  }
  if (typeof checkpoint.sequenceNumber !== 'string' || !SEQUENCE_NUMBER.test(checkpoint.sequenceNumber)) {
    throw invalid(
      'checkpoint.sequenceNumber must be a decimal string of 1 to 129 digits without a leading zero',
      {
        sequenceNumber: checkpoint.sequenceNumber,
      },
    );
  }
  if (!Number.isSafeInteger(checkpoint.subSequenceNumber) || checkpoint.subSequenceNumber < 0) {
    throw invalid('checkpoint.subSequenceNumber must be a non-negative integer', {
      subSequenceNumber: checkpoint.subSequenceNumber,
    });
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
