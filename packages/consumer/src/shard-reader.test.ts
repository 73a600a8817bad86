import { encodeAggregate, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordSourceObserver, ShardReadSpec, StartPosition } from './record-source.js';
import { PollingShardReader } from './shard-reader.js';
import { awsError, FakeKinesis } from './test-support/fake-kinesis.js';

const SHARD = 'shardId-000000000000';

function setup(
  position: StartPosition = { type: 'TRIM_HORIZON' },
  range: ShardReadSpec['hashKeyRange'] = null,
) {
  const fake = new FakeKinesis();
  fake.createStream('s', 1);
  const throttles: number[] = [];
  const observer: RecordSourceObserver = { throttled: (ms) => throttles.push(ms), log: () => {} };
  const reader = new PollingShardReader(
    fake,
    { streamName: 's', shardId: SHARD, hashKeyRange: range, position },
    observer,
    { minPollIntervalMs: 200, idlePollIntervalMs: 1000, clock: systemClock },
  );
  return { fake, reader, throttles };
}

async function next(reader: PollingShardReader, limit = 10_000, advance = 20_000) {
  const promise = reader.next(limit, new AbortController().signal);
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(advance);
  return promise;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PollingShardReader', () => {
  it('polls fast (200 ms) while behind and slowly (1 s) when caught up', async () => {
    const { fake, reader } = setup();
    for (let i = 0; i < 3; i++) fake.put('s', SHARD, `k${i}`, `v${i}`);
    const b1 = await next(reader, 1, 0);
    expect(b1.records.map((r) => r.partitionKey)).toEqual(['k0']);
    expect(b1.millisBehindLatest).toBeGreaterThan(0);
    await next(reader, 1, 200);
    await next(reader, 5, 200); // k2 (a partial page): caught up now
    await next(reader, 1, 1000); // empty
    const gets = fake.calls.filter((c) => c.op === 'GetRecords').map((c) => c.at);
    const gaps = gets.slice(1).map((at, i) => at - gets[i]!);
    expect(gaps[0]).toBe(200);
    expect(gaps[1]).toBe(200);
    expect(gaps[2]).toBe(1000);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(200);
  });

  it('polls fast after a full page even when the service reports no lag', async () => {
    const { fake, reader } = setup();
    for (let i = 0; i < 4; i++) fake.put('s', SHARD, `k${i}`, `v${i}`);
    const original = fake.getRecords.bind(fake);
    fake.getRecords = async (input) => ({ ...(await original(input)), MillisBehindLatest: 0 });
    await next(reader, 2, 0);
    await next(reader, 2, 200); // full page: 200 ms
    await next(reader, 2, 200); // full page again
    await next(reader, 2, 1000); // empty: 1 s
    const gets = fake.calls.filter((c) => c.op === 'GetRecords').map((c) => c.at);
    expect(gets.slice(1).map((at, i) => at - gets[i]!)).toEqual([200, 200, 1000]);
  });

  it('spaces calls start to start: a slow response on a backlog is not followed by another 200 ms', async () => {
    const { fake, reader } = setup();
    for (let i = 0; i < 4; i++) fake.put('s', SHARD, `k${i}`, `v${i}`);
    const original = fake.getRecords.bind(fake);
    // Each response takes 150 ms; the next call may start 50 ms after it, not 200 ms.
    fake.getRecords = async (input) => {
      const output = await original(input);
      await new Promise((resolve) => setTimeout(resolve, 150));
      return output;
    };
    await next(reader, 1, 150);
    await next(reader, 1, 200);
    await next(reader, 1, 200);
    const gets = fake.calls.filter((c) => c.op === 'GetRecords').map((c) => c.at);
    expect(gets.slice(1).map((at, i) => at - gets[i]!)).toEqual([200, 200]);
  });

  it('backs off on throttling with growing delays and reports each throttle', async () => {
    const { fake, reader, throttles } = setup();
    fake.put('s', SHARD, 'k', 'v');
    for (let i = 0; i < 3; i++) {
      fake.failures.push({ op: 'GetRecords', error: awsError('ProvisionedThroughputExceededException') });
    }
    const batch = await next(reader, 10, 60_000);
    expect(batch.records).toHaveLength(1);
    expect(throttles).toHaveLength(3);
    expect(throttles[0]).toBeGreaterThanOrEqual(250);
    expect(throttles[2]!).toBeGreaterThan(throttles[0]!);
    const gets = fake.calls.filter((c) => c.op === 'GetRecords').map((c) => c.at);
    expect(gets).toHaveLength(4);
    expect(gets[3]! - gets[2]!).toBe(throttles[2]);
  });

  it('re-creates an expired iterator after the last returned record: no loss, no duplicate', async () => {
    const { fake, reader } = setup();
    for (let i = 0; i < 5; i++) fake.put('s', SHARD, `k${i}`, `v${i}`);
    const first = await next(reader, 2);
    fake.expireIterators();
    const second = await next(reader, 10);
    const keys = [...first.records, ...second.records].map((r) => r.partitionKey);
    expect(keys).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    const iterators = fake.calls.filter((c) => c.op === 'GetShardIterator');
    expect(iterators.map((c) => c.type)).toEqual(['TRIM_HORIZON', 'AFTER_SEQUENCE_NUMBER']);
    expect(iterators[1]!.seq).toBe(first.records[1]!.sequenceNumber);
  });

  it('resumes strictly after (sequenceNumber, subSequenceNumber) inside a KPL aggregate', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    fake.put('s', SHARD, 'a', 'before');
    const aggSeq = fake.put(
      's',
      SHARD,
      'agg',
      encodeAggregate([0, 1, 2, 3].map((i) => ({ partitionKey: `u${i}`, data: `d${i}` }))),
    );
    fake.put('s', SHARD, 'z', 'after');
    const reader = new PollingShardReader(
      fake,
      {
        streamName: 's',
        shardId: SHARD,
        hashKeyRange: null,
        position: { type: 'AFTER', checkpoint: { sequenceNumber: aggSeq, subSequenceNumber: 1 } },
      },
      { throttled: () => {}, log: () => {} },
      { minPollIntervalMs: 200, idlePollIntervalMs: 1000, clock: systemClock },
    );
    const batch = await next(reader);
    expect(batch.records.map((r) => [r.partitionKey, r.subSequenceNumber, r.aggregated])).toEqual([
      ['u2', 2, true],
      ['u3', 3, true],
      ['z', 0, false],
    ]);
    expect(fake.calls.find((c) => c.op === 'GetShardIterator')?.type).toBe('AT_SEQUENCE_NUMBER');
  });

  it('drops aggregated user records whose hash key is outside the shard (KCL rule)', async () => {
    const half = (2n ** 127n - 1n).toString();
    const { fake, reader } = setup({ type: 'TRIM_HORIZON' }, { startingHashKey: '0', endingHashKey: half });
    fake.put(
      's',
      SHARD,
      'agg',
      encodeAggregate([
        { partitionKey: 'in', explicitHashKey: '5', data: 'in' },
        { partitionKey: 'out', explicitHashKey: (2n ** 127n + 5n).toString(), data: 'out' },
        { partitionKey: 'in2', explicitHashKey: half, data: 'in2' },
      ]),
    );
    const batch = await next(reader);
    expect(batch.records.map((r) => r.partitionKey)).toEqual(['in', 'in2']);
    expect(batch.records.map((r) => r.subSequenceNumber)).toEqual([0, 2]);
  });

  it('reports SHARD_END with child shards', async () => {
    const { fake, reader } = setup();
    fake.put('s', SHARD, 'k', 'v');
    fake.addChild('s', 'shardId-000000000001', [SHARD]);
    const batch = await next(reader);
    expect(batch.shardEnded).toBe(true);
    expect(batch.childShards?.map((c) => [c.shardId, c.parentShardIds])).toEqual([
      ['shardId-000000000001', [SHARD]],
    ]);
  });

  it('fails with STREAM_NOT_FOUND when the stream is gone, and gives up after repeated failures', async () => {
    const { fake, reader } = setup();
    await next(reader);
    fake.streams.delete('s');
    // GetRecords says not found; GetShardIterator and ListShards then show the stream is gone.
    fake.failures.push({ op: 'GetRecords', error: awsError('ResourceNotFoundException') });
    await expect(next(reader)).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });

    const other = setup();
    for (let i = 0; i < 10; i++)
      other.fake.failures.push({ op: 'GetRecords', error: awsError('InternalFailure') });
    await expect(next(other.reader, 10, 200_000)).rejects.toMatchObject({ code: 'KINESIS_REQUEST_FAILED' });
  });

  it('rejects with SHARD_NOT_FOUND (not STREAM_NOT_FOUND) when only the shard is gone, naming GetShardIterator', async () => {
    const { fake } = setup();
    fake.addChild('s', 'shardId-000000000001', [SHARD]);
    fake.trimShard('s', SHARD);
    const reader = new PollingShardReader(
      fake,
      { streamName: 's', shardId: SHARD, hashKeyRange: null, position: { type: 'TRIM_HORIZON' } },
      { throttled: () => {}, log: () => {} },
      { minPollIntervalMs: 200, idlePollIntervalMs: 1000, clock: systemClock },
    );
    const error = await next(reader).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SHARD_NOT_FOUND',
      context: { streamName: 's', shardId: SHARD, childShardIds: ['shardId-000000000001'] },
    });
    expect(String((error as Error).message)).toMatch(/^GetShardIterator: /);
    expect(fake.calls.filter((c) => c.op === 'GetRecords')).toHaveLength(0);
  });

  it('labels a failed GetShardIterator as GetShardIterator, not GetRecords', async () => {
    const { fake, reader } = setup();
    fake.failures.push({ op: 'GetShardIterator', error: awsError('AccessDeniedException', 'no') });
    await expect(next(reader)).rejects.toThrow(/^GetShardIterator failed: AccessDeniedException/);
  });

  it('re-creates an expired LATEST iterator at the first start time, not at LATEST: records put meanwhile arrive', async () => {
    const { fake, reader } = setup({ type: 'LATEST' });
    fake.put('s', SHARD, 'before', 'x');
    vi.advanceTimersByTime(60_000);
    expect((await next(reader)).records).toEqual([]);
    vi.advanceTimersByTime(60_000);
    fake.put('s', SHARD, 'meanwhile', 'y');
    fake.expireIterators();
    const batch = await next(reader);
    expect(batch.records.map((r) => r.partitionKey)).toEqual(['meanwhile']);
    const iterators = fake.calls.filter((c) => c.op === 'GetShardIterator').map((c) => c.type);
    expect(iterators).toEqual(['LATEST', 'AT_TIMESTAMP']);
  });

  it('stops waiting when aborted', async () => {
    const { reader } = setup();
    await next(reader, 10, 0);
    const abort = new AbortController();
    const pending = reader.next(10, abort.signal);
    abort.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
