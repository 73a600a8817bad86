import { expect } from 'vitest';
import { ErrorCode, type LeaseOperation } from '../../errors.js';
import type { Lease, LeaseFence, LeaseScope, StateAdapter } from '../../state.js';
import { expectLeaseWriteToFail, expectWellFormed, mustGetLease, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

type OwnerWrite = 'renewLease' | 'checkpoint' | 'releaseLease' | 'markShardEnded';

const operationOf: Record<OwnerWrite, LeaseOperation> = {
  renewLease: 'renew',
  checkpoint: 'checkpoint',
  releaseLease: 'release',
  markShardEnded: 'end',
};

/** One owner write with arguments that would change the lease if the fence held. */
function ownerWrite(
  adapter: StateAdapter,
  write: OwnerWrite,
  scope: LeaseScope,
  shardId: string,
  fence: LeaseFence,
): Promise<Lease> {
  const position = { sequenceNumber: '99999999999999999999', subSequenceNumber: 9 };
  switch (write) {
    case 'renewLease':
      return adapter.renewLease(scope, shardId, fence);
    case 'checkpoint':
      return adapter.checkpoint(scope, shardId, fence, position);
    case 'releaseLease':
      // With a pending owner stored, a wrongly accepted release would also move ownership.
      return adapter.releaseLease(scope, shardId, fence, { handoff: true });
    case 'markShardEnded':
      return adapter.markShardEnded(scope, shardId, fence, position);
  }
}

/** renew / checkpoint / release / markShardEnded: counters, fencing, missing leases. */
export function ownerWriteTests(test: ConformanceTest, _options: ResolvedConformanceOptions): void {
  test('counters: take, renew, release and markShardEnded add exactly one; checkpoint adds none', async (h) => {
    const a = await h.started();
    const reader = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const expectStored = async (lease: Lease, counter: number): Promise<void> => {
      expectWellFormed(lease, scope, shardId);
      expect(lease.leaseCounter).toBe(counter);
      expect(
        snapshot(await mustGetLease(reader, scope, shardId)),
        'the returned lease is what is stored',
      ).toEqual(snapshot(lease));
    };
    let lease = await a.createLease(scope, shardId);
    await expectStored(lease, 0);
    lease = await a.takeLease(scope, shardId, fenceOf(lease), 'owner-a');
    await expectStored(lease, 1);
    lease = await a.renewLease(scope, shardId, fenceOf(lease));
    await expectStored(lease, 2);
    lease = await a.checkpoint(scope, shardId, fenceOf(lease), {
      sequenceNumber: '10',
      subSequenceNumber: 0,
    });
    await expectStored(lease, 2);
    // The owner's fence is still valid after a checkpoint.
    lease = await a.checkpoint(scope, shardId, fenceOf(lease), {
      sequenceNumber: '20',
      subSequenceNumber: 1,
    });
    await expectStored(lease, 2);
    lease = await a.renewLease(scope, shardId, fenceOf(lease));
    await expectStored(lease, 3);
    expect(lease.checkpoint, 'renew keeps the checkpoint').toEqual({
      sequenceNumber: '20',
      subSequenceNumber: 1,
    });
    lease = await a.markShardEnded(scope, shardId, fenceOf(lease), {
      sequenceNumber: '30',
      subSequenceNumber: 0,
    });
    await expectStored(lease, 4);
    expect(lease.owner, 'an ended lease stays owned until released').toBe('owner-a');
    lease = await a.releaseLease(scope, shardId, fenceOf(lease));
    await expectStored(lease, 5);
    expect(lease.owner).toBeNull();
    lease = await a.takeLease(scope, shardId, fenceOf(lease), 'owner-b');
    await expectStored(lease, 6);
    expect(lease.ended, 'ended survives release and take').toBe(true);
  });

  for (const write of ['renewLease', 'checkpoint', 'releaseLease', 'markShardEnded'] as const) {
    const operation = operationOf[write];

    test(`${write} with a stale counter or by a non-owner rejects with LeaseLostError and changes nothing`, async (h) => {
      const a = await h.started();
      const b = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(1);
      const before = await seedLease(a, scope, shardId, {
        owner: 'owner-a',
        parentShardIds: [shardIdOf(0)],
        checkpoint: { sequenceNumber: '500', subSequenceNumber: 2 },
        pendingOwner: 'owner-c',
      });
      const wrongFences: LeaseFence[] = [
        { owner: 'owner-a', leaseCounter: before.leaseCounter - 1 },
        { owner: 'owner-a', leaseCounter: before.leaseCounter + 1 },
        { owner: 'owner-b', leaseCounter: before.leaseCounter },
        { owner: 'owner-c', leaseCounter: before.leaseCounter },
        { owner: null, leaseCounter: before.leaseCounter },
      ];
      for (const fence of wrongFences) {
        for (const adapter of [a, b]) {
          await expectLeaseWriteToFail(ownerWrite(adapter, write, scope, shardId, fence), {
            code: ErrorCode.LEASE_LOST,
            operation,
            scope,
            shardId,
            stored: before,
          });
          expect(
            snapshot(await mustGetLease(b, scope, shardId)),
            `unchanged after ${write} with ${JSON.stringify(fence)}`,
          ).toEqual(snapshot(before));
        }
      }
    });

    test(`${write} by an owner whose lease was taken by another instance rejects with LeaseLostError`, async (h) => {
      const a = await h.started();
      const b = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(2);
      const held = await seedLease(a, scope, shardId, {
        owner: 'owner-a',
        checkpoint: { sequenceNumber: '5', subSequenceNumber: 0 },
      });
      const stolen = await b.takeLease(scope, shardId, fenceOf(held), 'owner-b');
      await expectLeaseWriteToFail(ownerWrite(a, write, scope, shardId, fenceOf(held)), {
        code: ErrorCode.LEASE_LOST,
        operation,
        scope,
        shardId,
        stored: stolen,
      });
      expect(snapshot(await mustGetLease(b, scope, shardId))).toEqual(snapshot(stolen));
    });

    test(`${write} of an unowned lease, fenced with owner null and its counter, rejects with LeaseLostError`, async (h) => {
      const a = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(4);
      const held = await seedLease(a, scope, shardId, {
        owner: 'owner-a',
        checkpoint: { sequenceNumber: '8', subSequenceNumber: 0 },
      });
      const free = await a.releaseLease(scope, shardId, fenceOf(held));
      await expectLeaseWriteToFail(ownerWrite(a, write, scope, shardId, fenceOf(free)), {
        code: ErrorCode.LEASE_LOST,
        operation,
        scope,
        shardId,
        stored: free,
      });
      expect(snapshot(await mustGetLease(a, scope, shardId))).toEqual(snapshot(free));
    });

    test(`${write} of a lease that does not exist rejects with LeaseLostError and creates nothing`, async (h) => {
      const a = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(3);
      await expectLeaseWriteToFail(
        ownerWrite(a, write, scope, shardId, { owner: 'owner-a', leaseCounter: 1 }),
        {
          code: ErrorCode.LEASE_LOST,
          operation,
          scope,
          shardId,
          stored: null,
        },
      );
      expect(await a.getLease(scope, shardId)).toBeNull();
      expect(await a.getCheckpoint(scope, shardId)).toBeNull();
    });
  }

  test('a released lease can be taken at once by anyone with owner null and the new counter', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(4);
    const held = await seedLease(a, scope, shardId, {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '77', subSequenceNumber: 1 },
    });
    const released = await a.releaseLease(scope, shardId, fenceOf(held));
    expect(snapshot(released)).toEqual({
      ...snapshot(held),
      owner: null,
      leaseCounter: held.leaseCounter + 1,
    });
    const observed = await mustGetLease(b, scope, shardId);
    expect(snapshot(observed)).toEqual(snapshot(released));
    const taken = await b.takeLease(
      scope,
      shardId,
      { owner: null, leaseCounter: released.leaseCounter },
      'owner-b',
    );
    expect(taken.owner).toBe('owner-b');
    expect(taken.leaseCounter).toBe(released.leaseCounter + 1);
    expect(await b.getCheckpoint(scope, shardId), 'the new owner resumes from the checkpoint').toEqual({
      sequenceNumber: '77',
      subSequenceNumber: 1,
    });
  });

  test('markShardEnded without a final checkpoint keeps the stored checkpoint; with one, replaces it', async (h) => {
    const a = await h.started();
    const scope = randomScope();
    const kept = await seedLease(a, scope, shardIdOf(5), {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '40', subSequenceNumber: 3 },
    });
    const endedKeeping = await a.markShardEnded(scope, shardIdOf(5), fenceOf(kept));
    expect(snapshot(endedKeeping)).toEqual({
      ...snapshot(kept),
      ended: true,
      leaseCounter: kept.leaseCounter + 1,
    });
    const replaced = await seedLease(a, scope, shardIdOf(6), {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '40', subSequenceNumber: 3 },
    });
    const endedReplacing = await a.markShardEnded(scope, shardIdOf(6), fenceOf(replaced), {
      sequenceNumber: '41',
      subSequenceNumber: 0,
    });
    expect(endedReplacing.checkpoint).toEqual({ sequenceNumber: '41', subSequenceNumber: 0 });
    expect(endedReplacing.ended).toBe(true);
    // The ended lease can still be renewed and released by its owner.
    const renewed = await a.renewLease(scope, shardIdOf(6), fenceOf(endedReplacing));
    expect(renewed.ended).toBe(true);
    const released = await a.releaseLease(scope, shardIdOf(6), fenceOf(renewed));
    expect(snapshot(released)).toEqual({
      ...snapshot(renewed),
      owner: null,
      leaseCounter: renewed.leaseCounter + 1,
    });
  });
}
