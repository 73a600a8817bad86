/**
 * Hash keys: how Kinesis maps a record to a shard.
 *
 * Kinesis hashes the partition key with MD5 and reads the digest as a big-endian unsigned 128-bit
 * integer; an explicit hash key (a decimal string) overrides that. Each shard owns an inclusive range
 * of that 128-bit space.
 */

import { createHash, randomUUID } from 'node:crypto';
import { ErrorCode, ValidationError } from './errors.js';

/** The largest hash key: `2^128 - 1`. */
export const MAX_HASH_KEY: bigint = 2n ** 128n - 1n;

/** The longest partition key Kinesis accepts, in characters (UTF-16 code units, as the KPL counts). */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** The decimal form of {@link MAX_HASH_KEY} (39 digits). */
const MAX_HASH_KEY_DECIMAL = MAX_HASH_KEY.toString();

/** Kinesis' own pattern for `ExplicitHashKey`: `0|([1-9]\d{0,38})`. */
const DECIMAL_HASH_KEY = /^(?:0|[1-9][0-9]{0,38})$/;

/**
 * Throws a {@link ValidationError} (`INVALID_PARTITION_KEY`) unless `partitionKey` is a string of
 * 1..256 characters. Characters are UTF-16 code units (`string.length`), as the KPL counts them.
 */
export function validatePartitionKey(partitionKey: string): void {
  if (typeof partitionKey !== 'string') {
    throw new ValidationError(
      ErrorCode.INVALID_PARTITION_KEY,
      `partition key must be a string, got ${typeof partitionKey}`,
      { context: { type: typeof partitionKey } },
    );
  }
  const length = partitionKey.length;
  if (length === 0 || length > MAX_PARTITION_KEY_LENGTH) {
    throw new ValidationError(
      ErrorCode.INVALID_PARTITION_KEY,
      `partition key must be 1..${MAX_PARTITION_KEY_LENGTH} characters, got ${length}`,
      { context: { length, limit: MAX_PARTITION_KEY_LENGTH } },
    );
  }
}

/**
 * The hash key Kinesis derives from a partition key: the MD5 digest of its UTF-8 bytes read as a
 * big-endian unsigned 128-bit integer.
 */
export function partitionKeyToHashKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** True when `value` is a valid explicit hash key (decimal, no sign or leading zero, at most 2^128-1). */
export function isExplicitHashKey(value: unknown): boolean {
  if (typeof value !== 'string' || !DECIMAL_HASH_KEY.test(value)) return false;
  // Same length strings of digits compare like the numbers they spell.
  return value.length < MAX_HASH_KEY_DECIMAL.length || value <= MAX_HASH_KEY_DECIMAL;
}

/**
 * Parses an explicit hash key. Accepts exactly what Kinesis accepts (`0|([1-9]\d{0,38})`, at most
 * 2^128-1): no sign, no spaces, no hex, no exponent, no leading zeros (`"01"` is rejected, as Kinesis
 * rejects it). Throws a {@link ValidationError} (`INVALID_EXPLICIT_HASH_KEY`) otherwise.
 */
export function parseExplicitHashKey(value: string): bigint {
  if (!isExplicitHashKey(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
    throw new ValidationError(
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
      `explicit hash key must be a decimal integer in 0..2^128-1 without sign or leading zeros, got ${shown}`,
      { context: { explicitHashKey: value } },
    );
  }
  return BigInt(value);
}

/**
 * The hash key that places a record on a shard: its explicit hash key when present (validated, see
 * {@link parseExplicitHashKey}), else the MD5 of its partition key.
 */
export function effectiveHashKey(record: {
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
}): bigint {
  const ehk = record.explicitHashKey;
  return ehk === undefined || ehk === null
    ? partitionKeyToHashKey(record.partitionKey)
    : parseExplicitHashKey(ehk);
}

/** An inclusive range of hash keys, as a shard owns it. */
export interface HashKeyRange {
  /** First hash key of the range (inclusive). */
  readonly startingHashKey: bigint;
  /** Last hash key of the range (inclusive). */
  readonly endingHashKey: bigint;
}

function parseRangeBound(value: unknown, name: string): bigint {
  if (!isExplicitHashKey(value)) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `hash key range: ${name} must be a decimal integer in 0..2^128-1, got ${JSON.stringify(value)}`,
      { context: { [name]: value } },
    );
  }
  return BigInt(value as string);
}

/**
 * Parses a hash key range from the SDK's shape (`{ StartingHashKey, EndingHashKey }`, as in
 * `Shard.HashKeyRange`) or a camel-case one. Throws a {@link ValidationError} (`INVALID_ARGUMENT`) when
 * a bound is missing, not a decimal in 0..2^128-1, or the start is after the end.
 */
export function parseHashKeyRange(
  range:
    | { StartingHashKey?: string; EndingHashKey?: string }
    | { startingHashKey: string; endingHashKey: string },
): HashKeyRange {
  const sdk = 'StartingHashKey' in range || 'EndingHashKey' in range;
  const start = sdk
    ? (range as { StartingHashKey?: string }).StartingHashKey
    : (range as { startingHashKey?: string }).startingHashKey;
  const end = sdk
    ? (range as { EndingHashKey?: string }).EndingHashKey
    : (range as { endingHashKey?: string }).endingHashKey;
  const startingHashKey = parseRangeBound(start, 'startingHashKey');
  const endingHashKey = parseRangeBound(end, 'endingHashKey');
  if (startingHashKey > endingHashKey) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `hash key range starts after it ends: ${start} > ${end}`,
      {
        context: { startingHashKey: start, endingHashKey: end },
      },
    );
  }
  return { startingHashKey, endingHashKey };
}

/** True when `hashKey` lies in `range` (both bounds inclusive). */
export function hashKeyInRange(hashKey: bigint, range: HashKeyRange): boolean {
  return hashKey >= range.startingHashKey && hashKey <= range.endingHashKey;
}

/**
 * Finds the shard whose hash key range contains `hashKey`, or `undefined` when none does.
 *
 * Meant for the open shards of a stream, whose ranges do not overlap, so the answer is unique. When
 * `shards` is sorted by `startingHashKey` (ascending) the lookup is a binary search, O(log n). The
 * candidate it finds is always checked; when the check fails (unsorted input, or a key in a gap) the
 * function falls back to a linear scan, so unsorted input gets the right answer too, in O(n). With
 * overlapping ranges (e.g. a closed parent listed with its children) it returns one of the shards that
 * contain the key, without saying which: pass only open shards.
 */
export function findShardForHashKey<T extends { readonly hashKeyRange: HashKeyRange }>(
  shards: readonly T[],
  hashKey: bigint,
): T | undefined {
  // Binary search for the last shard whose range starts at or before hashKey.
  let lo = 0;
  let hi = shards.length - 1;
  let candidate = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (shards[mid]!.hashKeyRange.startingHashKey <= hashKey) {
      candidate = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (candidate >= 0) {
    const shard = shards[candidate]!;
    if (hashKeyInRange(hashKey, shard.hashKeyRange)) return shard;
  }
  for (const shard of shards) {
    if (hashKeyInRange(hashKey, shard.hashKeyRange)) return shard;
  }
  return undefined;
}

/**
 * A random partition key that spreads records evenly over the hash space.
 *
 * Kinesis hashes the key with MD5, so any unpredictable key lands uniformly; this returns a UUID v4
 * (36 ASCII characters, so 36 bytes toward the record size): cheap (Node batches its entropy), unique
 * enough that a key never pins a stream of records to one shard, and readable in logs.
 */
export function randomPartitionKey(): string {
  return randomUUID();
}
