import { type KinesisRecord, LeaseLostError, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BatchOutcome, type BatchRetrierDeps, retryBatch } from './batch-retrier.js';
import type { FailedRecords } from './failure-destination.js';
import { type FailurePolicyOptions, resolveFailurePolicy } from './failure-policy.js';
import { itemIdentifier } from './item-identifier.js';
import { until } from './test-support/fake-time.js';

const T0 = Date.UTC(2026, 0, 1);

function makeRecords(n: number, arrivalStepMs = 0): KinesisRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    data: Buffer.from(`r${i}`),
    partitionKey: `k${i}`,
    sequenceNumber: String(1000 + i),
    subSequenceNumber: 0,
    shardId: 'shard-0',
    approximateArrivalTimestamp: new Date(T0 + i * arrivalStepMs),
    aggregated: false,
  }));
}

interface Harness {
  outcome: Promise<BatchOutcome>;
  calls: Array<{ first: number; size: number; attempt: number; at: number }>;
  progress: Array<[number, number]>;
  sent: FailedRecords[];
  retries: Array<{ retry: number; delayMs: number; records: number }>;
  bisections: number;
  destinationFailures: number;
  abort: AbortController;
}

function harness(
  records: KinesisRecord[],
  policy: FailurePolicyOptions,
  handler: (batch: KinesisRecord[], attempt: number) => unknown,
  extra: Partial<BatchRetrierDeps> = {},
): Harness {
  const h: Harness = {
    outcome: Promise.resolve({ type: 'done' }),
    calls: [],
    progress: [],
    sent: [],
    retries: [],
    bisections: 0,
    destinationFailures: 0,
    abort: new AbortController(),
  };
  const index = new Map(records.map((r, i) => [r, i]));
  h.outcome = retryBatch(records, {
    policy: resolveFailurePolicy({
      destination: (failed) => {
        h.sent.push(failed);
      },
      ...policy,
    }),
    streamName: 's',
    consumerGroup: 'g',
    shardId: 'shard-0',
    clock: systemClock,
    wallNow: () => Date.now(),
    signal: h.abort.signal,
    random: () => 1,
    invoke: async (batch, attempt) => {
      h.calls.push({ first: index.get(batch[0]!)!, size: batch.length, attempt, at: Date.now() - T0 });
      return handler(batch, attempt);
    },
    progress: (from, to) => h.progress.push([from, to]),
    observer: {
      retrying: (info) => h.retries.push({ retry: info.retry, delayMs: info.delayMs, records: info.records }),
      bisected: () => {
        h.bisections += 1;
      },
      destinationFailed: () => {
        h.destinationFailures += 1;
      },
    },
    ...extra,
  });
  return h;
}

