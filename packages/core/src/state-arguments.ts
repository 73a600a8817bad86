/**
 * The argument checks every {@link StateAdapter} must make (see "Arguments" in `state.ts`), ready to
 * call at the top of an adapter's methods. Each throws a {@link ValidationError} with code
 * `INVALID_ARGUMENT` and the offending value in `context`; call them inside an `async` method so the
 * caller gets a rejection, never a synchronous throw.
 */
import { isSentinelSequenceNumber } from './checkpoint-position.js';
import { ErrorCode, ValidationError } from './errors.js';
import type { Checkpoint } from './records.js';
import type { LeaseFence, LeaseScope } from './state.js';

/**
 * A sequence number as Kinesis writes it: `0`, or 1 to 129 decimal digits without a leading zero
 * (the pattern of the Kinesis API's `SequenceNumber`).
 */
export const SEQUENCE_NUMBER_PATTERN: RegExp = /^(0|[1-9][0-9]{0,128})$/;

function invalid(message: string, context: Record<string, unknown>): ValidationError {
  return new ValidationError(ErrorCode.INVALID_ARGUMENT, message, { context });
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `scope` is an object whose `consumerGroup` and `streamName` are non-empty strings. */
export function validateLeaseScope(scope: unknown): asserts scope is LeaseScope {
  if (!isObject(scope)) throw invalid('scope must be an object { consumerGroup, streamName }', { scope });
  if (!isNonEmptyString(scope.consumerGroup)) {
    throw invalid(
      `scope.consumerGroup must be a non-empty string, got ${JSON.stringify(scope.consumerGroup)}`,
      {
        consumerGroup: scope.consumerGroup,
      },
    );
  }
  if (!isNonEmptyString(scope.streamName)) {
    throw invalid(`scope.streamName must be a non-empty string, got ${JSON.stringify(scope.streamName)}`, {
      streamName: scope.streamName,
    });
  }
}

/** `shardId` is a non-empty string. */
export function validateShardId(shardId: unknown): asserts shardId is string {
  if (!isNonEmptyString(shardId)) {
    throw invalid(`shardId must be a non-empty string, got ${JSON.stringify(shardId)}`, { shardId });
  }
}

/** `fence` is an object; `owner` is `null` or a non-empty string; `leaseCounter` a safe integer >= 0. */
export function validateLeaseFence(fence: unknown): asserts fence is LeaseFence {
  if (!isObject(fence)) throw invalid('fence must be an object { owner, leaseCounter }', { fence });
  if (fence.owner !== null && !isNonEmptyString(fence.owner)) {
    throw invalid(`fence.owner must be null or a non-empty string, got ${JSON.stringify(fence.owner)}`, {
      owner: fence.owner,
    });
  }
  if (
    typeof fence.leaseCounter !== 'number' ||
    !Number.isSafeInteger(fence.leaseCounter) ||
    fence.leaseCounter < 0
  ) {
    throw invalid(`fence.leaseCounter must be an integer >= 0, got ${String(fence.leaseCounter)}`, {
      leaseCounter: fence.leaseCounter,
    });
  }
}

/** An owner name (`newOwner` of a take, `requester` of a handoff) is a non-empty string. */
export function validateOwnerName(name: string, value: unknown): asserts value is string {
  if (!isNonEmptyString(value)) {
    throw invalid(`${name} must be a non-empty string, got ${JSON.stringify(value)}`, { [name]: value });
  }
}

/** A handoff request names a requester other than the owner it expects (nobody hands a lease to itself). */
export function validateHandoffRequest(fence: LeaseFence, requester: unknown): asserts requester is string {
  validateOwnerName('requester', requester);
  if (requester === fence.owner) {
    throw invalid(`requester ${requester} already owns the lease (fence.owner)`, { requester });
  }
}

/**
 * A checkpoint is an object with a `sequenceNumber` matching {@link SEQUENCE_NUMBER_PATTERN} and a
 * `subSequenceNumber` that is a safe integer >= 0, or a position that is not a record: a sentinel
 * `sequenceNumber` (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<epoch ms>`, see checkpoint-position.ts)
 * with a `subSequenceNumber` of 0.
 */
export function validateCheckpoint(
  checkpoint: unknown,
  name = 'checkpoint',
): asserts checkpoint is Checkpoint {
  if (!isObject(checkpoint))
    throw invalid(`${name} must be an object { sequenceNumber, subSequenceNumber }`, { [name]: checkpoint });
  const { sequenceNumber, subSequenceNumber } = checkpoint;
  const sentinel = typeof sequenceNumber === 'string' && isSentinelSequenceNumber(sequenceNumber);
  if (typeof sequenceNumber !== 'string' || !(sentinel || SEQUENCE_NUMBER_PATTERN.test(sequenceNumber))) {
    throw invalid(
      `${name}.sequenceNumber must be a decimal string of 1 to 129 digits without a leading zero, or TRIM_HORIZON, LATEST or AT_TIMESTAMP:<epoch ms>; got ${JSON.stringify(sequenceNumber)}`,
      { sequenceNumber },
    );
  }
  if (sentinel && subSequenceNumber !== 0) {
    throw invalid(
      `${name}.subSequenceNumber must be 0 with the position ${sequenceNumber}, got ${String(subSequenceNumber)}`,
      { sequenceNumber, subSequenceNumber },
    );
  }
  if (
    typeof subSequenceNumber !== 'number' ||
    !Number.isSafeInteger(subSequenceNumber) ||
    subSequenceNumber < 0
  ) {
    throw invalid(`${name}.subSequenceNumber must be an integer >= 0, got ${String(subSequenceNumber)}`, {
      subSequenceNumber,
    });
  }
}

/**
 * `options.parentShardIds`, when given, is an array of at most 2 distinct non-empty shard ids, none of
 * them `shardId` itself.
 */
export function validateParentShardIds(shardId: string, parentShardIds: unknown): void {
  if (parentShardIds === undefined) return;
  const valid =
    Array.isArray(parentShardIds) &&
    parentShardIds.length <= 2 &&
    parentShardIds.every(isNonEmptyString) &&
    new Set(parentShardIds).size === parentShardIds.length &&
    !parentShardIds.includes(shardId);
  if (!valid) {
    throw invalid(
      `parentShardIds must be at most 2 distinct non-empty shard ids other than the shard itself, got ${JSON.stringify(parentShardIds)}`,
      { shardId, parentShardIds },
    );
  }
}
