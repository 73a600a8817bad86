import { ErrorCode } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { leaseFromItem, newLeaseItem } from './lease-item.js';

const ids = { consumerGroup: 'g', streamName: 's', shardId: 'shardId-000000000002' };

describe('lease items', () => {
  it('stores a new lease with readable attributes and reads it back', () => {
    const item = newLeaseItem(
      'g#s#shardId-000000000002',
      ids,
      ['shardId-000000000000', 'shardId-000000000001'],
      new Date('2026-01-02T03:04:05.000Z'),
    );
    expect(item).toEqual({
      shard: { S: 'g#s#shardId-000000000002' },
      consumerGroup: { S: 'g' },
      streamName: { S: 's' },
      shardId: { S: 'shardId-000000000002' },
      leaseCounter: { N: '0' },
      parentShardIds: { L: [{ S: 'shardId-000000000000' }, { S: 'shardId-000000000001' }] },
      ended: { BOOL: false },
      updatedAt: { S: '2026-01-02T03:04:05.000Z' },
    });
    expect(leaseFromItem(item)).toEqual({
      ...ids,
      owner: null,
      leaseCounter: 0,
      checkpoint: null,
      parentShardIds: ['shardId-000000000000', 'shardId-000000000001'],
      ended: false,
      pendingOwner: null,
      updatedAt: new Date('2026-01-02T03:04:05.000Z'),
    });
  });

  it('reads sentinel checkpoints and refuses a checkpoint attribute that is neither a record nor a sentinel', () => {
    const base = newLeaseItem('k', ids, [], new Date(0));
    for (const sequenceNumber of ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP:1764435600000']) {
      expect(leaseFromItem({ ...base, checkpoint: { S: sequenceNumber } }).checkpoint).toEqual({
        sequenceNumber,
        subSequenceNumber: 0,
      });
    }
    for (const sequenceNumber of ['SHARD_END', 'trim_horizon', '12x', '']) {
      expect(() => leaseFromItem({ ...base, checkpoint: { S: sequenceNumber } }), sequenceNumber).toThrow(
        expect.objectContaining({ code: ErrorCode.STATE_STORE_MISCONFIGURED }),
      );
    }
  });

  it('reads owner, checkpoint, pending owner and string-set parents', () => {
    const lease = leaseFromItem({
      ...newLeaseItem('k', ids, [], new Date(0)),
      leaseOwner: { S: 'owner-a' },
      leaseCounter: { N: '41' },
      checkpoint: { S: '49590338271490256608559692538361571095921575989136588898' },
      checkpointSubSequenceNumber: { N: '7' },
      parentShardIds: { SS: ['shardId-000000000000'] },
      ended: { BOOL: true },
      pendingOwner: { S: 'owner-b' },
    });
    expect(lease).toMatchObject({
      owner: 'owner-a',
      leaseCounter: 41,
      checkpoint: {
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        subSequenceNumber: 7,
      },
      parentShardIds: ['shardId-000000000000'],
      ended: true,
      pendingOwner: 'owner-b',
    });
  });

  it('rejects items it did not write with a StateStoreError naming the attribute', () => {
    const base = newLeaseItem('k', ids, [], new Date(0));
    for (const [attribute, value] of [
      ['leaseCounter', { S: '1' }],
      ['leaseOwner', { N: '1' }],
      ['ended', { S: 'yes' }],
      ['parentShardIds', { S: 'x' }],
    ] as const) {
      expect(() => leaseFromItem({ ...base, [attribute]: value })).toThrow(
        expect.objectContaining({
          code: ErrorCode.STATE_STORE_MISCONFIGURED,
          message: expect.stringContaining(attribute),
        }),
      );
    }
    const { consumerGroup: _omitted, ...withoutGroup } = base;
    expect(() => leaseFromItem(withoutGroup)).toThrow(/consumerGroup/);
  });
});
