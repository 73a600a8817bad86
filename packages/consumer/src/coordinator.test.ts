import { type KinesisTsError, type LeaseScope, silentLogger, systemClock } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coordinator, startPositionFor } from './coordinator.js';
import type { HeldLease } from './held-lease.js';
import type { InitialPosition } from './options.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

const scope: LeaseScope = { consumerGroup: 'g', streamName: 's' };
const FAILOVER = 3000;

interface Instance {
  coordinator: Coordinator;
  state: MemoryState;
  held: Map<string, HeldLease>;
  lost: string[];
  handoffs: string[];
  errors: KinesisTsError[];
  /** When true, handoff requests are answered by releasing with handoff (as the consumer does). */
  cooperative: boolean;
}

function instance(
  fake: FakeKinesis,
  store: MemoryStateStore,
  owner: string,
  initialPosition: InitialPosition = 'TRIM_HORIZON',
  leaseScanIntervalMs = 1000,
): Instance {
  const state = new MemoryState({ store });
  const self: Instance = {
    state,
    held: new Map(),
    lost: [],
    handoffs: [],
    errors: [],
    cooperative: true,
    coordinator: undefined as unknown as Coordinator,
  };
  self.coordinator = new Coordinator({
    state,
    scope,
    owner,
    api: fake,
    clock: systemClock,
    logger: silentLogger,
    initialPosition,
    failoverTimeMs: FAILOVER,
    renewIntervalMs: 1000,
    leaseScanIntervalMs,
    shardSyncIntervalMs: 60_000,
    handoffTimeoutMs: FAILOVER,
    callbacks: {
      acquired: (held) => self.held.set(held.shardId, held),
      lost: (shardId) => {
        self.lost.push(shardId);
        self.held.delete(shardId);
      },
      handoffRequested: (shardId) => {
        self.handoffs.push(shardId);
        if (!self.cooperative) return;
        const held = self.held.get(shardId)!;
        void held.release({ handoff: true }).then(() => {
          self.held.delete(shardId);
          self.coordinator.drop(shardId);
        });
      },
      error: (error) => self.errors.push(error),
      fatal: (error) => self.errors.push(error),
    },
  });
  return self;
}

