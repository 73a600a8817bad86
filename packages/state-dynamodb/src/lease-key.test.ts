import { ErrorCode } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { decodeLeaseKey, encodeLeaseKey, scopeKeyPrefix } from './lease-key.js';

describe('lease keys', () => {
  it('reads naturally for ordinary names', () => {
    expect(
      encodeLeaseKey({ consumerGroup: 'orders-app', streamName: 'orders' }, 'shardId-000000000001'),
    ).toBe('orders-app#orders#shardId-000000000001');
  });

  const awkward = ['a', 'a#b', '#', '%', '%23', '%25', 'a%#b', '##', 'x#y#z', 'grüße', '日本', ' spaced '];

  it('round-trips every combination of awkward names', () => {
    for (const consumerGroup of awkward) {
      for (const streamName of awkward) {
        for (const shardId of awkward) {
          const key = encodeLeaseKey({ consumerGroup, streamName }, shardId);
          expect(decodeLeaseKey(key)).toEqual({ consumerGroup, streamName, shardId });
        }
      }
    }
  });

  it('never maps two different (group, stream, shard) triples to one key', () => {
    const seen = new Map<string, string>();
    for (const consumerGroup of awkward) {
      for (const streamName of awkward) {
        for (const shardId of awkward) {
          const key = encodeLeaseKey({ consumerGroup, streamName }, shardId);
          const triple = JSON.stringify([consumerGroup, streamName, shardId]);
          expect(seen.get(key) ?? triple, `collision on ${key}`).toBe(triple);
          seen.set(key, triple);
        }
      }
    }
    expect(seen.size).toBe(awkward.length ** 3);
  });

  it("a scope's prefix matches only its own keys, also when one name extends another", () => {
    const scopes = [
      { consumerGroup: 'g', streamName: 's' },
      { consumerGroup: 'g', streamName: 's#t' },
      { consumerGroup: 'g#s', streamName: 't' },
      { consumerGroup: 'gg', streamName: 's' },
      { consumerGroup: 'g', streamName: 'ss' },
    ];
    for (const scope of scopes) {
      const prefix = scopeKeyPrefix(scope);
      for (const other of scopes) {
        const key = encodeLeaseKey(other, 'shardId-000000000000');
        expect(key.startsWith(prefix), `${JSON.stringify(other)} under ${prefix}`).toBe(other === scope);
      }
    }
  });

  it('rejects empty names and keys over 2048 bytes with a ValidationError', () => {
    expect(() => encodeLeaseKey({ consumerGroup: '', streamName: 's' }, 'x')).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => encodeLeaseKey({ consumerGroup: 'g', streamName: '' }, 'x')).toThrow(/streamName/);
    expect(() => encodeLeaseKey({ consumerGroup: 'g', streamName: 's' }, '')).toThrow(/shardId/);
    expect(() =>
      encodeLeaseKey({ consumerGroup: 'g'.repeat(2000), streamName: 's'.repeat(100) }, 'x'),
    ).toThrow(/2048/);
  });

  it('decodes only keys in its own format', () => {
    expect(decodeLeaseKey('shardId-000000000000')).toBeNull();
    expect(decodeLeaseKey('a#b')).toBeNull();
    expect(decodeLeaseKey('a#b#c#d')).toBeNull();
    expect(decodeLeaseKey('#b#c')).toBeNull();
  });
});
