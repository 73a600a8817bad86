import { MAX_HASH_KEY } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { describeShards, keyspaceShare } from './streams.js';

const half = (MAX_HASH_KEY + 1n) / 2n;

describe('describeShards', () => {
  it('lists open shards first, then closed ones, with parents and key-space shares', () => {
    const shards = describeShards([
      {
        shardId: 'shardId-000000000000',
        parentShardIds: [],
        hashKeyRange: { startingHashKey: '0', endingHashKey: MAX_HASH_KEY.toString() },
        closed: true,
      },
      {
        shardId: 'shardId-000000000002',
        parentShardIds: ['shardId-000000000000'],
        hashKeyRange: { startingHashKey: half.toString(), endingHashKey: MAX_HASH_KEY.toString() },
        closed: false,
      },
      {
        shardId: 'shardId-000000000001',
        parentShardIds: ['shardId-000000000000'],
        hashKeyRange: { startingHashKey: '0', endingHashKey: (half - 1n).toString() },
        closed: false,
      },
    ]);
    expect(shards.map((s) => [s.shardId, s.state, s.parentShardIds, s.keyspaceShare])).toEqual([
      ['shardId-000000000001', 'open', ['shardId-000000000000'], 0.5],
      ['shardId-000000000002', 'open', ['shardId-000000000000'], 0.5],
      ['shardId-000000000000', 'closed', [], 1],
    ]);
  });

  it('has no share without a hash range', () => {
    expect(keyspaceShare({ hashKeyRange: null })).toBeNull();
  });
});
