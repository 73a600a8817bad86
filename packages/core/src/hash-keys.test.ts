import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ValidationError } from './errors.js';
import {
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

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).code;
  }
  return undefined;
}

describe('constants', () => {
  it('MAX_HASH_KEY is 2^128 - 1', () => {
    expect(MAX_HASH_KEY).toBe(340282366920938463463374607431768211455n);
    expect(MAX_PARTITION_KEY_LENGTH).toBe(256);
  });
});

describe('validatePartitionKey', () => {
  it('accepts 1..256 characters', () => {
    expect(() => validatePartitionKey('a')).not.toThrow();
    expect(() => validatePartitionKey('x'.repeat(256))).not.toThrow();
    // 256 characters of 3 UTF-8 bytes each: characters count, not bytes.
    expect(() => validatePartitionKey('€'.repeat(256))).not.toThrow();
  });

  it('rejects empty, too long and non-string keys with INVALID_PARTITION_KEY', () => {
    expect(codeOf(() => validatePartitionKey(''))).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(codeOf(() => validatePartitionKey('x'.repeat(257)))).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(codeOf(() => validatePartitionKey(42 as unknown as string))).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(codeOf(() => validatePartitionKey(undefined as unknown as string))).toBe(
      ErrorCode.INVALID_PARTITION_KEY,
    );
  });

  it('reports the length and limit in the context', () => {
    try {
      validatePartitionKey('x'.repeat(300));
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).context).toEqual({ length: 300, limit: 256 });
    }
  });
});

describe('partitionKeyToHashKey', () => {
  it('matches literal MD5 values (RFC 1321 test suite)', () => {
    expect(partitionKeyToHashKey('a')).toBe(BigInt('0x0cc175b9c0f1b6a831c399e269772661'));
    expect(partitionKeyToHashKey('abc')).toBe(BigInt('0x900150983cd24fb0d6963f7d28e17f72'));
    expect(partitionKeyToHashKey('message digest')).toBe(BigInt('0xf96b697d7cb7938d525a2f31aaf161d0'));
  });

  it('hashes the UTF-8 bytes and reads them big-endian', () => {
    for (const key of ['ключ', '🔑', 'partition-1', 'a'.repeat(256)]) {
      const digest = createHash('md5').update(Buffer.from(key, 'utf8')).digest();
      let expected = 0n;
      for (const byte of digest) expected = (expected << 8n) | BigInt(byte);
      expect(partitionKeyToHashKey(key)).toBe(expected);
    }
  });

  it('stays within 0..2^128-1', () => {
    for (let i = 0; i < 200; i++) {
      const h = partitionKeyToHashKey(`k${i}`);
      expect(h >= 0n && h <= MAX_HASH_KEY).toBe(true);
    }
  });
});

