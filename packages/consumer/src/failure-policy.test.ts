import { describe, expect, it } from 'vitest';
import { resolveFailurePolicy, retryDelayMs } from './failure-policy.js';
import { itemIdentifier, readBatchResponse } from './item-identifier.js';

describe('resolveFailurePolicy', () => {
  it('applies Lambda-like defaults: unlimited retries, no bisection, no age limit', () => {
    const policy = resolveFailurePolicy({});
    expect(policy).toMatchObject({
      maxRetryAttempts: Infinity,
      bisectOnError: false,
      maxRecordAgeMs: Infinity,
      destination: null,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 10_000,
      destinationMaxAttempts: Infinity,
      destinationTimeoutMs: 30_000,
    });
  });

  it('requires a destination whenever records could be given up', () => {
    expect(() => resolveFailurePolicy({ maxRetryAttempts: 0 })).toThrow(/destination is required/);
    expect(() => resolveFailurePolicy({ maxRecordAgeMs: 60_000 })).toThrow(/destination is required/);
    expect(resolveFailurePolicy({ maxRetryAttempts: 0, destination: () => {} }).destination).not.toBeNull();
  });

  it('rejects invalid values with INVALID_ARGUMENT', () => {
    for (const bad of [
      { maxRetryAttempts: -1 },
      { maxRetryAttempts: 1.5, destination: () => {} },
      { retryBaseDelayMs: 500, retryMaxDelayMs: 100 },
      { retryMaxDelayMs: Infinity },
      { destinationMaxAttempts: 0 },
      { destinationTimeoutMs: 0 },
      { bisectOnError: 'yes' as unknown as boolean },
      { destination: 42 as never },
    ]) {
      expect(() => resolveFailurePolicy(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('retry delays double from the base up to the cap (with full jitter value 1)', () => {
    const policy = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 60].map((n) => retryDelayMs(policy, n, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(retryDelayMs(policy, 3, () => 0)).toBe(200);
  });
});

describe('item identifiers', () => {
  const plain = {
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    subSequenceNumber: 0,
    aggregated: false,
  };
  const sub = (n: number) => ({ sequenceNumber: '777', subSequenceNumber: n, aggregated: true });
  const rec = (r: object) =>
    ({
      ...r,
      data: new Uint8Array(),
      partitionKey: 'k',
      shardId: 's',
      approximateArrivalTimestamp: new Date(0),
    }) as never;

  it('is the sequence number for plain records, sequence:sub for aggregated ones', () => {
    expect(itemIdentifier(plain)).toBe(plain.sequenceNumber);
    expect(itemIdentifier(sub(3))).toBe('777:3');
  });

  it('reads Lambda-shaped responses: nothing, null, empty = success; the earliest named record wins', () => {
    const records = [rec(sub(0)), rec(sub(1)), rec(sub(2))];
    for (const ok of [undefined, null, {}, { batchItemFailures: null }, { batchItemFailures: [] }, 'x']) {
      expect(readBatchResponse(ok, records)).toEqual({ type: 'ok' });
    }
    expect(
      readBatchResponse(
        { batchItemFailures: [{ itemIdentifier: '777:2' }, { itemIdentifier: '777:1' }] },
        records,
      ),
    ).toEqual({
      type: 'partial',
      index: 1,
    });
    // A bare sequence number names the first user record of an aggregate.
    expect(readBatchResponse({ batchItemFailures: [{ itemIdentifier: '777' }] }, records)).toEqual({
      type: 'partial',
      index: 0,
    });
  });

  it('an empty, null, malformed or unknown identifier fails the whole batch (Lambda rule)', () => {
    const records = [rec(plain)];
    for (const bad of [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: plain.sequenceNumber }] },
      { batchItemFailures: [{ itemIdentifier: '12345' }] },
      { batchItemFailures: 'nope' },
    ]) {
      expect(readBatchResponse(bad, records).type).toBe('invalid');
    }
  });
});
