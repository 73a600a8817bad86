/**
 * The value of the table's `shard` key: consumer group, stream and shard id in one readable string.
 *
 * Each part is escaped (`%` → `%25`, `#` → `%23`) and the parts are joined with `#`, so
 * `orders-app#orders#shardId-000000000000` reads naturally in the console, and no two
 * (group, stream, shard) triples share a key. A scope's keys all start with {@link scopeKeyPrefix},
 * which ends in `#`: a group or stream whose name extends another's never matches its prefix.
 */
import { ErrorCode, type LeaseScope, ValidationError } from '@kinesis-ts/core';

/** DynamoDB's limit for a partition key value, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 2048;

const SEPARATOR = '#';

function escapePart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll('#', '%23');
}

function unescapePart(part: string): string {
  return part.replace(/%2[35]/g, (sequence) => (sequence === '%23' ? '#' : '%'));
}

function requireNonEmpty(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${name} must be a non-empty string, got ${JSON.stringify(value)}`,
      {
        context: { [name]: value },
      },
    );
  }
}

/** Checks a scope's names; throws a `ValidationError` for an empty or non-string name. */
export function validateScope(scope: LeaseScope): void {
  if (typeof scope !== 'object' || scope === null) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'scope must be an object { consumerGroup, streamName }',
    );
  }
  requireNonEmpty('consumerGroup', scope.consumerGroup);
  requireNonEmpty('streamName', scope.streamName);
}

/** The prefix shared by every key of one scope (ends with `#`). */
export function scopeKeyPrefix(scope: LeaseScope): string {
  validateScope(scope);
  return `${escapePart(scope.consumerGroup)}${SEPARATOR}${escapePart(scope.streamName)}${SEPARATOR}`;
}

/**
 * The `shard` key of one lease.
 * @throws ValidationError for empty names or a key longer than DynamoDB's 2048-byte limit.
 */
export function encodeLeaseKey(scope: LeaseScope, shardId: string): string {
  const prefix = scopeKeyPrefix(scope);
  requireNonEmpty('shardId', shardId);
  const key = `${prefix}${escapePart(shardId)}`;
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `consumer group, stream name and shard id together are too long for a DynamoDB key (${bytes} > ${MAX_KEY_BYTES} UTF-8 bytes)`,
      { context: { consumerGroup: scope.consumerGroup, streamName: scope.streamName, shardId } },
    );
  }
  return key;
}

/** Splits a key made by {@link encodeLeaseKey}; `null` for a key in any other format (e.g. a kinesis-python item). */
export function decodeLeaseKey(
  key: string,
): { consumerGroup: string; streamName: string; shardId: string } | null {
  const parts = key.split(SEPARATOR);
  if (parts.length !== 3) return null;
  const [group, stream, shard] = parts as [string, string, string];
  if (group === '' || stream === '' || shard === '') return null;
  return {
    consumerGroup: unescapePart(group),
    streamName: unescapePart(stream),
    shardId: unescapePart(shard),
  };
}
