import { ErrorCode, recordText, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { boundedKinesisApi } from './bounded-kinesis-api.js';
import { KinesisConsumer } from './consumer.js';
import type { KinesisApi } from './kinesis-api.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const never = <T>(signals: AbortSignal[]) =>
  ((_input: unknown, signal?: AbortSignal) => {
    if (signal) signals.push(signal);
    return new Promise<T>(() => {});
  }) as never;

describe('boundedKinesisApi', () => {
  it('rejects a call that never answers with a typed TIMEOUT after timeoutMs, and aborts it', async () => {
    const signals: AbortSignal[] = [];
    const api: KinesisApi = {
      getRecords: never(signals),
      getShardIterator: never(signals),
      listShards: never(signals),
    };
    const bounded = boundedKinesisApi(api, { timeoutMs: 1000, clock: systemClock });
    const call = bounded.getRecords({ ShardIterator: 'x' });
    call.catch(() => {});
    await vi.advanceTimersByTimeAsync(999);
    expect(signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(call).rejects.toMatchObject({
      code: ErrorCode.TIMEOUT,
      context: { operation: 'GetRecords' },
    });
    expect(signals[0]!.aborted).toBe(true);
  });

  it("passes answers and the caller's abort through, and leaves no timer behind", async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const bounded = boundedKinesisApi(fake, { timeoutMs: 1000, clock: systemClock });
    const page = await bounded.listShards({ StreamName: 's' });
    expect(page.Shards).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    const signals: AbortSignal[] = [];
    const api: KinesisApi = {
      getShardIterator: (input) => fake.getShardIterator(input),
      listShards: (input) => fake.listShards(input),
      getRecords: never(signals),
    };
    const hanging = boundedKinesisApi(api, {
      timeoutMs: 1000,
      clock: systemClock,
    });
    const stop = new AbortController();
    const call = hanging.getRecords({ ShardIterator: 'x' }, stop.signal);
    stop.abort(new Error('closing'));
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toEqual(new Error('closing'));
    void call;
  });

  it('a consumer whose GetRecords hangs once goes on after requestTimeoutMs and delivers everything', async () => {
    const fake = new FakeKinesis();
    const [shard] = fake.createStream('s', 1);
    for (let i = 0; i < 5; i++) fake.put('s', shard!.shardId, `k${i}`, `${i}`);
    const real = fake.getRecords.bind(fake);
    let hung = 0;
    vi.spyOn(fake, 'getRecords').mockImplementation((input) => {
      if (hung++ === 0) return new Promise(() => {});
      return real(input);
    });
    const c = new KinesisConsumer({
      streamName: 's',
      runner: 'inline',
      kinesisApi: fake,
      initialPosition: 'TRIM_HORIZON',
      requestTimeoutMs: 2000,
    });
    const records = await take(c[Symbol.asyncIterator](), 5);
    expect(records.map((r) => recordText(r))).toEqual(['0', '1', '2', '3', '4']);
    expect(hung).toBeGreaterThanOrEqual(2);
    await until(c.close());
  });
});
