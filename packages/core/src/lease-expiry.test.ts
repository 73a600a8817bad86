import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ErrorCode, ValidationError } from './errors.js';
import { LeaseExpiryTracker } from './lease-expiry.js';
import type { Lease } from './state.js';

const scope = { consumerGroup: 'group', streamName: 'stream' };

function lease(overrides: Partial<Lease> = {}): Lease {
  return {
    ...scope,
    shardId: 'shardId-000000000000',
    owner: 'worker-a',
    leaseCounter: 1,
    checkpoint: null,
    parentShardIds: [],
    ended: false,
    pendingOwner: null,
    ...overrides,
  };
}

describe('LeaseExpiryTracker', () => {
  it('rejects a failover time that is not a positive finite number', () => {
    for (const failoverTimeMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const create = (): LeaseExpiryTracker => new LeaseExpiryTracker({ failoverTimeMs });
      expect(create).toThrow(ValidationError);
      try {
        create();
      } catch (error) {
        expect((error as ValidationError).code).toBe(ErrorCode.INVALID_ARGUMENT);
      }
    }
  });

  it('never reports a lease expired at first sight, and expires it only after more than failoverTime', () => {
    const clock = new ManualClock(1_000);
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 10_000, clock });
    const held = lease();
    expect(tracker.isExpired(held)).toBe(false); // never observed
    tracker.observe([held]);
    expect(tracker.isExpired(held)).toBe(false);
    expect(tracker.timeUntilExpiry(held)).toBe(10_000);
    clock.advance(9_999);
    tracker.observe([held]);
    expect(tracker.isExpired(held)).toBe(false);
    clock.advance(1);
    expect(tracker.isExpired(held)).toBe(false); // exactly failoverTime: not yet (KCL: strictly longer)
    clock.advance(1);
    expect(tracker.isExpired(held)).toBe(true);
    expect(tracker.isAvailable(held)).toBe(true);
    expect(tracker.timeUntilExpiry(held)).toBe(-1);
  });

  it('restarts the clock when the counter moves (a renew)', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 10_000, clock });
    tracker.observe([lease({ leaseCounter: 1 })]);
    clock.advance(8_000);
    const renewed = lease({ leaseCounter: 2 });
    tracker.observe([renewed]);
    clock.advance(8_000);
    expect(tracker.isExpired(renewed)).toBe(false);
    clock.advance(2_001);
    expect(tracker.isExpired(renewed)).toBe(true);
  });

  it('restarts the clock when the owner changes even with an equal counter', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    tracker.observe([lease({ owner: 'a', leaseCounter: 5 })]);
    clock.advance(200);
    const other = lease({ owner: 'b', leaseCounter: 5 });
    expect(tracker.isExpired(other)).toBe(false); // not the observed state
    tracker.observe([other]);
    expect(tracker.isExpired(other)).toBe(false);
    clock.advance(101);
    expect(tracker.isExpired(other)).toBe(true);
  });

  it('does not report expiry for a lease in a newer state than observed', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    tracker.observe([lease({ leaseCounter: 1 })]);
    clock.advance(1_000);
    expect(tracker.isExpired(lease({ leaseCounter: 1 }))).toBe(true);
    expect(tracker.isExpired(lease({ leaseCounter: 2 }))).toBe(false);
    expect(tracker.timeUntilExpiry(lease({ leaseCounter: 2 }))).toBeNull();
  });

  it('treats unowned leases as available, never expired', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    const free = lease({ owner: null, leaseCounter: 3 });
    tracker.observe([free]);
    clock.advance(1_000);
    expect(tracker.isExpired(free)).toBe(false);
    expect(tracker.isAvailable(free)).toBe(true);
    expect(tracker.timeUntilExpiry(free)).toBeNull();
    const held = lease({ leaseCounter: 4 });
    tracker.observe([held]);
    expect(tracker.isAvailable(held)).toBe(false);
  });

  it('keeps leases of different groups, streams and shards apart', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    const a = lease();
    const otherGroup = lease({ consumerGroup: 'group-2' });
    const otherStream = lease({ streamName: 'stream-2' });
    const otherShard = lease({ shardId: 'shardId-000000000001' });
    tracker.observe([a]);
    clock.advance(50);
    tracker.observe([otherGroup, otherStream, otherShard]);
    clock.advance(51);
    expect(tracker.isExpired(a)).toBe(true);
    expect(tracker.isExpired(otherGroup)).toBe(false);
    expect(tracker.isExpired(otherStream)).toBe(false);
    expect(tracker.isExpired(otherShard)).toBe(false);
    expect(tracker.size).toBe(4);
  });

  it('does not confuse ids that only differ in where a separator would go', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    tracker.observe([lease({ consumerGroup: 'a/b', streamName: 'c', shardId: 's' })]);
    clock.advance(200);
    expect(tracker.isExpired(lease({ consumerGroup: 'a', streamName: 'b/c', shardId: 's' }))).toBe(false);
  });

  it('forgets one lease or all of them', () => {
    const clock = new ManualClock();
    const tracker = new LeaseExpiryTracker({ failoverTimeMs: 100, clock });
    const a = lease();
    const b = lease({ shardId: 'shardId-000000000001' });
    tracker.observe([a, b]);
    clock.advance(200);
    tracker.forget(scope, a.shardId);
    expect(tracker.isExpired(a)).toBe(false);
    expect(tracker.isExpired(b)).toBe(true);
    // After forgetting, the lease must again be watched for a full failover time.
    tracker.observe([a]);
    expect(tracker.isExpired(a)).toBe(false);
    tracker.clear();
    expect(tracker.size).toBe(0);
    expect(tracker.isExpired(b)).toBe(false);
  });
});
