import { expect } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ErrorCode } from '../../errors.js';
import { LeaseExpiryTracker } from '../../lease-expiry.js';
import { expectLeaseWriteToFail, mustGetLease } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** Expiry as an observer sees it: counters written by the adapter, time on the observer's clock. */
export function expiryTests(test: ConformanceTest, _options: ResolvedConformanceOptions): void {
  test('an observer sees a lease expire only after failoverTime without renewals; a renew resets it; the taker then fences the old owner out', async (h) => {
    const owner = await h.started();
    const observer = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const failoverTimeMs = 10_000;
    const clock = new ManualClock(1_000_000);
    const tracker = new LeaseExpiryTracker({ failoverTimeMs, clock });
    const look = async () => {
      const lease = await mustGetLease(observer, scope, shardId);
      tracker.observe([lease]);
      return lease;
    };

    let held = await seedLease(owner, scope, shardId, { owner: 'owner-a' });
    let seen = await look();
    expect(tracker.isExpired(seen), 'not expired at first sight').toBe(false);
    expect(tracker.isAvailable(seen)).toBe(false);

    clock.advance(6_000);
    held = await owner.renewLease(scope, shardId, fenceOf(held));
    seen = await look();
    expect(seen.leaseCounter).toBe(held.leaseCounter);

    clock.advance(6_000); // 12 s since first sight, 6 s since the renew
    seen = await look();
    expect(tracker.isExpired(seen), 'the renew reset the observer clock').toBe(false);

    // The owner stops renewing.
    clock.advance(failoverTimeMs - 6_000);
    seen = await look();
    expect(tracker.isExpired(seen), 'exactly failoverTime is not yet expired').toBe(false);
    clock.advance(1);
    seen = await look();
    expect(tracker.isExpired(seen), 'expired after failoverTime without a renew').toBe(true);
    expect(tracker.isAvailable(seen)).toBe(true);

    const taken = await observer.takeLease(scope, shardId, fenceOf(seen), 'owner-b');
    expect(taken.owner).toBe('owner-b');
    await expectLeaseWriteToFail(owner.renewLease(scope, shardId, fenceOf(held)), {
      code: ErrorCode.LEASE_LOST,
      operation: 'renew',
      scope,
      shardId,
      stored: taken,
    });
    seen = await look();
    expect(tracker.isExpired(seen), 'the new owner starts a fresh failover period').toBe(false);
  });
}
