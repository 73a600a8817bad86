import type { Lease } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { type LeaseSnapshot, planLeases } from './lease-taker.js';

function lease(shardId: string, owner: string | null, extra: Partial<Lease> = {}): Lease {
  return {
    consumerGroup: 'g',
    streamName: 's',
    shardId,
    owner,
    leaseCounter: owner === null ? 0 : 5,
    checkpoint: null,
    parentShardIds: [],
    ended: false,
    pendingOwner: null,
    ...extra,
  };
}

function snapshot(leases: Lease[], extra: Partial<LeaseSnapshot> = {}): LeaseSnapshot {
  return {
    leases,
    owner: 'me',
    held: new Set(leases.filter((l) => l.owner === 'me').map((l) => l.shardId)),
    expired: () => false,
    quarantined: () => false,
    pendingSteal: null,
    now: 10_000,
    handoffTimeoutMs: 3000,
    ...extra,
  };
}

const ids = (leases: readonly Lease[]) => leases.map((l) => l.shardId);

describe('planLeases (the lease taker)', () => {
  it.each([
    {
      name: 'alone: takes every unowned lease',
      leases: [lease('a', null), lease('b', null), lease('c', null)],
      take: ['a', 'b', 'c'],
      wanted: 3,
      target: 3,
    },
    {
      name: 'one live peer holding all four: share 2, nothing to take, asks the peer for one',
      leases: [lease('a', 'p'), lease('b', 'p'), lease('c', 'p'), lease('d', 'p')],
      take: [],
      wanted: 2,
      target: 2,
      fallback: { type: 'request-handoff', shardId: 'a', from: 'p' },
    },
    {
      name: 'balanced 2/2: nothing to do',
      leases: [lease('a', 'p'), lease('b', 'p'), lease('c', 'me'), lease('d', 'me')],
      take: [],
      wanted: 0,
      target: 2,
    },
    {
      name: 'ended leases and children of unfinished parents are not eligible',
      leases: [
        lease('p1', null, { ended: true }),
        lease('p2', null),
        lease('c1', null, { parentShardIds: ['p1'] }),
        lease('c2', null, { parentShardIds: ['p1', 'p2'] }),
      ],
      take: ['p2', 'c1'],
      wanted: 2,
      target: 2,
    },
    {
      name: 'a parent the group does not track does not block its child',
      leases: [lease('c', null, { parentShardIds: ['gone'] })],
      take: ['c'],
      wanted: 1,
      target: 1,
    },
  ])('$name', ({ leases, take, wanted, target, fallback }) => {
    const plan = planLeases(snapshot(leases));
    expect(ids(plan.take)).toEqual(take);
    expect(plan.wanted).toBe(wanted);
    expect(plan.target).toBe(target);
    if (fallback === undefined) expect(plan.fallback).toBeNull();
    else
      expect(plan.fallback).toMatchObject({
        type: fallback.type,
        lease: { shardId: fallback.shardId },
        from: fallback.from,
      });
  });

  it('takes unowned leases before expired ones, and does not count an expired owner as live', () => {
    const leases = [lease('x', 'dead'), lease('y', null), lease('z', 'dead')];
    const plan = planLeases(snapshot(leases, { expired: (l) => l.owner === 'dead' }));
    expect(ids(plan.take)).toEqual(['y', 'x', 'z']);
    expect(plan.target).toBe(3);
  });

  it('adopts leases stored under its own id that it does not hold (a handoff granted, a restart)', () => {
    const leases = [lease('a', 'me'), lease('b', 'me', { ended: true }), lease('c', null)];
    const plan = planLeases(
      snapshot(leases, { held: new Set(), pendingSteal: { shardId: 'a', owner: 'p', since: 0 } }),
    );
    expect(plan.adopt.map((a) => [a.lease.shardId, a.stolen])).toEqual([['a', true]]);
    // The adopted lease counts toward the share: only one more to take.
    expect(plan.wanted).toBe(1);
    expect(plan.pendingSteal).toBeNull();
  });

  it('leaves quarantined shards alone', () => {
    const plan = planLeases(
      snapshot([lease('a', null), lease('b', null)], { quarantined: (id) => id === 'a' }),
    );
    expect(ids(plan.take)).toEqual(['b']);
    expect(plan.target).toBe(1);
  });

  it('waits for a pending handoff, then takes the lease when it timed out', () => {
    const leases = [lease('a', 'p'), lease('b', 'p'), lease('c', 'p'), lease('d', 'p')];
    const waiting = planLeases(snapshot(leases, { pendingSteal: { shardId: 'a', owner: 'p', since: 9000 } }));
    expect(waiting.fallback).toBeNull();
    expect(waiting.pendingSteal).toMatchObject({ shardId: 'a' });
    const late = planLeases(snapshot(leases, { pendingSteal: { shardId: 'a', owner: 'p', since: 7000 } }));
    expect(late.fallback).toMatchObject({ type: 'force-take', lease: { shardId: 'a' } });
    expect(late.pendingSteal).toBeNull();
  });

  it('forgets a pending handoff whose lease changed owner', () => {
    const leases = [lease('a', 'q'), lease('b', 'p')];
    const plan = planLeases(snapshot(leases, { pendingSteal: { shardId: 'a', owner: 'p', since: 9000 } }));
    expect(plan.pendingSteal).toBeNull();
  });

  it('does not steal when the most loaded peer holds only one more than this instance', () => {
    const leases = [lease('a', 'p'), lease('b', 'p'), lease('c', 'me')];
    expect(planLeases(snapshot(leases)).fallback).toBeNull();
  });
});
