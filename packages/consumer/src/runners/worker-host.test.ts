import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeKinesis } from '../test-support/fake-kinesis.js';
import type {
  FromPooledWorkerMessage,
  FromWorkerMessage,
  ToPooledWorkerMessage,
  ToWorkerMessage,
  TransferableCredentials,
} from './transport.js';
import { runWorkerHost } from './worker-host.js';

const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';

function harness() {
  const fake = new FakeKinesis();
  fake.createStream('s', 2);
  const sent: FromPooledWorkerMessage[] = [];
  const released: number[] = [];
  const apis: number[] = [];
  const providers = new Map<number, (() => Promise<TransferableCredentials>) | null>();
  let deliver: (message: ToPooledWorkerMessage) => void = () => {};
  const host = runWorkerHost({
    port: {
      send: (message) => sent.push(message),
      onMessage: (listener) => {
        deliver = listener;
      },
    },
    lane: (lane) => ({
      options: {
        pack: true,
        apiFactory: (_config, credentials) => {
          apis.push(lane);
          providers.set(lane, credentials);
          return fake;
        },
      },
      release: () => released.push(lane),
    }),
  });
  const toLane = (lane: number, message: ToWorkerMessage) => deliver({ type: 'lane', lane, message });
  const fromLane = (lane: number): FromWorkerMessage[] =>
    sent.flatMap((m) => (m.type === 'lane' && m.lane === lane ? [m.message] : []));
  return { fake, host, sent, released, apis, providers, toLane, fromLane };
}

const start = (shardId: string, credit: number): ToWorkerMessage => ({
  type: 'start',
  spec: { streamName: 's', shardId, hashKeyRange: null, position: { type: 'TRIM_HORIZON' } },
  reader: {
    minPollIntervalMs: 200,
    idlePollIntervalMs: 1000,
    maxRecordsPerCall: 100,
    minFetchRecords: 1,
    heartbeatIntervalMs: 60_000,
  },
  client: { region: 'us-east-1' },
  credentials: null,
  credit: { records: credit, bytes: 1 << 20 },
});

const settle = () => vi.advanceTimersByTimeAsync(20);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('worker host (one pooled worker, several shards)', () => {
  it('runs one reader per lane; batches carry their lane; stopping one lane leaves the other reading', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.fake.put('s', SHARD_0, `a${i}`, `a${i}`);
    for (let i = 0; i < 2; i++) h.fake.put('s', SHARD_1, `b${i}`, `b${i}`);
    h.toLane(7, start(SHARD_0, 10));
    h.toLane(9, start(SHARD_1, 10));
    // A second start for an open lane is ignored (one reader per lane).
    h.toLane(7, start(SHARD_1, 10));
    await settle();
    expect(h.host.openLanes).toBe(2);
    expect(h.apis).toEqual([7, 9]);
    const batch = (lane: number) => h.fromLane(lane).filter((m) => m.type === 'batch');
    expect(batch(7).map((m) => m.type === 'batch' && m.packed?.partitionKeys)).toEqual([['a0', 'a1', 'a2']]);
    expect(batch(9).map((m) => m.type === 'batch' && m.packed?.partitionKeys)).toEqual([['b0', 'b1']]);

    h.toLane(7, { type: 'stop' });
    expect(h.fromLane(7).at(-1)).toEqual({ type: 'stopped' });
    expect(h.sent.at(-1)).toEqual({ type: 'closed', lane: 7 });
    expect(h.released).toEqual([7]);
    expect(h.host.openLanes).toBe(1);

    // Messages for the closed lane are dropped; the other lane still reads.
    h.toLane(7, { type: 'credit', records: 10, bytes: 1000 });
    h.fake.put('s', SHARD_0, 'a3', 'a3');
    h.fake.put('s', SHARD_1, 'b2', 'b2');
    // The reader of lane 9 polls again after its idle interval.
    await vi.advanceTimersByTimeAsync(1300);
    expect(batch(7)).toHaveLength(1);
    expect(batch(9).flatMap((m) => (m.type === 'batch' ? (m.packed?.partitionKeys ?? []) : []))).toEqual([
      'b0',
      'b1',
      'b2',
    ]);
    // The same shard may come back on a new lane of the same worker.
    h.toLane(10, start(SHARD_0, 10));
    await settle();
    expect(batch(10).map((m) => m.type === 'batch' && m.packed?.partitionKeys)).toEqual([
      ['a0', 'a1', 'a2', 'a3'],
    ]);
    h.toLane(9, { type: 'stop' });
    h.toLane(10, { type: 'stop' });
    expect(h.released).toEqual([7, 9, 10]);
    expect(h.host.openLanes).toBe(0);
  });

  it('asks for credentials on the lane whose reader needs them, and answers only that lane', async () => {
    const h = harness();
    const stale: TransferableCredentials = { accessKeyId: 'a', secretAccessKey: 'b', expiration: Date.now() };
    h.toLane(1, { ...start(SHARD_0, 0), credentials: stale } as ToWorkerMessage);
    h.toLane(2, { ...start(SHARD_1, 0), credentials: stale } as ToWorkerMessage);
    const pending = h.providers.get(2)!();
    const requests = h.sent.filter((m) => m.type === 'lane' && m.message.type === 'credentials-request');
    expect(requests).toEqual([{ type: 'lane', lane: 2, message: { type: 'credentials-request' } }]);
    const fresh: TransferableCredentials = {
      accessKeyId: 'c',
      secretAccessKey: 'd',
      expiration: Date.now() + 3_600_000,
    };
    h.toLane(2, { type: 'credentials', credentials: fresh });
    await expect(pending).resolves.toEqual(fresh);
    // Lane 1 still has its own (stale) credentials: its next call asks on lane 1.
    void h.providers.get(1)!().catch(() => {});
    expect(
      h.sent.filter((m) => m.type === 'lane' && m.message.type === 'credentials-request').map((m) => m.lane),
    ).toEqual([2, 1]);
    h.toLane(1, { type: 'stop' });
    h.toLane(2, { type: 'stop' });
    expect(h.host.openLanes).toBe(0);
  });
});
