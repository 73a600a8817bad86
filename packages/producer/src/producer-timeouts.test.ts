import { ErrorCode, isKinesisTsError, ValidationError } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProducerRecordError } from './errors.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { inlineProducer as make } from './test-support/inline-producer.js';

/** Resolves with when (fake ms) and how `promise` settled. */
function when<T>(promise: Promise<T>) {
  const state: { at?: number; value?: T; error?: unknown } = {};
  promise.then(
    (value) => {
      state.at = Date.now();
      state.value = value;
    },
    (error: unknown) => {
      state.at = Date.now();
      state.error = error;
    },
  );
  return state;
}

const never = new Promise<void>(() => {});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer: every request is bounded in time', () => {
  it('cuts a PutRecords that never answers at requestTimeout, aborts its signal, retries, and counts the unknown outcome', async () => {
    const fake = new FakeKinesis();
    fake.gate = never;
    const { producer, events } = make(
      { bufferTime: 0, requestTimeout: 1000, recordTtl: 60_000, retry: { baseDelay: 10, maxDelay: 10 } },
      fake,
    );
    const start = Date.now();
    const put = when(producer.put('a'));
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toHaveLength(1);
    expect(fake.putSignals[0]!.aborted).toBe(false);
    // The endpoint answers again from now on (the first call keeps waiting on the gate it saw), so the
    // retry lands however short its jittered delay is (it may be 0 ms, right inside the next tick).
    fake.gate = undefined;
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.putSignals[0]!.aborted).toBe(true);
    expect(isKinesisTsError(fake.putSignals[0]!.reason, ErrorCode.TIMEOUT)).toBe(true);
    await vi.advanceTimersByTimeAsync(20);
    expect(fake.calls).toHaveLength(2);
    expect(put.at).toBeDefined();
    expect(put.value).toMatchObject({ shardId: expect.any(String) });
    expect(put.at! - start).toBeGreaterThanOrEqual(1000);
    const first = events.find((e) => e.type === 'putRecords');
    expect(first).toMatchObject({ timedOut: true, outcomeUnknown: 1, retried: 1 });
    expect(producer.stats()).toMatchObject({ requestsTimedOut: 1, recordsOutcomeUnknown: 1 });
    await producer.close();
  });

  it('counts time in flight against recordTtl: a hung request rejects RECORD_EXPIRED at the TTL, marked maybeWritten', async () => {
    const fake = new FakeKinesis();
    fake.gate = never;
    const { producer } = make({ bufferTime: 0, requestTimeout: 60_000, recordTtl: 2000 }, fake);
    const start = Date.now();
    const put = when(producer.put('a'));
    await vi.advanceTimersByTimeAsync(1999);
    expect(put.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(put.at! - start).toBe(2000);
    expect(put.error).toBeInstanceOf(ProducerRecordError);
    expect(put.error).toMatchObject({
      code: ErrorCode.RECORD_EXPIRED,
      context: { lastError: 'RequestTimeout', maybeWritten: true },
    });
    expect(fake.calls).toHaveLength(1);
    await producer.close();
  });

  it('bounds DescribeStreamSummary at start: start() and the puts waiting for it reject TIMEOUT', async () => {
    const fake = new FakeKinesis();
    fake.describeGate = never;
    const { producer } = make({ requestTimeout: 500 }, fake);
    const put = when(producer.put('a'));
    const started = when(producer.start());
    await vi.advanceTimersByTimeAsync(499);
    expect(put.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(put.error).toMatchObject({
      code: ErrorCode.TIMEOUT,
      context: { operation: 'DescribeStreamSummary' },
    });
    expect(started.error).toMatchObject({ code: ErrorCode.TIMEOUT });
    await producer.close();
  });

  it('close({ timeoutMs }) ends on time; what is left rejects TIMEOUT (maybeWritten for records handed over)', async () => {
    const fake = new FakeKinesis();
    let answer!: () => void;
    fake.gate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const { producer } = make(
      { bufferTime: 0, requestTimeout: 60_000, recordTtl: 600_000, maxOutstandingRecords: 1 },
      fake,
    );
    const sent = when(producer.put('sent'));
    const queued = when(producer.put('queued')); // waits for buffer room in this process
    await vi.advanceTimersByTimeAsync(10);
    const start = Date.now();
    const closed = when(producer.close({ timeoutMs: 3000 }));
    await vi.advanceTimersByTimeAsync(2999);
    expect(closed.at).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(closed.at! - start).toBe(3000);
    expect(closed.error).toBeUndefined();
    expect(sent.error).toBeInstanceOf(ProducerRecordError);
    expect(sent.error).toMatchObject({ code: ErrorCode.TIMEOUT, context: { maybeWritten: true } });
    expect(queued.error).toMatchObject({ code: ErrorCode.TIMEOUT, context: { maybeWritten: false } });
    expect((sent.error as ProducerRecordError).record.data).toBe('sent');
    // A late answer changes nothing: each record settled once.
    answer();
    await vi.advanceTimersByTimeAsync(10);
    expect(fake.stored).toHaveLength(1); // it was written after all: the "maybe" of maybeWritten
    expect(producer.stats()).toMatchObject({ recordsFailed: 2, recordsAcknowledged: 0 });
    await expect(producer.put('late')).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('close({ signal }) gives up when the signal aborts (CLOSED), and a second close() shares the result', async () => {
    const fake = new FakeKinesis();
    fake.gate = never;
    const { producer } = make({ bufferTime: 0, requestTimeout: 60_000, recordTtl: 600_000 }, fake);
    const put = when(producer.put('a'));
    await vi.advanceTimersByTimeAsync(10);
    const controller = new AbortController();
    const closed = when(producer.close({ signal: controller.signal }));
    const again = when(producer.close());
    await vi.advanceTimersByTimeAsync(5000);
    expect(closed.at).toBeUndefined();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(closed.at).toBeDefined();
    expect(again.at).toBeDefined();
    expect(put.error).toMatchObject({ code: ErrorCode.CLOSED, context: { maybeWritten: true } });
  });

  it('close() without options is bounded by recordTtl when Kinesis never answers', async () => {
    const fake = new FakeKinesis();
    fake.gate = never;
    const { producer } = make({ bufferTime: 0, requestTimeout: 1000, recordTtl: 5000 }, fake);
    const put = when(producer.put('a'));
    const start = Date.now();
    const closed = when(producer.close());
    await vi.advanceTimersByTimeAsync(5100);
    expect(closed.at).toBeDefined();
    expect(closed.at! - start).toBeLessThanOrEqual(5100);
    expect(put.error).toMatchObject({ code: ErrorCode.RECORD_EXPIRED, context: { maybeWritten: true } });
    expect(producer.stats().requestsTimedOut).toBeGreaterThanOrEqual(4);
  });

  it('validates close() options and the new timeouts', async () => {
    expect(() => make({ requestTimeout: 0 })).toThrow(ValidationError);
    expect(() => make({ connectionTimeout: -1 })).toThrow(ValidationError);
    expect(() => make({ shardMapRefreshInterval: 1.5 })).toThrow(ValidationError);
    const { producer } = make();
    await expect(producer.close({ timeoutMs: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.close(null as never)).rejects.toBeInstanceOf(ValidationError);
    await producer.close();
  });
});

describe('KinesisProducer: smaller faults', () => {
  it('put(data, null) and put(data, 42) reject with the ValidationError other bad options get', async () => {
    const { producer } = make();
    for (const options of [null, 42, 'key']) {
      const error = await producer.put('a', options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    }
    expect(producer.stats().recordsPut).toBe(0);
    await producer.close();
  });

  it('reloads the shard map every shardMapRefreshInterval, and stops at close()', async () => {
    const fake = new FakeKinesis({ shards: 2 });
    const { producer, events } = make({ shardMapRefreshInterval: 10_000 }, fake);
    await producer.start();
    expect(fake.listShardsCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.listShardsCalls).toBe(2);
    fake.shards = [...fake.shards, ...fake.shards.map((s) => ({ ...s, shardId: `${s.shardId}-b` }))];
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.listShardsCalls).toBe(3);
    expect(events.filter((e) => e.type === 'shardMapRefreshed')).toEqual([
      { type: 'shardMapRefreshed', openShards: 2, reason: 'interval' },
      { type: 'shardMapRefreshed', openShards: 4, reason: 'interval' },
    ]);
    await producer.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.listShardsCalls).toBe(3);
  });
});
