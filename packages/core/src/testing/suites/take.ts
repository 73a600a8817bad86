import { expect } from 'vitest';
import { ErrorCode } from '../../errors.js';
import {
  expectLeaseRejection,
  expectLeaseWriteToFail,
  expectWellFormed,
  mustGetLease,
  snapshot,
} from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** takeLease: unowned, steal, concurrent takers, stale fences, missing leases, races with the owner. */
export function takeTests(test: ConformanceTest, options: ResolvedConformanceOptions): void {
  const takers = options.concurrentTakers;

  test('takeLease takes an unowned lease: owner set, counter +1, everything else kept', async (h) => {
    const a = await h.started();
    const reader = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const created = await a.createLease(scope, shardId, { parentShardIds: [shardIdOf(9)] });
    const taken = await a.takeLease(scope, shardId, fenceOf(created), 'owner-a');
    expectWellFormed(taken, scope, shardId);
    expect(snapshot(taken)).toEqual({
      ...snapshot(created),
      owner: 'owner-a',
      leaseCounter: created.leaseCounter + 1,
    });
    expect(snapshot(await mustGetLease(reader, scope, shardId))).toEqual(snapshot(taken));
  });

  test('takeLease steals an owned lease with the fence the observer saw; the old owner is then fenced out', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const held = await seedLease(a, scope, shardId, {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '7', subSequenceNumber: 0 },
    });
    const observed = await mustGetLease(b, scope, shardId);
    const stolen = await b.takeLease(scope, shardId, fenceOf(observed), 'owner-b');
    expect(snapshot(stolen)).toEqual({
      ...snapshot(held),
      owner: 'owner-b',
      leaseCounter: held.leaseCounter + 1,
    });
    await expectLeaseWriteToFail(a.renewLease(scope, shardId, fenceOf(held)), {
      code: ErrorCode.LEASE_LOST,
      operation: 'renew',
      scope,
      shardId,
      stored: stolen,
    });
    expect(snapshot(await mustGetLease(a, scope, shardId))).toEqual(snapshot(stolen));
  });

  for (const variant of ['an unowned lease', 'an owned lease (steal)'] as const) {
    test(`${takers} concurrent takers of ${variant} with the same observed fence: exactly one wins`, async (h) => {
      const adapters = await h.startedMany(takers);
      const reader = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(1);
      const seeded = await seedLease(reader, scope, shardId, {
        owner: variant === 'an unowned lease' ? null : 'owner-old',
        checkpoint:
          variant === 'an unowned lease' ? undefined : { sequenceNumber: '11', subSequenceNumber: 2 },
      });
      const fence = fenceOf(seeded);
      const results = await Promise.allSettled(
        adapters.map((adapter, index) => adapter.takeLease(scope, shardId, fence, `taker-${index}`)),
      );
      const winners = results.flatMap((result, index) =>
        result.status === 'fulfilled' ? [{ result, index }] : [],
      );
      expect(winners.length, 'exactly one taker wins').toBe(1);
      const winner = winners[0]!;
      const stored = await mustGetLease(reader, scope, shardId);
      expect(stored.owner, 'the stored owner is the winner').toBe(`taker-${winner.index}`);
      expect(stored.leaseCounter).toBe(seeded.leaseCounter + 1);
      expect(snapshot(winner.result.value)).toEqual(snapshot(stored));
      expect(stored.checkpoint, 'the checkpoint survives the take').toEqual(seeded.checkpoint);
      for (const result of results) {
        if (result.status === 'rejected') {
          expectLeaseRejection(result.reason, {
            code: ErrorCode.LEASE_CONFLICT,
            operation: 'take',
            scope,
            shardId,
            stored,
          });
        }
      }
    });
  }

  test('takeLease with a stale counter or the wrong owner in the fence rejects with LeaseConflictError and changes nothing', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(2);
    const before = await seedLease(a, scope, shardId, {
      owner: 'owner-a',
      parentShardIds: [shardIdOf(0)],
      checkpoint: { sequenceNumber: '12345', subSequenceNumber: 1 },
      pendingOwner: 'owner-c',
    });
    const wrongFences = [
      { owner: 'owner-a', leaseCounter: before.leaseCounter - 1 },
      { owner: 'owner-a', leaseCounter: before.leaseCounter + 1 },
      { owner: 'owner-x', leaseCounter: before.leaseCounter },
      { owner: null, leaseCounter: before.leaseCounter },
    ];
    for (const fence of wrongFences) {
      await expectLeaseWriteToFail(b.takeLease(scope, shardId, fence, 'owner-b'), {
        code: ErrorCode.LEASE_CONFLICT,
        operation: 'take',
        scope,
        shardId,
        stored: before,
      });
      expect(
        snapshot(await mustGetLease(b, scope, shardId)),
        `unchanged after take with ${JSON.stringify(fence)}`,
      ).toEqual(snapshot(before));
    }
  });

  test('takeLease of a lease that does not exist rejects with LeaseConflictError and creates nothing', async (h) => {
    const a = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(3);
    await expectLeaseWriteToFail(a.takeLease(scope, shardId, { owner: null, leaseCounter: 0 }, 'owner-a'), {
      code: ErrorCode.LEASE_CONFLICT,
      operation: 'take',
      scope,
      shardId,
      stored: null,
    });
    expect(await a.getLease(scope, shardId)).toBeNull();
  });

  test('a renew racing a steal with the same fence: exactly one succeeds', async (h) => {
    const owner = await h.started();
    const thief = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(4);
    let held = await seedLease(owner, scope, shardId, { owner: 'owner-a' });
    for (let round = 0; round < 5; round++) {
      const fence = fenceOf(held);
      const [renew, take] = await Promise.allSettled([
        owner.renewLease(scope, shardId, fence),
        thief.takeLease(scope, shardId, fence, 'owner-b'),
      ]);
      expect(
        [renew.status, take.status].filter((status) => status === 'fulfilled').length,
        'exactly one succeeds',
      ).toBe(1);
      const stored = await mustGetLease(thief, scope, shardId);
      expect(stored.leaseCounter).toBe(fence.leaseCounter + 1);
      if (renew.status === 'fulfilled') {
        expect(stored.owner).toBe('owner-a');
        expectLeaseRejection((take as PromiseRejectedResult).reason, {
          code: ErrorCode.LEASE_CONFLICT,
          operation: 'take',
          scope,
          shardId,
          stored,
        });
        held = renew.value;
      } else {
        expect(stored.owner).toBe('owner-b');
        expectLeaseRejection(renew.reason, {
          code: ErrorCode.LEASE_LOST,
          operation: 'renew',
          scope,
          shardId,
          stored,
        });
        // Give the lease back to owner-a for the next round.
        const released = await thief.releaseLease(scope, shardId, fenceOf(stored));
        held = await owner.takeLease(scope, shardId, fenceOf(released), 'owner-a');
      }
    }
  });

  test('a checkpoint racing a steal is either applied before the take or rejected, never written after it', async (h) => {
    const owner = await h.started();
    const thief = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(5);
    let held = await seedLease(owner, scope, shardId, {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '1', subSequenceNumber: 0 },
    });
    for (let round = 0; round < 5; round++) {
      const position = { sequenceNumber: String(100 + round), subSequenceNumber: round };
      const fence = fenceOf(held);
      const [written, take] = await Promise.allSettled([
        owner.checkpoint(scope, shardId, fence, position),
        thief.takeLease(scope, shardId, fence, 'owner-b'),
      ]);
      // The checkpoint leaves the counter unchanged, so the take (same fence) always succeeds.
      expect(take.status, 'the take succeeds either way').toBe('fulfilled');
      const stored = await mustGetLease(thief, scope, shardId);
      expect(stored.owner).toBe('owner-b');
      if (written.status === 'fulfilled') {
        expect(stored.checkpoint, 'a successful checkpoint is stored').toEqual(position);
      } else {
        expectLeaseRejection(written.reason, {
          code: ErrorCode.LEASE_LOST,
          operation: 'checkpoint',
          scope,
          shardId,
          stored,
        });
        expect(stored.checkpoint, 'a rejected checkpoint is not stored').toEqual(held.checkpoint);
      }
      const released = await thief.releaseLease(scope, shardId, fenceOf(stored));
      held = await owner.takeLease(scope, shardId, fenceOf(released), 'owner-a');
    }
  });
}