/** The progress calls cover `[0, n)` exactly once, in order, without gaps. */
function expectContiguous(progress: Array<[number, number]>, n: number): void {
  let at = 0;
  for (const [from, to] of progress) {
    expect(from).toBe(at);
    expect(to).toBeGreaterThan(from);
    at = to;
  }
  expect(at).toBe(n);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retryBatch: retries and backoff', () => {
  it('retries a failing batch maxRetryAttempts times with doubling delays capped at retryMaxDelayMs, then sends it whole', async () => {
    const records = makeRecords(5);
    const h = harness(records, { maxRetryAttempts: 5, retryBaseDelayMs: 100, retryMaxDelayMs: 500 }, () => {
      throw new Error('downstream down');
    });
    expect(await until(h.outcome)).toEqual({ type: 'done' });
    // 1 call + 5 retries; delays 100, 200, 400, 500 (cap), 500.
    expect(h.calls.map((c) => c.at)).toEqual([0, 100, 300, 700, 1200, 1700]);
    expect(h.calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.retries.map((r) => r.delayMs)).toEqual([100, 200, 400, 500, 500]);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.records).toHaveLength(5);
    expect(h.sent[0]!.condition).toBe('RetryAttemptsExhausted');
    expect(h.sent[0]!.attempts).toBe(6);
    expect((h.sent[0]!.error as Error).message).toBe('downstream down');
    // Checkpointed only once the destination took them.
    expect(h.progress).toEqual([[0, 5]]);
  });

  it('maxRetryAttempts 0 sends a failing batch at once; a transient failure is retried and processed', async () => {
    const zero = harness(makeRecords(3), { maxRetryAttempts: 0 }, () => {
      throw new Error('bad');
    });
    await until(zero.outcome);
    expect(zero.calls).toHaveLength(1);
    expect(zero.sent[0]!.attempts).toBe(1);

    let failuresLeft = 2;
    const transient = harness(makeRecords(3), { maxRetryAttempts: 5 }, () => {
      if (failuresLeft-- > 0) throw new Error('flaky');
    });
    expect(await until(transient.outcome)).toEqual({ type: 'done' });
    expect(transient.calls.map((c) => c.size)).toEqual([3, 3, 3]);
    expect(transient.sent).toEqual([]);
    expect(transient.progress).toEqual([[0, 3]]);
  });

  it('jitter keeps delays between half and all of the exponential value', async () => {
    const h = harness(
      makeRecords(1),
      { maxRetryAttempts: 3, retryBaseDelayMs: 1000, retryMaxDelayMs: 10_000 },
      () => {
        throw new Error('x');
      },
      { random: () => 0 },
    );
    await until(h.outcome);
    expect(h.retries.map((r) => r.delayMs)).toEqual([500, 1000, 2000]);
  });
});

describe('retryBatch: partial batch response', () => {
  it('checkpoints everything before the first failed item, then retries the rest in order', async () => {
    const records = makeRecords(10);
    let first = true;
    const h = harness(records, { maxRetryAttempts: 3 }, (batch) => {
      if (first) {
        first = false;
        // Several failures: the earliest one counts.
        return {
          batchItemFailures: [
            { itemIdentifier: itemIdentifier(batch[6]!) },
            { itemIdentifier: itemIdentifier(batch[3]!) },
          ],
        };
      }
      return undefined;
    });
    expect(await until(h.outcome)).toEqual({ type: 'done' });
    expect(h.progress).toEqual([
      [0, 3],
      [3, 10],
    ]);
    expect(h.calls.map((c) => [c.first, c.size, c.attempt])).toEqual([
      [0, 10, 1],
      [3, 7, 2],
    ]);
    expect(h.sent).toEqual([]);
  });

  it('a record reported failed every time goes alone to the destination after its retries; the rest goes on', async () => {
    const records = makeRecords(10);
    const poison = records[4]!;
    const h = harness(records, { maxRetryAttempts: 2 }, (batch) =>
      batch.includes(poison) ? { batchItemFailures: [{ itemIdentifier: itemIdentifier(poison) }] } : {},
    );
    expect(await until(h.outcome)).toEqual({ type: 'done' });
    expect(h.calls.map((c) => [c.first, c.size])).toEqual([
      [0, 10],
      [4, 6],
      [4, 6],
      [5, 5],
    ]);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.records).toEqual([poison]);
    expect(h.sent[0]!.attempts).toBe(3);
    expect(h.progress).toEqual([
      [0, 4],
      [4, 5],
      [5, 10],
    ]);
  });

  it('an identifier naming no record of the batch fails the whole batch (Lambda rule)', async () => {
    let calls = 0;
    const h = harness(makeRecords(4), { maxRetryAttempts: 1 }, () => {
      calls += 1;
      return calls === 1 ? { batchItemFailures: [{ itemIdentifier: '999999' }] } : undefined;
    });
    await until(h.outcome);
    expect(h.calls.map((c) => c.size)).toEqual([4, 4]);
    expect(h.progress).toEqual([[0, 4]]);
  });

  it('aggregated records are named <sequenceNumber>:<subSequenceNumber>', async () => {
    const records = makeRecords(3).map((r, i) => ({
      ...r,
      sequenceNumber: '500',
      subSequenceNumber: i,
      aggregated: true,
    }));
    expect(itemIdentifier(records[2]!)).toBe('500:2');
    let first = true;
    const h = harness(records, {}, () => {
      if (!first) return undefined;
      first = false;
      return { batchItemFailures: [{ itemIdentifier: '500:2' }] };
    });
    await until(h.outcome);
    expect(h.progress).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });
});

