import { deaggregate, ErrorCode, effectiveHashKey, isKinesisTsError, MAX_HASH_KEY } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProducerRecordError } from './errors.js';
import { KinesisProducer, type PutResult } from './producer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { inlineProducer as make } from './test-support/inline-producer.js';
import { seededRandom } from './test-support/prng.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

/** Records each promise's outcome as it settles. */
function track<T>(promises: Promise<T>[]) {
  const results: (T | undefined)[] = promises.map(() => undefined);
  const errors: unknown[] = promises.map(() => undefined);
  let settled = 0;
  promises.forEach((p, i) => {
    p.then(
      (v) => {
        results[i] = v;
        settled++;
      },
      (e: unknown) => {
        errors[i] = e;
        settled++;
      },
    );
  });
  return {
    results,
    errors,
    get settled() {
      return settled;
    },
  };
}

/** Checks that every result points at the stored Kinesis record that carries its payload. */
function expectLandedWhereReported(fake: FakeKinesis, payloads: string[], results: PutResult[]): void {
  const bySeq = new Map(fake.stored.map((r) => [r.sequenceNumber, r]));
  results.forEach((result, i) => {
    const stored = bySeq.get(result.sequenceNumber);
    expect(stored).toBeDefined();
    expect(stored!.shardId).toBe(result.shardId);
    if (result.aggregated) {
      const inner = deaggregate({
        data: stored!.data,
        partitionKey: stored!.partitionKey,
        sequenceNumber: stored!.sequenceNumber,
        shardId: stored!.shardId,
        approximateArrivalTimestamp: new Date(0),
      });
      expect(text(inner[result.subSequenceNumber!]!.data)).toBe(payloads[i]);
    } else {
      expect(text(stored!.data)).toBe(payloads[i]);
    }
  });
}

