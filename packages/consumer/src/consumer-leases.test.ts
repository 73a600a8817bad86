/**
 * Consumer-level lease behaviour with several instances on one store (inline runner, fake Kinesis,
 * fake time): liveness, a hung state store, shutdown and handoff, start-up failures, shared-state
 * safety.
 */
import { ErrorCode, type KinesisRecord, type KinesisTsError, ValidationError } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisConsumer } from './consumer.js';
import { ControlledState } from './test-support/controlled-state.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';
import { inlineConsumer as consumer, fillStream as fill } from './test-support/inline-consumer.js';

const FAILOVER = 3000;
const SHARD = 'shardId-000000000000';
const scope = { consumerGroup: 'default', streamName: 's' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a started consumer keeps the process alive until close()', () => {
  it('holds one ref()ed handle from start() to close(), with or without leases; none before or after', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 0);
    const store = new MemoryStateStore();
    // The handles the consumers create (real intervals: setInterval is not faked here), watched directly
    // rather than by counting every live timer of the process, which other tests' timers disturb.
    const created: Array<ReturnType<typeof setInterval>> = [];
    const cleared = new Set<unknown>();
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    const set = vi.spyOn(globalThis, 'setInterval').mockImplementation(((
      ...args: Parameters<typeof setInterval>
    ) => {
      const handle = realSet(...args);
      created.push(handle);
      return handle;
    }) as typeof setInterval);
    const clear = vi.spyOn(globalThis, 'clearInterval').mockImplementation(((
      handle: Parameters<typeof clearInterval>[0],
    ) => {
      cleared.add(handle);
      realClear(handle);
    }) as typeof clearInterval);
    try {
      const owner = consumer(fake, { state: new MemoryState({ store }) });
      const standby = consumer(fake, { state: new MemoryState({ store }) });
      expect(created).toHaveLength(0); // constructed, not started: nothing held
      await until(owner.start());
      await until(standby.start());
      expect(owner.ownedShards).toEqual([SHARD]);
      expect(standby.ownedShards).toEqual([]); // a standby: nothing to read, and it must stay up
      expect(created).toHaveLength(2);
      for (const handle of created) {
        expect(handle.hasRef()).toBe(true);
        expect(cleared.has(handle)).toBe(false);
      }
      await until(owner.close());
      expect(cleared.has(created[0]!)).toBe(true);
      expect(cleared.has(created[1]!)).toBe(false); // the standby is still started
      await until(standby.close());
      expect(created.every((handle) => cleared.has(handle))).toBe(true);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });
});

describe('a hung state store never lets two instances read one shard', () => {
  it('the old owner stops within failover time of its last renewal; the new owner starts after that', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 3000);
    const store = new MemoryStateStore();
    const stateA = new ControlledState(new MemoryState({ store }));
    const a = consumer(fake, { state: stateA, maxRecordsPerCall: 10, instanceId: 'A' });
    const b = consumer(fake, { state: new MemoryState({ store }), maxRecordsPerCall: 10, instanceId: 'B' });
    const batches: Array<{ who: string; start: number; end: number }> = [];
    const lost: string[] = [];
    a.on('leaseLost', (e) => lost.push(e.reason));
    const handler = (who: string) => async (records: KinesisRecord[]) => {
      const start = Date.now();
      await sleep(100 * records.length > 0 ? 100 : 0);
      batches.push({ who, start, end: Date.now() });
    };
    const runA = a.run(handler('A'));
    runA.catch(() => {});
    await vi.advanceTimersByTimeAsync(2000);
    const runB = b.run(handler('B'));
    runB.catch(() => {});
    await vi.advanceTimersByTimeAsync(5000);
    expect(batches.every((x) => x.who === 'A')).toBe(true);
    const hungAt = Date.now();
    stateA.rules.push({ mode: 'hang' }); // A's store stops answering (a hung DynamoDB call, no timeout)
    await vi.advanceTimersByTimeAsync(4 * FAILOVER);
    expect(lost).toHaveLength(1);
    const lastA = batches.filter((x) => x.who === 'A').at(-1)!;
    const firstB = batches.find((x) => x.who === 'B')!;
    expect(firstB).toBeDefined();
    // A's last batch began before B's first, and A was finished with it within one renew interval.
    expect(lastA.start).toBeLessThan(firstB.start);
    const overlap = Math.max(0, lastA.end - firstB.start);
    expect(overlap).toBeLessThanOrEqual(FAILOVER / 3);
    // A stopped no later than failover time after the store hung (its last renewal started before).
    expect(lastA.start).toBeLessThan(hungAt + FAILOVER);
    stateA.releaseAll();
    await until(a.close());
    await until(b.close());
  });
});