describe('retryBatch: bisection', () => {
  const n = 1000;
  const bound = 2 * Math.log2(n);
  for (const at of [0, 1, 250, 499, 500, 731, 998, 999]) {
    it(`isolates one poison record at ${at} among ${n} in <= 2*log2(${n}) handler calls`, async () => {
      const records = makeRecords(n);
      const poison = records[at]!;
      const handled = new Map<KinesisRecord, number>();
      const h = harness(records, { bisectOnError: true, maxRetryAttempts: 0 }, (batch) => {
        if (batch.includes(poison)) throw new Error('poison');
        for (const r of batch) handled.set(r, (handled.get(r) ?? 0) + 1);
      });
      expect(await until(h.outcome)).toEqual({ type: 'done' });
      expect(h.calls.length).toBeLessThanOrEqual(bound);
      expect(h.sent).toHaveLength(1);
      expect(h.sent[0]!.records).toEqual([poison]);
      // Every other record handled exactly once (no record repeated by the bisection).
      expect(handled.size).toBe(n - 1);
      expect([...handled.values()].every((count) => count === 1)).toBe(true);
      expectContiguous(h.progress, n);
      // Splitting used up no retry and waited for nothing.
      expect(h.retries).toEqual([]);
      expect(h.calls.every((c) => c.at === 0)).toBe(true);
      console.log(
        `[batch-retrier] poison at ${at}/${n}: ${h.calls.length} handler calls, ${h.bisections} bisections`,
      );
    });
  }

  it('isolates two poison records; each single record gets its own retries before the destination', async () => {
    const records = makeRecords(64);
    const poisons = new Set([records[10]!, records[40]!]);
    const h = harness(records, { bisectOnError: true, maxRetryAttempts: 2 }, (batch) => {
      if (batch.some((r) => poisons.has(r))) throw new Error('poison');
    });
    await until(h.outcome);
    expect(h.sent.map((s) => s.records)).toEqual([[records[10]], [records[40]]]);
    expect(h.retries.map((r) => r.records)).toEqual([1, 1, 1, 1]);
    expectContiguous(h.progress, 64);
  });

  it('a transient whole-batch failure still processes every record once', async () => {
    const records = makeRecords(100);
    let failed = false;
    const handled: KinesisRecord[] = [];
    const h = harness(records, { bisectOnError: true, maxRetryAttempts: 0 }, (batch) => {
      if (!failed) {
        failed = true;
        throw new Error('blip');
      }
      handled.push(...batch);
    });
    await until(h.outcome);
    expect(h.sent).toEqual([]);
    expect(handled).toEqual(records);
    expectContiguous(h.progress, 100);
  });
});

describe('retryBatch: maximum record age', () => {
  it('failed records older than maxRecordAgeMs go to the destination instead of another retry', async () => {
    // Records arrived 1 s apart; the oldest is 10 s old when the batch is first handled.
    vi.setSystemTime(T0 + 10_000);
    const records = makeRecords(5, 1000);
    const h = harness(
      records,
      { maxRecordAgeMs: 11_500, retryBaseDelayMs: 1000, retryMaxDelayMs: 1000 },
      () => {
        throw new Error('always');
      },
    );
    await until(h.outcome);
    // t=10 s first call, t=11 s retry (record 0 is 11 s old: still young enough), t=12 s record 0 is
    // 12 s old: sent, and records 1..4 are called again at once; one record a second after that.
    expect(h.sent.every((s) => s.condition === 'RecordAgeExceeded')).toBe(true);
    expect(h.sent.map((s) => [s.records.length, s.failedAt.getTime() - T0])).toEqual([
      [1, 12_000],
      [1, 13_000],
      [1, 14_000],
      [1, 15_000],
      [1, 16_000],
    ]);
    expect(h.calls.slice(0, 4).map((c) => [c.first, c.size, c.at])).toEqual([
      [0, 5, 10_000],
      [0, 5, 11_000],
      [1, 4, 12_000],
      [2, 3, 13_000],
    ]);
    expect(h.sent.flatMap((s) => s.records)).toEqual(records);
    expectContiguous(h.progress, 5);
    // Each record was retried until it was too old; none was skipped before it failed.
    expect(h.calls[0]!.size).toBe(5);
  });

  it('records that never failed are handed to the handler however old', async () => {
    vi.setSystemTime(T0 + 3_600_000);
    const records = makeRecords(3);
    const h = harness(records, { maxRecordAgeMs: 1000 }, () => undefined);
    await until(h.outcome);
    expect(h.sent).toEqual([]);
    expect(h.progress).toEqual([[0, 3]]);
  });
});

