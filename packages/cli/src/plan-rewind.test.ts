import type { Lease } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { ENDED_REASON, planRewind } from './plan-rewind.js';

function lease(shardId: string, fields: Partial<Lease> = {}): Lease {
  return {
    consumerGroup: 'g',
    streamName: 's',
    shardId,
    owner: null,
    leaseCounter: 3,
    checkpoint: null,
    parentShardIds: [],
    ended: false,
    pendingOwner: null,
    ...fields,
  };
}

const leases = [
  lease('shardId-000000000010', { owner: 'b' }),
  lease('shardId-000000000002', { ended: true, owner: null }),
  lease('shardId-000000000001'),
  lease('shardId-000000000003', { ended: true, owner: 'a' }),
];

describe('planRewind', () => {
  it('--all: every lease in shard order; ended ones skipped (even when still owned), unowned written at once', () => {
    const plan = planRewind(leases, { type: 'all' }, false);
    expect(plan.ok && plan.entries.map((e) => [e.shardId, e.action])).toEqual([
      ['shardId-000000000001', 'write-now'],
      ['shardId-000000000002', 'skip-ended'],
      ['shardId-000000000003', 'skip-ended'],
      ['shardId-000000000010', 'watch'],
    ]);
    expect(plan.ok && plan.entries[1]?.reason).toBe(ENDED_REASON);
  });

  it('held leases are asked for a handoff with --handoff', () => {
    const plan = planRewind(leases, { type: 'all' }, true);
    expect(plan.ok && plan.entries.map((e) => e.action)).toEqual([
      'write-now',
      'skip-ended',
      'skip-ended',
      'handoff',
    ]);
  });

  it('--shard: that lease only; a shard without a lease, or a group without leases, is no plan', () => {
    const one = planRewind(leases, { type: 'shard', shardId: 'shardId-000000000010' }, false);
    expect(one.ok && one.entries.map((e) => e.shardId)).toEqual(['shardId-000000000010']);
    const missing = planRewind(leases, { type: 'shard', shardId: 'shardId-000000000099' }, false);
    expect(missing).toEqual({
      ok: false,
      reason: expect.stringContaining('no lease for shardId-000000000099'),
    });
    expect(planRewind([], { type: 'all' }, true)).toEqual({
      ok: false,
      reason: expect.stringContaining('the group has no leases'),
    });
  });
});
