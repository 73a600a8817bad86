import { ErrorCode, type Lease, ManualClock } from '@kinesis-ts/core';
import { describeStateAdapterConformance, randomScope, shardIdOf } from '@kinesis-ts/core/testing';
import { describe, expect, it } from 'vitest';
import { MemoryState } from './memory-state.js';
import { MemoryStateStore } from './memory-state-store.js';

const sharedStore = new MemoryStateStore();

describeStateAdapterConformance({
  name: 'MemoryState',
  createAdapter: () => new MemoryState({ store: sharedStore }),
  teardown: async () => {
    sharedStore.clear();
  },
});

async function started(options: ConstructorParameters<typeof MemoryState>[0] = {}): Promise<MemoryState> {
  const state = new MemoryState(options);
  await state.start();
  return state;
}

describe('MemoryState', () => {
  it('declares an in-process, non-durable store with consistent listings', () => {
    expect(new MemoryState().capabilities).toEqual({
      sharedAcrossProcesses: false,
      durable: false,
      consistentListing: true,
    });
  });

  it('gives every instance without a store its own private store', async () => {
    const a = await started();
    const b = await started();
    const scope = randomScope();
    await a.createLease(scope, shardIdOf(0));
    expect(await b.getLease(scope, shardIdOf(0))).toBeNull();
    expect(a.store).not.toBe(b.store);
    expect(a.store.size).toBe(1);
  });

  it('shares leases between instances given the same store', async () => {
    const store = new MemoryStateStore();
    const a = await started({ store });
    const b = await started({ store });
    const scope = randomScope();
    const created = await a.createLease(scope, shardIdOf(0));
    const taken = await b.takeLease(
      scope,
      shardIdOf(0),
      { owner: null, leaseCounter: created.leaseCounter },
      'owner-b',
    );
    expect((await a.getLease(scope, shardIdOf(0)))?.owner).toBe('owner-b');
    expect(taken.leaseCounter).toBe(1);
  });

  it('rejects a store that is not a MemoryStateStore', () => {
    expect(() => new MemoryState({ store: {} as MemoryStateStore })).toThrowError(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  });

  it('stamps updatedAt from the injected clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const state = await started({ clock });
    const scope = randomScope();
    const created = await state.createLease(scope, shardIdOf(0));
    expect(created.updatedAt?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    clock.advance(1_500);
    const taken = await state.takeLease(scope, shardIdOf(0), { owner: null, leaseCounter: 0 }, 'owner-a');
    expect(taken.updatedAt?.toISOString()).toBe('2026-01-01T00:00:01.500Z');
  });

  it('cannot be started again after close()', async () => {
    const state = await started();
    await state.close();
    await expect(state.start()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  describe('input validation', () => {
    const cases: Array<[string, (state: MemoryState, lease: Lease) => Promise<unknown>]> = [
      ['an empty consumer group', (s) => s.getLease({ consumerGroup: '', streamName: 's' }, shardIdOf(0))],
      ['an empty stream name', (s) => s.listLeases({ consumerGroup: 'g', streamName: '' })],
      ['an empty shard id', (s, l) => s.createLease(l, '')],
      ['three parents', (s, l) => s.createLease(l, shardIdOf(5), { parentShardIds: ['a', 'b', 'c'] })],
      ['a negative counter', (s, l) => s.renewLease(l, l.shardId, { owner: 'owner-a', leaseCounter: -1 })],
      ['a fractional counter', (s, l) => s.renewLease(l, l.shardId, { owner: 'owner-a', leaseCounter: 1.5 })],
      ['an empty owner in the fence', (s, l) => s.renewLease(l, l.shardId, { owner: '', leaseCounter: 1 })],
      ['an empty new owner', (s, l) => s.takeLease(l, l.shardId, { owner: 'owner-a', leaseCounter: 1 }, '')],
      [
        'a non-decimal sequence number',
        (s, l) =>
          s.checkpoint(
            l,
            l.shardId,
            { owner: 'owner-a', leaseCounter: 1 },
            { sequenceNumber: '12a', subSequenceNumber: 0 },
          ),
      ],
      [
        'a sequence number with a leading zero',
        (s, l) =>
          s.checkpoint(
            l,
            l.shardId,
            { owner: 'owner-a', leaseCounter: 1 },
            { sequenceNumber: '012', subSequenceNumber: 0 },
          ),
      ],
      [
        'a negative sub-sequence number',
        (s, l) =>
          s.checkpoint(
            l,
            l.shardId,
            { owner: 'owner-a', leaseCounter: 1 },
            { sequenceNumber: '12', subSequenceNumber: -1 },
          ),
      ],
      [
        'a bad final checkpoint',
        (s, l) =>
          s.markShardEnded(
            l,
            l.shardId,
            { owner: 'owner-a', leaseCounter: 1 },
            { sequenceNumber: '', subSequenceNumber: 0 },
          ),
      ],
      [
        'a handoff to the owner itself',
        (s, l) => s.requestHandoff(l, l.shardId, { owner: 'owner-a', leaseCounter: 1 }, 'owner-a'),
      ],
    ];
    for (const [name, call] of cases) {
      it(`rejects ${name} with a ValidationError and writes nothing`, async () => {
        const state = await started();
        const scope = randomScope();
        await state.createLease(scope, shardIdOf(0));
        const lease = await state.takeLease(scope, shardIdOf(0), { owner: null, leaseCounter: 0 }, 'owner-a');
        const before = state.store.list(scope);
        await expect(call(state, lease)).rejects.toMatchObject({
          name: 'ValidationError',
          code: ErrorCode.INVALID_ARGUMENT,
        });
        expect(state.store.list(scope)).toEqual(before);
      });
    }
  });

  describe('MemoryStateStore', () => {
    it('hands out copies and keeps scopes apart whatever characters the names contain', () => {
      const store = new MemoryStateStore();
      const lease: Lease = {
        consumerGroup: 'a/b',
        streamName: 'c',
        shardId: shardIdOf(0),
        owner: 'x',
        leaseCounter: 1,
        checkpoint: { sequenceNumber: '1', subSequenceNumber: 0 },
        parentShardIds: [],
        ended: false,
        pendingOwner: null,
      };
      store.set(lease);
      (lease.checkpoint as { sequenceNumber: string }).sequenceNumber = '2';
      const read = store.get({ consumerGroup: 'a/b', streamName: 'c' }, shardIdOf(0));
      expect(read?.checkpoint?.sequenceNumber).toBe('1');
      (read!.parentShardIds as string[]).push('p');
      expect(store.get({ consumerGroup: 'a/b', streamName: 'c' }, shardIdOf(0))?.parentShardIds).toEqual([]);
      expect(store.get({ consumerGroup: 'a', streamName: 'b/c' }, shardIdOf(0))).toBeUndefined();
      expect(store.size).toBe(1);
      expect(store.delete({ consumerGroup: 'a/b', streamName: 'c' }, shardIdOf(0))).toBe(true);
      expect(store.size).toBe(0);
    });
  });
});

describe('MemoryState options', () => {
  it('rejects unknown keys with the nearest known one', () => {
    expect(() => new MemoryState({ stor: new MemoryStateStore() } as never)).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: 'MemoryState option stor is not a known option (did you mean store?)',
        context: expect.objectContaining({ option: 'stor', suggestion: 'store' }),
      }),
    );
    expect(() => new MemoryState({ clok: new ManualClock(0) } as never)).toThrow(/did you mean clock\?/);
    expect(() => new MemoryState({ store: new MemoryStateStore(), clock: new ManualClock(0) })).not.toThrow();
  });
});