describe('parseExplicitHashKey', () => {
  it('accepts the bounds and plain decimals', () => {
    expect(parseExplicitHashKey('0')).toBe(0n);
    expect(parseExplicitHashKey('1')).toBe(1n);
    expect(parseExplicitHashKey('340282366920938463463374607431768211455')).toBe(MAX_HASH_KEY);
    expect(parseExplicitHashKey('170141183460469231731687303715884105728')).toBe(2n ** 127n);
    expect(parseExplicitHashKey('99999999999999999999999999999999999999')).toBe(10n ** 38n - 1n);
  });

  it.each([
    ['2^128', '340282366920938463463374607431768211456'],
    ['39 nines', '999999999999999999999999999999999999999'],
    ['40 digits', '1000000000000000000000000000000000000000'],
    ['negative', '-1'],
    ['plus sign', '+1'],
    ['leading zero (Kinesis pattern 0|[1-9]\\d{0,38} rejects it)', '01'],
    ['double zero', '00'],
    ['exponent', '1e3'],
    ['leading space', ' 1'],
    ['trailing space', '1 '],
    ['trailing newline', '1\n'],
    ['hex', '0x10'],
    ['fraction', '1.0'],
    ['empty', ''],
    ['non-ASCII digits', '١٢'],
  ])('rejects %s', (_name, value) => {
    expect(codeOf(() => parseExplicitHashKey(value))).toBe(ErrorCode.INVALID_EXPLICIT_HASH_KEY);
    expect(isExplicitHashKey(value)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(codeOf(() => parseExplicitHashKey(12 as unknown as string))).toBe(
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
    );
    expect(isExplicitHashKey(12)).toBe(false);
  });
});

describe('effectiveHashKey', () => {
  it('uses the explicit hash key when present, else the MD5 of the partition key', () => {
    expect(effectiveHashKey({ partitionKey: 'abc', explicitHashKey: '7' })).toBe(7n);
    expect(effectiveHashKey({ partitionKey: 'abc' })).toBe(partitionKeyToHashKey('abc'));
    expect(effectiveHashKey({ partitionKey: 'abc', explicitHashKey: undefined })).toBe(
      partitionKeyToHashKey('abc'),
    );
  });

  it('validates the explicit hash key', () => {
    expect(codeOf(() => effectiveHashKey({ partitionKey: 'a', explicitHashKey: '-5' }))).toBe(
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
    );
  });
});

describe('hash key ranges', () => {
  it('parses the SDK shape and the camel-case shape', () => {
    expect(parseHashKeyRange({ StartingHashKey: '0', EndingHashKey: '10' })).toEqual({
      startingHashKey: 0n,
      endingHashKey: 10n,
    });
    expect(parseHashKeyRange({ startingHashKey: '5', endingHashKey: MAX_HASH_KEY.toString() })).toEqual({
      startingHashKey: 5n,
      endingHashKey: MAX_HASH_KEY,
    });
    expect(parseHashKeyRange({ startingHashKey: '5', endingHashKey: '5' })).toEqual({
      startingHashKey: 5n,
      endingHashKey: 5n,
    });
  });

  it('rejects missing, malformed and inverted bounds with INVALID_ARGUMENT', () => {
    expect(codeOf(() => parseHashKeyRange({ StartingHashKey: '0' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => parseHashKeyRange({ EndingHashKey: '0' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => parseHashKeyRange({ startingHashKey: '-1', endingHashKey: '3' }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(
      codeOf(() =>
        parseHashKeyRange({ startingHashKey: '0', endingHashKey: '340282366920938463463374607431768211456' }),
      ),
    ).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => parseHashKeyRange({ startingHashKey: '10', endingHashKey: '9' }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
  });

  it('hashKeyInRange includes both bounds', () => {
    const range: HashKeyRange = { startingHashKey: 100n, endingHashKey: 200n };
    expect(hashKeyInRange(99n, range)).toBe(false);
    expect(hashKeyInRange(100n, range)).toBe(true);
    expect(hashKeyInRange(150n, range)).toBe(true);
    expect(hashKeyInRange(200n, range)).toBe(true);
    expect(hashKeyInRange(201n, range)).toBe(false);
    const whole: HashKeyRange = { startingHashKey: 0n, endingHashKey: MAX_HASH_KEY };
    expect(hashKeyInRange(0n, whole)).toBe(true);
    expect(hashKeyInRange(MAX_HASH_KEY, whole)).toBe(true);
  });
});

describe('findShardForHashKey', () => {
  /** Splits the hash space into `n` contiguous shards, as a freshly created stream does. */
  function evenShards(n: number): { shardId: string; hashKeyRange: HashKeyRange }[] {
    const step = (MAX_HASH_KEY + 1n) / BigInt(n);
    return Array.from({ length: n }, (_, i) => ({
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      hashKeyRange: {
        startingHashKey: step * BigInt(i),
        endingHashKey: i === n - 1 ? MAX_HASH_KEY : step * BigInt(i + 1) - 1n,
      },
    }));
  }

  function linear<T extends { hashKeyRange: HashKeyRange }>(
    shards: readonly T[],
    key: bigint,
  ): T | undefined {
    return shards.find((s) => hashKeyInRange(key, s.hashKeyRange));
  }

  it('finds the shard at every boundary of a sorted shard list', () => {
    const shards = evenShards(7);
    for (const [i, shard] of shards.entries()) {
      const { startingHashKey: start, endingHashKey: end } = shard.hashKeyRange;
      expect(findShardForHashKey(shards, start)).toBe(shard);
      expect(findShardForHashKey(shards, end)).toBe(shard);
      if (i > 0) expect(findShardForHashKey(shards, start - 1n)).toBe(shards[i - 1]);
    }
    expect(findShardForHashKey(shards, 0n)).toBe(shards[0]);
    expect(findShardForHashKey(shards, MAX_HASH_KEY)).toBe(shards[6]);
  });

  it('gives the same answer as a linear scan for unsorted input', () => {
    const shards = evenShards(16);
    const shuffled = [...shards].reverse();
    shuffled.push(shuffled.splice(3, 1)[0]!);
    for (let i = 0; i < 500; i++) {
      const key = partitionKeyToHashKey(`key-${i}`);
      const expected = linear(shards, key);
      expect(expected).toBeDefined();
      expect(findShardForHashKey(shuffled, key)).toBe(expected);
      expect(findShardForHashKey(shards, key)).toBe(expected);
    }
  });

  it('returns undefined for keys no shard covers and for an empty list', () => {
    const shards = [
      { hashKeyRange: { startingHashKey: 10n, endingHashKey: 19n } },
      { hashKeyRange: { startingHashKey: 30n, endingHashKey: 39n } },
    ];
    expect(findShardForHashKey(shards, 5n)).toBeUndefined();
    expect(findShardForHashKey(shards, 20n)).toBeUndefined();
    expect(findShardForHashKey(shards, 29n)).toBeUndefined();
    expect(findShardForHashKey(shards, 40n)).toBeUndefined();
    expect(findShardForHashKey(shards, 30n)).toBe(shards[1]);
    expect(findShardForHashKey([], 1n)).toBeUndefined();
  });
});

describe('randomPartitionKey', () => {
  it('returns valid, distinct keys', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const key = randomPartitionKey();
      validatePartitionKey(key);
      keys.add(key);
    }
    expect(keys.size).toBe(1000);
  });

  it('spreads records over the hash space (each of 8 equal slices gets a fair share)', () => {
    const buckets = new Array<number>(8).fill(0);
    const n = 8000;
    for (let i = 0; i < n; i++) {
      buckets[Number(partitionKeyToHashKey(randomPartitionKey()) >> 125n)]! += 1;
    }
    // Expected 1000 per bucket, standard deviation ~30: 800..1200 fails with negligible probability.
    for (const count of buckets) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });
});
