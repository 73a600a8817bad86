import { type Lease, LeaseExpiryTracker, ManualClock } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { buildLeaseView, formatDuration } from './lease-view.js';

const scope = { consumerGroup: 'g', streamName: 's' };

function lease(
  shardId: string,
  owner: string | null,
  leaseCounter: number,
  extra: Partial<Lease> = {},
): Lease {
  return {
    ...scope,
    shardId,
    owner,
    leaseCounter,
    checkpoint: null,
    parentShardIds: [],
    ended: false,
    pendingOwner: null,
    ...extra,
  };
}

describe('buildLeaseView', () => {
  it('counts leases per instance and marks as expired only a counter that stood still past the failover time', () => {
    const clock = new ManualClock(1_000);
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 3000, clock });
    const first = [
      lease('shardId-000000000010', 'a', 5),
      lease('shardId-000000000002', 'a', 7),
      lease('shardId-000000000003', 'b', 1),
      lease('shardId-000000000004', 'b', 9, { pendingOwner: 'a' }),
    ];
    tracker.observe(first);
    let view = buildLeaseView(scope, first, tracker, 0);
    expect(view.expired).toBe(0);
    expect(view.leases.map((l) => l.state)).toEqual(['held', 'held', 'held', 'held']);
    // Numeric order of shard ids.
    expect(view.leases.map((l) => l.shardId)).toEqual([
      'shardId-000000000002',
      'shardId-000000000003',
      'shardId-000000000004',
      'shardId-000000000010',
    ]);
    // b stops renewing; a renews.
    clock.advance(3001);
    const second = [
      lease('shardId-000000000010', 'a', 6),
      lease('shardId-000000000002', 'a', 8),
      lease('shardId-000000000003', 'b', 1),
      lease('shardId-000000000004', 'b', 9, { pendingOwner: 'a' }),
    ];
    tracker.observe(second);
    view = buildLeaseView(scope, second, tracker, 3001);
    expect(view.leases.map((l) => [l.shardId, l.state, l.unchangedMs])).toEqual([
      ['shardId-000000000002', 'held', 0],
      ['shardId-000000000003', 'expired', 3001],
      ['shardId-000000000004', 'expired', 3001],
      ['shardId-000000000010', 'held', 0],
    ]);
    expect(view.expired).toBe(2);
    expect(view.instances).toEqual([
      { owner: 'a', leases: 2, expired: 0, handoffsPending: 0 },
      { owner: 'b', leases: 2, expired: 2, handoffsPending: 1 },
    ]);
  });

  it('shows unowned and ended leases without expiry, and counts only active ones as active', () => {
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 1000, clock: new ManualClock() });
    const leases = [
      lease('shardId-0', null, 3, {
        ended: true,
        checkpoint: { sequenceNumber: '42', subSequenceNumber: 1 },
      }),
      lease('shardId-1', null, 0, { parentShardIds: ['shardId-0'] }),
    ];
    tracker.observe(leases);
    const view = buildLeaseView(scope, leases, tracker, 0);
    expect(view.leases.map((l) => [l.state, l.unchangedMs])).toEqual([
      ['ended', null],
      ['unowned', null],
    ]);
    expect(view.active).toBe(1);
    expect(view.unowned).toBe(1);
    expect(view.instances).toEqual([]);
    expect(view.leases[0]?.checkpoint).toEqual({ sequenceNumber: '42', subSequenceNumber: 1 });
  });
});

describe('formatDuration', () => {
  it('picks a unit that reads well', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
  });
});