async function started(i: Instance): Promise<Instance> {
  await i.state.start();
  return i;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(async () => {
  vi.useRealTimers();
});

describe('Coordinator', () => {
  it('creates leases for every shard (through ListShards pages) and takes them all when alone', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 5);
    fake.pageSize = 2;
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await a.coordinator.start();
    expect([...a.held.keys()].sort()).toHaveLength(5);
    expect(fake.calls.filter((c) => c.op === 'ListShards')).toHaveLength(3);
    const before = a.held.get('shardId-000000000000')!.lease.leaseCounter;
    await a.coordinator.renewAll();
    expect(a.held.get('shardId-000000000000')!.lease.leaseCounter).toBe(before + 1);
    await a.coordinator.close();
  });

  it('balances 4 shards to 2/2 by stealing one lease per scan through graceful handoff', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 4);
    const store = new MemoryStateStore();
    const a = await started(instance(fake, store, 'A'));
    const b = await started(instance(fake, store, 'B'));
    await a.coordinator.start();
    expect(a.held.size).toBe(4);
    await b.coordinator.start(); // first scan: requests one handoff
    const pending = (await b.state.listLeases(scope)).filter((l) => l.pendingOwner === 'B');
    expect(pending).toHaveLength(1);
    expect(b.held.size).toBe(0);
    await a.coordinator.renewAll(); // A sees the request, releases to B
    await vi.advanceTimersByTimeAsync(0);
    expect(a.handoffs).toEqual([pending[0]!.shardId]);
    await b.coordinator.scan(); // adopts the handed-over lease, requests the next
    expect(b.held.size).toBe(1);
    await a.coordinator.renewAll();
    await vi.advanceTimersByTimeAsync(0);
    await b.coordinator.scan();
    expect(b.held.size).toBe(2);
    expect(a.held.size).toBe(2);
    await b.coordinator.scan();
    expect((await b.state.listLeases(scope)).filter((l) => l.pendingOwner !== null)).toHaveLength(0);
    const owners = (await b.state.listLeases(scope)).map((l) => l.owner);
    expect(owners.filter((o) => o === 'A')).toHaveLength(2);
    expect(owners.filter((o) => o === 'B')).toHaveLength(2);
    await a.coordinator.close();
    await b.coordinator.close();
  });

  it('takes a lease after the handoff timeout when the owner does not answer; the old owner then loses it', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 2);
    const store = new MemoryStateStore();
    const a = await started(instance(fake, store, 'A'));
    a.cooperative = false;
    const b = await started(instance(fake, store, 'B'));
    await a.coordinator.start();
    await b.coordinator.start();
    await a.coordinator.renewAll();
    expect(a.handoffs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(FAILOVER - 1);
    await b.coordinator.scan();
    expect(b.held.size).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await b.coordinator.scan();
    expect(b.held.size).toBe(1);
    await a.coordinator.renewAll();
    expect(a.lost).toEqual([...b.held.keys()]);
    expect(a.held.size).toBe(1);
    await a.coordinator.close();
    await b.coordinator.close();
  });

  it('takes the leases of a dead instance once their counters stood still for the failover time', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 4);
    const store = new MemoryStateStore();
    const a = await started(instance(fake, store, 'A'));
    const b = await started(instance(fake, store, 'B'));
    await a.coordinator.start();
    await a.coordinator.close(); // A dies without releasing
    await b.coordinator.start();
    expect(b.held.size).toBe(0);
    await vi.advanceTimersByTimeAsync(FAILOVER);
    await b.coordinator.scan();
    // Exactly failoverTime: not expired yet; only the lease B asked to be handed over timed out.
    expect(b.held.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await b.coordinator.scan();
    expect(b.held.size).toBe(4);
    await b.coordinator.close();
  });

  it('scans again right after the earliest expiry it saw, not only at the scan interval', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 4);
    const store = new MemoryStateStore();
    const a = await started(instance(fake, store, 'A'));
    const b = await started(instance(fake, store, 'B', 'TRIM_HORIZON', 2500));
    await a.coordinator.start();
    await a.coordinator.close(); // A dies without releasing
    await b.coordinator.start(); // first sight of A's counters at t=0; regular scans at 2500, 5000, ...
    await vi.advanceTimersByTimeAsync(FAILOVER - 1);
    expect(b.held.size).toBe(0);
    // The counters stood still for more than FAILOVER at t=3001: a scan runs then, not at t=5000.
    await vi.advanceTimersByTimeAsync(10);
    expect(b.held.size).toBe(4);
    await b.coordinator.close();
  });

  it('does not take leases that keep being renewed', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 2);
    const store = new MemoryStateStore();
    const a = await started(instance(fake, store, 'A'));
    const b = await started(instance(fake, store, 'B'));
    a.cooperative = false;
    await a.coordinator.start();
    b.coordinator.quarantine('shardId-000000000000', 1_000_000);
    b.coordinator.quarantine('shardId-000000000001', 1_000_000);
    await b.coordinator.start();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      await a.coordinator.renewAll();
      await b.coordinator.scan();
    }
    expect(b.held.size).toBe(0);
    expect(a.lost).toEqual([]);
    await a.coordinator.close();
    await b.coordinator.close();
  });

  it('reads children only after every parent ended; a child without checkpoint starts at TRIM_HORIZON', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 2);
    fake.addChild('s', 'shardId-000000000002', ['shardId-000000000000', 'shardId-000000000001']);
    const a = await started(instance(fake, new MemoryStateStore(), 'A', 'LATEST'));
    await a.coordinator.start();
    // LATEST: closed parents before the group started are skipped; the open child is a root.
    expect([...a.held.keys()]).toEqual(['shardId-000000000002']);
    expect(startPositionFor(a.held.get('shardId-000000000002')!.lease, 'LATEST')).toEqual({ type: 'LATEST' });

    const fake2 = new FakeKinesis();
    fake2.createStream('s', 2);
    fake2.addChild('s', 'shardId-000000000002', ['shardId-000000000000', 'shardId-000000000001']);
    const b = await started(instance(fake2, new MemoryStateStore(), 'B', 'TRIM_HORIZON'));
    await b.coordinator.start();
    expect([...b.held.keys()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const child = (await b.state.getLease(scope, 'shardId-000000000002'))!;
    expect([...child.parentShardIds].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    // One parent ends: still not eligible.
    const p0 = b.held.get('shardId-000000000000')!;
    await p0.markEnded();
    await p0.release();
    b.coordinator.drop('shardId-000000000000');
    await b.coordinator.scan();
    expect(b.held.has('shardId-000000000002')).toBe(false);
    const p1 = b.held.get('shardId-000000000001')!;
    await p1.markEnded();
    await p1.release();
    b.coordinator.drop('shardId-000000000001');
    await b.coordinator.scan();
    expect(b.held.has('shardId-000000000002')).toBe(true);
    expect(startPositionFor(b.held.get('shardId-000000000002')!.lease, 'LATEST')).toEqual({
      type: 'TRIM_HORIZON',
    });
    await a.coordinator.close();
    await b.coordinator.close();
  });

  it('creates child leases from ChildShards reported at shard end', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await a.coordinator.start();
    await a.coordinator.shardEnded('shardId-000000000000', [
      { shardId: 'shardId-000000000001', parentShardIds: ['shardId-000000000000'], hashKeyRange: null },
    ]);
    const child = await a.state.getLease(scope, 'shardId-000000000001');
    expect(child?.parentShardIds).toEqual(['shardId-000000000000']);
    await a.coordinator.close();
  });

  it('lists the shards again for the hash-key range of a shard it has not seen yet', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await a.coordinator.start();
    const child = fake.addChild('s', 'shardId-000000000001', ['shardId-000000000000'], {
      startingHashKey: '0',
      endingHashKey: '99',
    });
    const before = fake.calls.filter((c) => c.op === 'ListShards').length;
    expect(await a.coordinator.shardRange(child.shardId)).toEqual({
      startingHashKey: '0',
      endingHashKey: '99',
    });
    expect(await a.coordinator.shardRange(child.shardId)).toEqual({
      startingHashKey: '0',
      endingHashKey: '99',
    });
    expect(fake.calls.filter((c) => c.op === 'ListShards').length).toBe(before + 1);
    await a.coordinator.close();
  });

  it('rejects start with STREAM_NOT_FOUND for an unknown stream', async () => {
    const fake = new FakeKinesis();
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await expect(a.coordinator.start()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    await a.coordinator.close();
  });

  it('drops a lease locally when renewals fail for the failover time (store down)', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await a.coordinator.start();
    vi.spyOn(a.state, 'renewLease').mockRejectedValue(new Error('store down'));
    await a.coordinator.renewAll();
    expect(a.errors).toHaveLength(1);
    expect(a.lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(FAILOVER);
    await a.coordinator.renewAll();
    expect(a.lost).toEqual(['shardId-000000000000']);
    await a.coordinator.close();
  });

  it('reports scan failures as non-fatal errors and keeps going', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const a = await started(instance(fake, new MemoryStateStore(), 'A'));
    await a.coordinator.start();
    const spy = vi.spyOn(a.state, 'listLeases').mockRejectedValueOnce(new Error('boom'));
    await a.coordinator.scan();
    expect(a.errors.map((e) => e.code)).toEqual(['STATE_STORE_UNAVAILABLE']);
    spy.mockRestore();
    await a.coordinator.scan();
    expect(a.errors).toHaveLength(1);
    await a.coordinator.close();
  });
});