/** Drives fake timers until `promise` settles (puts and closes need the setImmediate hand-off). */
async function settle<T>(promise: Promise<T>, stepMs = 10, maxSteps = 100_000): Promise<T> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < maxSteps && !done; i++) await vi.advanceTimersByTimeAsync(stepMs);
  return promise;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer (inline runner): collection', () => {
  it('sends full requests of 500 at once and the rest after bufferTime', async () => {
    const { producer, fake } = make({ bufferTime: 500 });
    const payloads = Array.from({ length: 1200 }, (_, i) => `r${i}`);
    const t = track(payloads.map((p) => producer.put(p)));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([500, 500]);
    await vi.advanceTimersByTimeAsync(499);
    expect(fake.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([500, 500, 200]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.settled).toBe(1200);
    expectLandedWhereReported(fake, payloads, t.results as PutResult[]);
    await settle(producer.close());
  });

  it('cuts requests by size', async () => {
    const { producer, fake } = make({ bufferTime: 500, maxBatchBytes: 10_000 });
    const payload = 'x'.repeat(964); // + 36-byte generated key = 1000 bytes
    const t = track(Array.from({ length: 25 }, () => producer.put(payload)));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([10, 10]);
    await vi.advanceTimersByTimeAsync(500);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([10, 10, 5]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.settled).toBe(25);
    await settle(producer.close());
  });

  it('waits bufferTime for a partial request, and flush() sends at once', async () => {
    const { producer, fake } = make({ bufferTime: 1000 });
    const first = producer.put('a');
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(1);
    await expect(first).resolves.toMatchObject({ shardId: expect.any(String), aggregated: false });
    const second = producer.put('b');
    const flushed = producer.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toHaveLength(2);
    await flushed;
    await expect(second).resolves.toMatchObject({ sequenceNumber: expect.any(String) });
    await settle(producer.close());
  });

  it('flush() waits only for records put before it, even when later ones never settle', async () => {
    const fake = new FakeKinesis();
    fake.entryFault = (entry) => (text(entry.Data) === 'later' ? 'InternalFailure' : undefined);
    const { producer } = make(
      { bufferTime: 60_000, recordTtl: 600_000, retry: { baseDelay: 10, maxDelay: 10 } },
      fake,
    );
    const first = producer.put('first');
    let flushed = false;
    const flushing = producer.flush().then(() => {
      flushed = true;
    });
    const later = producer.put('later');
    later.catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(flushed).toBe(true);
    await flushing;
    await expect(first).resolves.toMatchObject({ shardId: expect.any(String) });
    expect(fake.stored.map((r) => text(r.data))).toEqual(['first']);
    expect(fake.calls.length).toBeGreaterThan(2); // 'later' keeps being retried meanwhile
    fake.entryFault = undefined;
    await settle(producer.close());
    await expect(later).resolves.toMatchObject({ shardId: expect.any(String) });
  });

  it('coalesces put() calls of one tick into one hand-off, and generates spreading keys', async () => {
    const { producer, fake } = make({ bufferTime: 0 });
    const t = track(Array.from({ length: 400 }, (_, i) => producer.put(`r${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toHaveLength(1);
    expect(t.settled).toBe(400);
    const perShard = new Map<string, number>();
    for (const r of fake.stored) perShard.set(r.shardId, (perShard.get(r.shardId) ?? 0) + 1);
    expect(perShard.size).toBe(4);
    for (const n of perShard.values()) expect(n).toBeGreaterThan(50);
    await settle(producer.close());
  });
});

describe('KinesisProducer: failures', () => {
  it('retries only the failed entries of a partial failure', async () => {
    const fake = new FakeKinesis();
    fake.entryFault = (entry, _index, call) =>
      call === 0 && ['p1', 'p3'].includes(text(entry.Data))
        ? 'ProvisionedThroughputExceededException'
        : undefined;
    const { producer, events } = make(
      { bufferTime: 0, retry: { baseDelay: 100, maxDelay: 100 }, random: () => 0.9999999 },
      fake,
    );
    const payloads = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const t = track(payloads.map((p) => producer.put(p)));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toHaveLength(1);
    expect(t.settled).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.entries.map((e) => text(e.Data)).sort()).toEqual(['p1', 'p3']);
    expect(t.settled).toBe(5);
    expect(fake.stored.map((r) => text(r.data)).sort()).toEqual(payloads);
    expectLandedWhereReported(fake, payloads, t.results as PutResult[]);
    expect(events.find((e) => e.type === 'putRecords')).toMatchObject({ retried: 2, throttled: 2 });
    expect(producer.stats()).toMatchObject({ retried: 2, throttled: 2, recordsAcknowledged: 5 });
    await settle(producer.close());
  });

  it('backs off with full jitter inside the exponential window', async () => {
    const fake = new FakeKinesis();
    fake.entryFault = (_e, _i, call) => (call < 4 ? 'ProvisionedThroughputExceededException' : undefined);
    // random() just under 1: each delay is the top of its window: 100, 200, 400, 800.
    const { producer } = make(
      { bufferTime: 0, retry: { baseDelay: 100, maxDelay: 5000 }, random: () => 0.9999999 },
      fake,
    );
    const start = Date.now();
    const done = producer.put('x');
    await vi.advanceTimersByTimeAsync(2000);
    await done;
    expect(fake.calls.map((c) => c.at - start)).toEqual([0, 100, 300, 700, 1500]);
    await settle(producer.close());

    const fake2 = new FakeKinesis();
    fake2.entryFault = (_e, _i, call) => (call < 4 ? 'ProvisionedThroughputExceededException' : undefined);
    const p2 = make(
      { bufferTime: 0, retry: { baseDelay: 100, maxDelay: 5000 }, random: () => 0 },
      fake2,
    ).producer;
    const start2 = Date.now();
    const done2 = p2.put('x');
    await vi.advanceTimersByTimeAsync(0);
    await done2;
    expect(fake2.calls.map((c) => c.at - start2)).toEqual([0, 0, 0, 0, 0]);
    await settle(p2.close());
  });

  it('retries a failed request (throttled) as a whole', async () => {
    const fake = new FakeKinesis();
    fake.requestFault = (call) =>
      call === 0 ? Object.assign(new Error('slow down'), { name: 'LimitExceededException' }) : undefined;
    const { producer } = make({ bufferTime: 0, retry: { baseDelay: 50, maxDelay: 50 } }, fake);
    const t = track(['a', 'b'].map((p) => producer.put(p)));
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.calls).toHaveLength(2);
    expect(t.settled).toBe(2);
    expect(t.errors.every((e) => e === undefined)).toBe(true);
    await settle(producer.close());
  });

  it('rejects with RECORD_EXPIRED holding the record after recordTtl, never earlier', async () => {
    const fake = new FakeKinesis();
    fake.entryFault = (entry) => (text(entry.Data) === 'doomed' ? 'InternalFailure' : undefined);
    const { producer, events } = make(
      { bufferTime: 0, recordTtl: 1000, retry: { baseDelay: 100, maxDelay: 200 } },
      fake,
    );
    const start = Date.now();
    const doomed = producer.put('doomed', { partitionKey: 'k1' });
    const fine = producer.put('fine');
    let rejectedAt: number | undefined;
    doomed.catch(() => {
      rejectedAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(rejectedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(300);
    expect(rejectedAt).toBeDefined();
    expect(rejectedAt! - start).toBeGreaterThanOrEqual(1000);
    const error = await doomed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerRecordError);
    expect((error as ProducerRecordError).code).toBe(ErrorCode.RECORD_EXPIRED);
    expect((error as ProducerRecordError).record).toMatchObject({ data: 'doomed', partitionKey: 'k1' });
    expect((error as ProducerRecordError).context).toMatchObject({ lastError: 'InternalFailure' });
    await expect(fine).resolves.toMatchObject({ shardId: expect.any(String) });
    expect(events.some((e) => e.type === 'expired' && e.records === 1)).toBe(true);
    await settle(producer.close());
  });

  it('rejects every put() with STREAM_NOT_FOUND for an unknown stream, and start() too', async () => {
    const fake = new FakeKinesis();
    fake.exists = false;
    const { producer } = make({}, fake);
    const results = await Promise.allSettled([producer.put('a'), producer.put('b')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(isKinesisTsError((r as PromiseRejectedResult).reason, ErrorCode.STREAM_NOT_FOUND)).toBe(true);
    }
    await expect(producer.start()).rejects.toMatchObject({ code: ErrorCode.STREAM_NOT_FOUND });
    fake.exists = true; // created later: the next call starts
    const late = producer.put('c');
    await vi.advanceTimersByTimeAsync(500);
    await expect(late).resolves.toMatchObject({ shardId: expect.any(String) });
    await settle(producer.close());
  });

  it('rejects bad input on that call only', async () => {
    const fake = new FakeKinesis({ maxRecordSizeBytes: 2048 });
    const { producer } = make({ bufferTime: 0 }, fake);
    await producer.start();
    const good = producer.put('good', { partitionKey: 'k' });
    const bad = [
      producer.put('x', { partitionKey: '' }),
      producer.put('x', { partitionKey: 'k'.repeat(257) }),
      producer.put('x', { explicitHashKey: '01' }),
      producer.put('x', { explicitHashKey: '-1' }),
      producer.put('x', { explicitHashKey: (MAX_HASH_KEY + 1n).toString() }),
      producer.put('y'.repeat(2048), { partitionKey: 'k' }),
      producer.put(42 as unknown as string),
    ];
    const codes = (await Promise.allSettled(bad)).map((r) => (r as PromiseRejectedResult).reason?.code);
    expect(codes).toEqual([
      ErrorCode.INVALID_PARTITION_KEY,
      ErrorCode.INVALID_PARTITION_KEY,
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
      ErrorCode.RECORD_TOO_LARGE,
      ErrorCode.INVALID_ARGUMENT,
    ]);
    await vi.advanceTimersByTimeAsync(0);
    await expect(good).resolves.toMatchObject({ shardId: expect.any(String) });
    expect(fake.stored.map((r) => text(r.data))).toEqual(['good']);
    await expect(
      settle(producer.put('z'.repeat(2000), { partitionKey: 'k', explicitHashKey: '0' })),
    ).resolves.toMatchObject({
      shardId: 'shardId-000000000000',
    });
    await settle(producer.close());
  });
});

describe('KinesisProducer: ordered mode', () => {
  async function run(ordered: boolean) {
    const fake = new FakeKinesis({ shards: 2 });
    const random = seededRandom(7);
    fake.entryFault = () => (random() < 0.3 ? 'ProvisionedThroughputExceededException' : undefined);
    fake.latency = () => Math.floor(random() * 40);
    const { producer } = make(
      {
        bufferTime: 0,
        ordered,
        maxConcurrentRequests: 4,
        maxBatchRecords: 10,
        retry: { baseDelay: 10, maxDelay: 40 },
        random: seededRandom(11),
      },
      fake,
    );
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const promises: Promise<PutResult>[] = [];
    for (let n = 0; n < 60; n++) {
      for (const key of keys) promises.push(producer.put(`${key}:${n}`, { partitionKey: key }));
      if (n % 10 === 0) await vi.advanceTimersByTimeAsync(5);
    }
    const t = track(promises);
    while (t.settled < promises.length) await vi.advanceTimersByTimeAsync(50);
    expect(t.errors.every((e) => e === undefined)).toBe(true);
    await settle(producer.close());
    const order = new Map<string, number[]>();
    for (const r of fake.stored) {
      const [key, n] = text(r.data).split(':');
      order.set(key!, [...(order.get(key!) ?? []), Number(n)]);
    }
    const expected = Array.from({ length: 60 }, (_, i) => i);
    return { fake, inOrder: keys.every((k) => JSON.stringify(order.get(k)) === JSON.stringify(expected)) };
  }

  it('keeps per-key put() order across injected failures, retries and out-of-order responses', async () => {
    const { fake, inOrder } = await run(true);
    expect(fake.stored).toHaveLength(300);
    expect(inOrder).toBe(true);
  });

  it('(control: without ordered mode the same faults reorder records)', async () => {
    const { fake, inOrder } = await run(false);
    expect(fake.stored).toHaveLength(300);
    expect(inOrder).toBe(false);
  });
});

describe('KinesisProducer: rate limits and backpressure', () => {
  it('keeps a shard under its records-per-second bucket', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    const { producer } = make({ bufferTime: 0, rateLimit: { recordsPerSecond: 100 } }, fake);
    const t = track(Array.from({ length: 250 }, (_, i) => producer.put(`r${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.settled).toBe(100);
    await vi.advanceTimersByTimeAsync(500);
    expect(t.settled).toBe(150);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.settled).toBe(250);
    await settle(producer.close());
  });

  it('keeps a shard under its bytes-per-second bucket', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    const { producer } = make({ bufferTime: 0, rateLimit: { bytesPerSecond: 10_000 } }, fake);
    const t = track(Array.from({ length: 30 }, () => producer.put('x'.repeat(999), { partitionKey: 'k' })));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.settled).toBe(10);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.settled).toBe(20);
    await settle(producer.close());
  });

  it('waits for room when full (default)', async () => {
    const fake = new FakeKinesis();
    let open!: () => void;
    fake.gate = new Promise((resolve) => {
      open = resolve;
    });
    const { producer } = make({ bufferTime: 0, maxOutstandingRecords: 10 }, fake);
    const t = track(Array.from({ length: 15 }, (_, i) => producer.put(`r${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([10]);
    fake.gate = undefined;
    open();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([10, 5]);
    expect(t.settled).toBe(15);
    await settle(producer.close());
  });

  it('rejects with BUFFER_FULL when full and whenFull is reject', async () => {
    const fake = new FakeKinesis();
    const { producer } = make({ bufferTime: 100, maxOutstandingRecords: 3, whenFull: 'reject' }, fake);
    const accepted = [producer.put('a'), producer.put('b'), producer.put('c')];
    await expect(producer.put('d')).rejects.toMatchObject({ code: ErrorCode.BUFFER_FULL });
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(accepted);
    await expect(settle(producer.put('e').then(() => 'ok'))).resolves.toBe('ok');
    await settle(producer.close());
  });
});

describe('KinesisProducer: lifecycle', () => {
  it('close() flushes, resolves after every put settled, is idempotent; put() after close rejects CLOSED', async () => {
    const { producer, fake } = make({ bufferTime: 10_000 });
    const t = track(Array.from({ length: 20 }, (_, i) => producer.put(`r${i}`)));
    const closing = producer.close();
    expect(producer.close()).toBe(closing);
    await expect(producer.put('late')).rejects.toMatchObject({ code: ErrorCode.CLOSED });
    await vi.advanceTimersByTimeAsync(0);
    await closing;
    expect(t.settled).toBe(20);
    expect(fake.stored).toHaveLength(20);
    await expect(producer.start()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it('does no I/O before the first put() or start(), and close() without use is a no-op', async () => {
    const fake = new FakeKinesis();
    const { producer } = make({}, fake);
    await settle(producer.close());
    expect(fake.listShardsCalls).toBe(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('validates options with typed errors', () => {
    expect(() => new KinesisProducer({ streamName: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new KinesisProducer({ streamName: 's', bufferTime: -1 })).toThrow(/bufferTime/);
    expect(() => new KinesisProducer({ streamName: 's', maxBatchRecords: 501 })).toThrow(/maxBatchRecords/);
    expect(() => new KinesisProducer({ streamName: 's', kinesisApi: new FakeKinesis() })).toThrow(/inline/);
    expect(() => new KinesisProducer({ streamName: 's', aggregation: { maxBytes: 1 } })).toThrow(/maxBytes/);
  });
});

describe('KinesisProducer: aggregation and shard map', () => {
  it('aggregates per predicted shard; each promise points at its aggregate and index', async () => {
    const { producer, fake } = make({ bufferTime: 100, aggregation: true });
    const payloads = Array.from({ length: 1000 }, (_, i) => `payload-${i}-${'x'.repeat(60)}`);
    const t = track(payloads.map((p) => producer.put(p)));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.settled).toBe(1000);
    const results = t.results as PutResult[];
    expect(results.every((r) => r.aggregated)).toBe(true);
    expect(fake.stored.length).toBeLessThan(20);
    expectLandedWhereReported(fake, payloads, results);
    for (const stored of fake.stored) {
      const shard = fake.shards.find((s) => s.shardId === stored.shardId)!;
      for (const inner of deaggregate({ ...stored, approximateArrivalTimestamp: new Date(0) })) {
        const key = effectiveHashKey(inner);
        expect(key >= shard.hashKeyRange.startingHashKey && key <= shard.hashKeyRange.endingHashKey).toBe(
          true,
        );
      }
    }
    await settle(producer.close());
  });

  it('respects aggregation maxBytes', async () => {
    const { producer, fake } = make({ bufferTime: 100, aggregation: { maxBytes: 4096 } });
    const t = track(Array.from({ length: 500 }, (_, i) => producer.put(`p${i}`.padEnd(100, '.'))));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.settled).toBe(500);
    for (const stored of fake.stored) expect(stored.data.byteLength).toBeLessThanOrEqual(4096);
    await settle(producer.close());
  });

  it('refreshes the shard map when a record lands on an unexpected shard', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    const { producer, events } = make({ bufferTime: 0 }, fake);
    await settle(producer.put('before'));
    expect(fake.listShardsCalls).toBe(1);
    // Split the only shard in two: the producer's map is now stale.
    fake.splitFirstShard();
    const result = await settle(producer.put('after', { explicitHashKey: MAX_HASH_KEY.toString() }));
    expect(result.shardId).toBe('shardId-000000000002');
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.listShardsCalls).toBe(2);
    expect(events.some((e) => e.type === 'shardMapRefreshed' && e.openShards === 2)).toBe(true);
    await settle(producer.close());
  });

  it('re-routes an aggregate that landed on the wrong shard after resharding', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    const { producer } = make({ bufferTime: 0, aggregation: true }, fake);
    await settle(producer.put('warm-up'));
    fake.splitFirstShard();
    const payloads = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const results = await settle(Promise.all(payloads.map((p) => producer.put(p))));
    const hashOf = (i: number) => {
      const stored = fake.stored.find((s) => s.sequenceNumber === results[i]!.sequenceNumber)!;
      const inner = deaggregate({ ...stored, approximateArrivalTimestamp: new Date(0) });
      return effectiveHashKey(inner[results[i]!.subSequenceNumber ?? 0]!);
    };
    results.forEach((r, i) => {
      const shard = fake.shards.find((s) => s.shardId === r.shardId)!;
      expect(shard.open).toBe(true);
      const key = hashOf(i);
      expect(key >= shard.hashKeyRange.startingHashKey && key <= shard.hashKeyRange.endingHashKey).toBe(true);
    });
    await settle(producer.close());
  });
});