describe('shutdown and handoff', () => {
  it('close() keeps renewing while a slow handler finishes; its checkpoint is written before the release', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 30);
    const store = new MemoryStateStore();
    const a = consumer(fake, { state: new MemoryState({ store }), maxRecordsPerCall: 10, instanceId: 'A' });
    const b = consumer(fake, { state: new MemoryState({ store }), maxRecordsPerCall: 10, instanceId: 'B' });
    const log: string[] = [];
    let firstBatch: KinesisRecord[] = [];
    const runA = a.run(async (records) => {
      if (firstBatch.length === 0) firstBatch = records;
      log.push(`A handles ${records[0]!.partitionKey}`);
      await sleep(3 * FAILOVER); // far longer than the failover time
      log.push(`A done ${records[0]!.partitionKey}`);
    });
    await vi.advanceTimersByTimeAsync(500);
    const bSeen: string[] = [];
    const runB = b.run(async (records) => {
      for (const r of records) bSeen.push(r.partitionKey);
    });
    b.on('leaseAcquired', () => log.push('B acquired'));
    a.on('leaseReleased', (e) => log.push(`A released (${e.reason})`));
    await vi.advanceTimersByTimeAsync(500);
    const closing = a.close();
    await vi.advanceTimersByTimeAsync(4 * FAILOVER);
    await closing;
    await runA;
    for (let i = 0; i < 100 && bSeen.length < 20; i++) await vi.advanceTimersByTimeAsync(100);
    // B took the shard only after A released it, and went on after A's batch, not with it.
    const acquired = log.indexOf('B acquired');
    expect(log.indexOf(`A done ${SHARD}:0`)).toBeLessThan(log.indexOf('A released (close)'));
    expect(log.indexOf('A released (close)')).toBeLessThan(acquired);
    expect(bSeen[0]).toBe(`${SHARD}:10`);
    expect(firstBatch).toHaveLength(10);
    await until(b.close());
    await runB;
  });

  it.each([
    { answer: 'in time', stateTimeoutMs: 2000 },
    { answer: 'after the call timed out (unknown outcome)', stateTimeoutMs: 200 },
  ])(
    'releases a lease that a scan still running at close() takes, answered $answer',
    async ({ stateTimeoutMs }) => {
      const fake = new FakeKinesis();
      fill(fake, 1, 5);
      const store = new MemoryStateStore();
      // Another instance held the lease and died: it expires after the failover time.
      const other = new MemoryState({ store });
      await other.start();
      await other.createLease(scope, SHARD);
      await other.takeLease(scope, SHARD, { owner: null, leaseCounter: 0 }, 'dead');
      const state = new ControlledState(new MemoryState({ store }));
      const c = consumer(fake, { state, stateTimeoutMs, instanceId: 'me' });
      await until(c.start());
      state.rules.push({ op: 'takeLease', mode: 'land-then-hang', times: 1 });
      for (let i = 0; i < 100 && state.heldCalls === 0; i++) await vi.advanceTimersByTimeAsync(100);
      expect(state.heldCalls).toBe(1); // a periodic scan's take is in flight (and has landed)
      expect((await readLease(store))?.owner).toBe('me');
      const closing = c.close();
      await vi.advanceTimersByTimeAsync(500);
      state.releaseAll();
      await until(closing);
      expect((await readLease(store))?.owner).toBeNull();
    },
  );

  it('releases a shard that reached SHARD_END with records still unprocessed at close()', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    fake.shard('s', SHARD).closed = true;
    const store = new MemoryStateStore();
    const c = consumer(fake, { state: new MemoryState({ store }) });
    const iterator = c[Symbol.asyncIterator]();
    await take(iterator, 2);
    await until(c.close());
    const lease = await readLease(store);
    expect(lease).toMatchObject({ owner: null, ended: false });
    expect(lease?.checkpoint?.sequenceNumber).toBe(fake.shard('s', SHARD).records[0]!.sequenceNumber);
  });

  it('emits one leaseLost for one lost lease', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 2000);
    const store = new MemoryStateStore();
    const a = consumer(fake, {
      state: new MemoryState({ store }),
      instanceId: 'A',
      checkpointInterval: { records: 1 },
    });
    const lost: string[] = [];
    a.on('leaseLost', (e) => lost.push(e.shardId));
    const iterator = a[Symbol.asyncIterator]();
    await take(iterator, 5);
    // Another instance takes the lease by force (as after an expiry it saw).
    const other = new MemoryState({ store });
    await other.start();
    const current = (await other.getLease(scope, SHARD))!;
    await other.takeLease(scope, SHARD, { owner: 'A', leaseCounter: current.leaseCounter }, 'B');
    for (let i = 0; i < 20; i++) {
      await until(Promise.race([iterator.next(), sleep(200)]));
    }
    await vi.advanceTimersByTimeAsync(3 * FAILOVER);
    expect(lost).toEqual([SHARD]);
    await until(a.close());
  });
});

