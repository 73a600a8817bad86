import { expect } from 'vitest';
import { ErrorCode } from '../../errors.js';
import { expectLeaseWriteToFail, mustGetLease, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** Graceful handoff: requestHandoff, renew shows it, release with handoff, and the conflicts. */
export function handoffTests(test: ConformanceTest, _options: ResolvedConformanceOptions): void {
  test('handoff round trip: B requests, A sees it on renew, checkpoints, releases with handoff; B owns the lease', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const held = await seedLease(a, scope, shardId, {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '10', subSequenceNumber: 0 },
    });
    const observed = await mustGetLease(b, scope, shardId);
    const requested = await b.requestHandoff(scope, shardId, fenceOf(observed), 'owner-b');
    expect(snapshot(requested), 'a request only sets pendingOwner').toEqual({
      ...snapshot(held),
      pendingOwner: 'owner-b',
    });
    const renewed = await a.renewLease(scope, shardId, fenceOf(held));
    expect(renewed.pendingOwner, "the owner's renew shows the request").toBe('owner-b');
    expect(renewed.owner).toBe('owner-a');
    expect(renewed.leaseCounter).toBe(held.leaseCounter + 1);
    const checkpointed = await a.checkpoint(scope, shardId, fenceOf(renewed), {
      sequenceNumber: '20',
      subSequenceNumber: 3,
    });
    expect(checkpointed.pendingOwner, 'a checkpoint keeps the request').toBe('owner-b');
    const handedOver = await a.releaseLease(scope, shardId, fenceOf(checkpointed), { handoff: true });
    expect(snapshot(handedOver)).toEqual({
      ...snapshot(checkpointed),
      owner: 'owner-b',
      pendingOwner: null,
      leaseCounter: checkpointed.leaseCounter + 1,
    });
    const seenByB = await mustGetLease(b, scope, shardId);
    expect(snapshot(seenByB)).toEqual(snapshot(handedOver));
    // B holds a working fence; A is fenced out.
    const renewedByB = await b.renewLease(scope, shardId, fenceOf(seenByB));
    expect(renewedByB.owner).toBe('owner-b');
    expect(await b.getCheckpoint(scope, shardId)).toEqual({ sequenceNumber: '20', subSequenceNumber: 3 });
    await expectLeaseWriteToFail(
      a.checkpoint(scope, shardId, fenceOf(checkpointed), { sequenceNumber: '21', subSequenceNumber: 0 }),
      {
        code: ErrorCode.LEASE_LOST,
        operation: 'checkpoint',
        scope,
        shardId,
        stored: renewedByB,
      },
    );
  });

  test('a second requester while a handoff is pending is rejected with LeaseConflictError; the first request stays', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const c = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(1);
    const requested = await seedLease(a, scope, shardId, { owner: 'owner-a', pendingOwner: 'owner-b' });
    await expectLeaseWriteToFail(c.requestHandoff(scope, shardId, fenceOf(requested), 'owner-c'), {
      code: ErrorCode.LEASE_CONFLICT,
      operation: 'handoff',
      scope,
      shardId,
      stored: requested,
    });
    expect(snapshot(await mustGetLease(c, scope, shardId))).toEqual(snapshot(requested));
    // Repeating the pending request is safe to retry and changes nothing.
    const repeated = await b.requestHandoff(scope, shardId, fenceOf(requested), 'owner-b');
    expect(snapshot(repeated)).toEqual(snapshot(requested));
    expect(snapshot(await mustGetLease(c, scope, shardId))).toEqual(snapshot(requested));
  });

  test('requestHandoff with the wrong owner in the fence, or of an unowned or missing lease, is rejected with LeaseConflictError', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const held = await seedLease(a, scope, shardIdOf(2), { owner: 'owner-a' });
    for (const owner of ['owner-x', null]) {
      await expectLeaseWriteToFail(
        b.requestHandoff(scope, shardIdOf(2), { owner, leaseCounter: held.leaseCounter }, 'owner-b'),
        {
          code: ErrorCode.LEASE_CONFLICT,
          operation: 'handoff',
          scope,
          shardId: shardIdOf(2),
          stored: held,
        },
      );
    }
    expect(snapshot(await mustGetLease(b, scope, shardIdOf(2)))).toEqual(snapshot(held));
    const free = await seedLease(a, scope, shardIdOf(3), { owner: null });
    await expectLeaseWriteToFail(b.requestHandoff(scope, shardIdOf(3), fenceOf(free), 'owner-b'), {
      code: ErrorCode.LEASE_CONFLICT,
      operation: 'handoff',
      scope,
      shardId: shardIdOf(3),
      stored: free,
    });
    expect(snapshot(await mustGetLease(b, scope, shardIdOf(3)))).toEqual(snapshot(free));
    await expectLeaseWriteToFail(
      b.requestHandoff(scope, shardIdOf(4), { owner: 'owner-a', leaseCounter: 1 }, 'owner-b'),
      {
        code: ErrorCode.LEASE_CONFLICT,
        operation: 'handoff',
        scope,
        shardId: shardIdOf(4),
        stored: null,
      },
    );
    expect(await b.getLease(scope, shardIdOf(4))).toBeNull();
  });

  test('requestHandoff ignores the counter (the owner keeps renewing) and does not change it', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(5);
    const observed = await seedLease(a, scope, shardId, { owner: 'owner-a' });
    const renewed = await a.renewLease(scope, shardId, fenceOf(observed));
    const requested = await b.requestHandoff(scope, shardId, fenceOf(observed), 'owner-b');
    expect(requested.leaseCounter).toBe(renewed.leaseCounter);
    expect(requested.pendingOwner).toBe('owner-b');
    // The owner's fence is still valid after the request.
    const renewedAgain = await a.renewLease(scope, shardId, fenceOf(renewed));
    expect(renewedAgain.pendingOwner).toBe('owner-b');
  });

  test('release without handoff, or with handoff but nothing pending, leaves the lease unowned and no pending owner', async (h) => {
    const a = await h.started();
    const scope = randomScope();
    const pending = await seedLease(a, scope, shardIdOf(6), { owner: 'owner-a', pendingOwner: 'owner-b' });
    const released = await a.releaseLease(scope, shardIdOf(6), fenceOf(pending));
    expect(snapshot(released)).toEqual({
      ...snapshot(pending),
      owner: null,
      pendingOwner: null,
      leaseCounter: pending.leaseCounter + 1,
    });
    const nothingPending = await seedLease(a, scope, shardIdOf(7), { owner: 'owner-a' });
    const releasedWithHandoff = await a.releaseLease(scope, shardIdOf(7), fenceOf(nothingPending), {
      handoff: true,
    });
    expect(snapshot(releasedWithHandoff)).toEqual({
      ...snapshot(nothingPending),
      owner: null,
      leaseCounter: nothingPending.leaseCounter + 1,
    });
  });

  test('takeLease clears a pending owner', async (h) => {
    const a = await h.started();
    const c = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(8);
    const pending = await seedLease(a, scope, shardId, { owner: 'owner-a', pendingOwner: 'owner-b' });
    const taken = await c.takeLease(scope, shardId, fenceOf(pending), 'owner-c');
    expect(snapshot(taken)).toEqual({
      ...snapshot(pending),
      owner: 'owner-c',
      pendingOwner: null,
      leaseCounter: pending.leaseCounter + 1,
    });
  });
}
