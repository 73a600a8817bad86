import { ErrorCode, type KinesisTsError, type LeaseScope, systemClock } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeldLease } from './held-lease.js';
import { LeaseRenewer } from './lease-renewer.js';
import { ControlledState } from './test-support/controlled-state.js';

const scope: LeaseScope = { consumerGroup: 'g', streamName: 's' };
const FAILOVER = 3000;
const RENEW = 1000;

async function setup(shards: string[], owner = 'me', store = new MemoryStateStore()) {
  const state = new ControlledState(new MemoryState({ store }));
  await state.start();
  const lost: Array<{ shardId: string; reason: string; at: number }> = [];
  const errors: KinesisTsError[] = [];
  const duplicates: KinesisTsError[] = [];
  const renewer = new LeaseRenewer({
    clock: systemClock,
    scope,
    owner,
    renewIntervalMs: RENEW,
    failoverTimeMs: FAILOVER,
    onHandoffRequested: () => {},
    onLost: (shardId, reason) => lost.push({ shardId, reason, at: Date.now() }),
    onError: (error) => errors.push(error),
    onDuplicate: (error) => duplicates.push(error),
  });
  const held = new Map<string, HeldLease>();
  for (const shardId of shards) {
    await state.createLease(scope, shardId);
    const current = (await state.getLease(scope, shardId))!;
    const lease =
      current.owner === owner
        ? current
        : await state.takeLease(
            scope,
            shardId,
            { owner: current.owner, leaseCounter: current.leaseCounter },
            owner,
          );
    const h = new HeldLease({ state, scope, lease, store: { clock: systemClock, timeoutMs: RENEW, scope } });
    held.set(shardId, h);
    renewer.add(h, Date.now());
  }
  return { state, renewer, held, lost, errors, duplicates, store };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseRenewer', () => {
  it('renews each lease every renewIntervalMs', async () => {
    const { renewer, held } = await setup(['a', 'b']);
    await vi.advanceTimersByTimeAsync(RENEW * 5 + 10);
    expect(held.get('a')!.lease.leaseCounter).toBe(1 + 5);
    expect(held.get('b')!.lease.leaseCounter).toBe(1 + 5);
    renewer.close();
  });

  it('gives a lease up locally at its deadline while a renew call hangs (no answer at all)', async () => {
    const { renewer, held, lost, state } = await setup(['a']);
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(RENEW + 10); // one good renewal started at t0 + RENEW
    expect(held.get('a')!.lease.leaseCounter).toBe(2);
    state.rules.push({ mode: 'hang' }); // the whole store hangs
    await vi.advanceTimersByTimeAsync(FAILOVER * 3);
    expect(lost).toHaveLength(1);
    // Deadline: failover time after the last successful renewal *started*, not a moment later.
    expect(lost[0]!.at - (t0 + RENEW)).toBe(FAILOVER);
    expect(lost[0]!.reason).toMatch(/no successful renewal/);
    // Every later write of that holder fails at once, without reaching the store.
    const before = state.calls.length;
    await expect(
      held.get('a')!.checkpoint({ sequenceNumber: '1', subSequenceNumber: 0 }),
    ).rejects.toMatchObject({
      code: ErrorCode.LEASE_LOST,
    });
    expect(state.calls.length).toBe(before);
    renewer.close();
    state.releaseAll();
  });

  it('a hung renewal of one lease does not delay the renewals of another', async () => {
    const { renewer, held, lost, state } = await setup(['a', 'b']);
    state.rules.push({ op: 'renewLease', shardId: 'a', mode: 'hang' });
    state.rules.push({ op: 'getLease', shardId: 'a', mode: 'hang' });
    await vi.advanceTimersByTimeAsync(RENEW * 6 + 10);
    expect(held.get('b')!.lease.leaseCounter).toBe(1 + 6);
    expect(lost.map((l) => l.shardId)).toEqual(['a']);
    renewer.close();
    state.releaseAll();
  });

  it('a renewal that timed out but landed does not cost the lease: the next one re-reads the counter', async () => {
    const { renewer, held, lost, errors, state } = await setup(['a']);
    state.rules.push({ op: 'renewLease', mode: 'land-then-hang', times: 1 });
    await vi.advanceTimersByTimeAsync(RENEW * 2 + 10); // renewal 1 times out (it landed), renewal 2 re-reads
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.TIMEOUT]);
    await vi.advanceTimersByTimeAsync(RENEW * 4);
    expect(lost).toEqual([]);
    expect(held.get('a')!.lost).toBeNull();
    // The late answer of the first renewal arrives: nothing changes.
    state.releaseAll();
    await vi.advanceTimersByTimeAsync(RENEW);
    expect(lost).toEqual([]);
    expect(held.get('a')!.lease.leaseCounter).toBe((await state.getLease(scope, 'a'))!.leaseCounter);
    renewer.close();
  });

  it('detects another live process writing under the same instance id', async () => {
    const store = new MemoryStateStore();
    const one = await setup(['a'], 'same-id', store);
    const two = await setup(['a'], 'same-id', store); // "adopts" the lease it finds under its own id
    await vi.advanceTimersByTimeAsync(RENEW * 6);
    const duplicates = [...one.duplicates, ...two.duplicates];
    expect(duplicates.length).toBeGreaterThanOrEqual(1);
    expect(duplicates[0]!.code).toBe(ErrorCode.DUPLICATE_INSTANCE);
    one.renewer.close();
    two.renewer.close();
  });

  it('stops every timer on close', async () => {
    const { renewer } = await setup(['a', 'b']);
    renewer.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