describe('start-up', () => {
  it('retries a transient state-store failure at start; adapter errors come out typed with their cause', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 3);
    const state = new ControlledState(new MemoryState());
    state.rules.push({ op: 'listLeases', mode: 'fail', times: 1 });
    state.rules.push({ op: 'createLease', mode: 'fail', times: 1 });
    const c = consumer(fake, { state });
    const errors: KinesisTsError[] = [];
    c.on('error', (e) => errors.push(e));
    const records = await take(c[Symbol.asyncIterator](), 3);
    expect(records).toHaveLength(3);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const error of errors) {
      expect(error.code).toBe(ErrorCode.STATE_STORE_UNAVAILABLE);
      expect((error.cause as Error).message).toMatch(/injected/);
    }
    await until(c.close());
  });

  it('gives up after startTimeoutMs when the store never answers, with a typed error', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 3);
    const state = new ControlledState(new MemoryState());
    state.rules.push({ op: 'listLeases', mode: 'hang' });
    const c = consumer(fake, { state, startTimeoutMs: 10_000 });
    const t0 = Date.now();
    const started = c.start();
    started.catch(() => {});
    await expect(until(started)).rejects.toMatchObject({ code: ErrorCode.STATE_STORE_UNAVAILABLE });
    expect(Date.now() - t0).toBeLessThanOrEqual(10_000 + FAILOVER);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10_000);
    state.releaseAll();
  });

  it('fails at once on a missing stream, even while the store is flaky', async () => {
    const fake = new FakeKinesis();
    const c = consumer(fake, { streamName: 'missing' });
    const t0 = Date.now();
    await expect(until(c.start())).rejects.toMatchObject({ code: ErrorCode.STREAM_NOT_FOUND });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('shared state is safe by default', () => {
  it('requires consumerGroup with an adapter shared across processes; not with the in-memory state', () => {
    const shared = new ControlledState(new MemoryState(), { sharedAcrossProcesses: true });
    expect(() => new KinesisConsumer({ streamName: 's', state: shared })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: 's', state: shared })).toThrow(/consumerGroup/);
    expect(() => new KinesisConsumer({ streamName: 's', state: shared, consumerGroup: 'app' })).not.toThrow();
    expect(() => new KinesisConsumer({ streamName: 's', state: new MemoryState() })).not.toThrow();
    // An adapter that declares nothing is shared (the documented default).
    const undeclared = new ControlledState(new MemoryState(), {});
    expect(() => new KinesisConsumer({ streamName: 's', state: undeclared })).toThrow(/consumerGroup/);
  });
});

describe('two live processes with one instanceId', () => {
  it('are detected: the consumer fails with DUPLICATE_INSTANCE instead of double-processing', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 100);
    const store = new MemoryStateStore();
    const a = consumer(fake, { state: new MemoryState({ store }), instanceId: 'same' });
    const b = consumer(fake, { state: new MemoryState({ store }), instanceId: 'same' });
    const runA = a.run(async () => {});
    const runB = b.run(async () => {});
    runA.catch(() => {});
    runB.catch(() => {});
    // The first of them to see a second conflict under its own id fails; the other goes on alone.
    const first = await until(
      Promise.race(
        [runA, runB].map((run) =>
          run.then(
            () => 'resolved',
            (error: unknown) => error,
          ),
        ),
      ),
      10 * FAILOVER,
    );
    expect(first).toMatchObject({ code: ErrorCode.DUPLICATE_INSTANCE });
    expect(String((first as Error).message)).toMatch(/instanceId/);
    await until(a.close());
    await until(b.close());
  });
});

async function readLease(store: MemoryStateStore) {
  const state = new MemoryState({ store });
  await state.start();
  return state.getLease(scope, SHARD);
}