describe('retryBatch: destination failures, lost lease, close', () => {
  it('a failing destination is called again after a backoff; nothing is checkpointed or skipped meanwhile', async () => {
    const records = makeRecords(3);
    let rejections = 3;
    const accepted: FailedRecords[] = [];
    const h = harness(
      records,
      {
        maxRetryAttempts: 0,
        retryBaseDelayMs: 100,
        destination: (failed) => {
          if (rejections-- > 0) throw new Error('destination down');
          accepted.push(failed);
        },
      },
      (batch) => {
        if (batch.includes(records[1]!)) throw new Error('bad');
      },
    );
    expect(await until(h.outcome)).toEqual({ type: 'done' });
    expect(h.destinationFailures).toBe(3);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.records).toEqual(records);
    expect(h.progress).toEqual([[0, 3]]);
  });

  it('after destinationMaxAttempts the batch fails (the consumer stops) without marking the records done', async () => {
    const records = makeRecords(4);
    let first = true;
    const h = harness(
      records,
      {
        maxRetryAttempts: 0,
        destinationMaxAttempts: 2,
        destination: () => {
          throw new Error('destination down');
        },
      },
      (batch) => {
        if (!first) return undefined;
        first = false;
        return { batchItemFailures: [{ itemIdentifier: batch[2]!.sequenceNumber }] };
      },
    );
    const outcome = await until(h.outcome);
    expect(outcome).toMatchObject({ type: 'failed', error: { code: 'FAILURE_DESTINATION_FAILED' } });
    expect(h.destinationFailures).toBe(2);
    // Only the records before the failed one were processed.
    expect(h.progress).toEqual([[0, 2]]);
  });

  it('a destination that never answers times out and is offered again', async () => {
    const records = makeRecords(1);
    let calls = 0;
    const h = harness(
      records,
      {
        maxRetryAttempts: 0,
        destinationTimeoutMs: 1000,
        destination: () => {
          calls += 1;
          return calls === 1 ? new Promise<void>(() => {}) : undefined;
        },
      },
      () => {
        throw new Error('bad');
      },
    );
    expect(await until(h.outcome)).toEqual({ type: 'done' });
    expect(calls).toBe(2);
    expect(h.destinationFailures).toBe(1);
  });

  it('an abort during the backoff ends the loop at once, without checkpointing the batch', async () => {
    const h = harness(makeRecords(3), { retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 }, () => {
      throw new Error('bad');
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(h.calls).toHaveLength(1);
    h.abort.abort();
    expect(await h.outcome).toEqual({ type: 'stopped' });
    expect(h.progress).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a LeaseLostError from the handler stops at once, no retry', async () => {
    const h = harness(makeRecords(3), { maxRetryAttempts: 10 }, () => {
      throw new LeaseLostError({
        consumerGroup: 'g',
        streamName: 's',
        shardId: 'shard-0',
        operation: 'checkpoint',
        expectedOwner: 'me',
        expectedCounter: 1,
      });
    });
    expect(await until(h.outcome)).toEqual({ type: 'stopped' });
    expect(h.calls).toHaveLength(1);
    expect(h.retries).toEqual([]);
    expect(h.progress).toEqual([]);
  });
});
