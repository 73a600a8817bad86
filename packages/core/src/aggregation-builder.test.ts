import { describe, expect, it } from 'vitest';
import { type AggregateInputRecord, decodeAggregate, KPL_AGGREGATE_OVERHEAD_BYTES } from './aggregation.js';
import { AggregateBuilder } from './aggregation-builder.js';
import { ErrorCode, ValidationError } from './errors.js';
import { KPL_DEFAULT_MAX_AGGREGATE_BYTES, MAX_RECORD_SIZE_BYTES } from './limits.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Data lengths around the varint boundaries of the data field and of the record message. */
const BOUNDARY_LENGTHS = [
  0, 1, 2, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 16370, 16371,
  16372, 16373, 16374, 16375, 16376, 16377, 16378, 16379, 16380, 16381, 16382, 16383, 16384, 16385,
];

function bytesOf(data: Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
}

/** Asserts that the builder's accounting matches what it builds, and that it decodes to `added`. */
function assertExact(builder: AggregateBuilder, added: readonly AggregateInputRecord[]): void {
  const built = builder.build();
  expect(builder.size).toBe(built.data.length);
  expect(built.records).toBe(added.length);
  expect(builder.count).toBe(added.length);
  expect(built.partitionKey).toBe(added[0]!.partitionKey);
  expect(built.explicitHashKey).toBe(added[0]!.explicitHashKey);
  const decoded = decodeAggregate(built.data);
  expect(decoded.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual(
    added.map((r) => [r.partitionKey, r.explicitHashKey]),
  );
  decoded.forEach((r, i) => {
    expect(Buffer.from(r.data).equals(bytesOf(added[i]!.data))).toBe(true);
  });
}

describe('AggregateBuilder sizing', () => {
  it('sizeIfAdded and size equal the built length for random batches', () => {
    const rand = prng(42);
    for (let batch = 0; batch < 60; batch++) {
      const builder = new AggregateBuilder({ maxBytes: MAX_RECORD_SIZE_BYTES });
      const added: AggregateInputRecord[] = [];
      const n = 1 + Math.floor(rand() * 25);
      const keySpace = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < n; i++) {
        const k = Math.floor(rand() * keySpace);
        const length =
          rand() < 0.6
            ? BOUNDARY_LENGTHS[Math.floor(rand() * BOUNDARY_LENGTHS.length)]!
            : Math.floor(rand() * 400);
        const record: AggregateInputRecord = {
          // Keys repeat; some are non-ASCII so characters and bytes differ.
          partitionKey: k === 0 ? 'é'.repeat(1 + Math.floor(rand() * 200)) : `key-${k}`,
          explicitHashKey: rand() < 0.5 ? String(Math.floor(rand() * 4) * 1_000_000_007) : undefined,
          data: rand() < 0.2 ? 'ü'.repeat(Math.floor(length / 2)) : new Uint8Array(length).fill(i),
        };
        const predicted = builder.sizeIfAdded(record);
        expect(builder.tryAdd(record)).toBe(true);
        added.push(record);
        expect(builder.size).toBe(predicted);
        assertExact(builder, added);
      }
    }
  });

  it('is exact when table indexes grow past one varint byte (more than 128 distinct keys)', () => {
    const builder = new AggregateBuilder({ maxBytes: MAX_RECORD_SIZE_BYTES });
    const added: AggregateInputRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const record = { partitionKey: `pk-${i}`, explicitHashKey: String(i), data: `d${i}` };
      const predicted = builder.sizeIfAdded(record);
      expect(builder.tryAdd(record)).toBe(true);
      added.push(record);
      expect(builder.size).toBe(predicted);
      if (i >= 120 && i <= 135) assertExact(builder, added);
    }
    assertExact(builder, added);
  });

  it('is exact for single records at every boundary length, with and without explicit hash keys', () => {
    for (const length of [...BOUNDARY_LENGTHS, 2_097_151, 2_097_152]) {
      for (const explicitHashKey of [undefined, '340282366920938463463374607431768211455']) {
        const builder = new AggregateBuilder({
          maxBytes: 4 * MAX_RECORD_SIZE_BYTES,
          maxRecordBytes: 4 * MAX_RECORD_SIZE_BYTES,
        });
        const record = { partitionKey: 'k', explicitHashKey, data: new Uint8Array(length) };
        const predicted = builder.sizeIfAdded(record);
        expect(builder.tryAdd(record)).toBe(true);
        expect(builder.build().data.length).toBe(predicted);
      }
    }
  });

  it('reports 0 when empty and starts over after reset', () => {
    const builder = new AggregateBuilder();
    expect(builder.size).toBe(0);
    expect(builder.count).toBe(0);
    builder.tryAdd({ partitionKey: 'a', explicitHashKey: '1', data: 'x' });
    builder.tryAdd({ partitionKey: 'b', data: 'y' });
    builder.reset();
    expect(builder.size).toBe(0);
    expect(builder.count).toBe(0);
    const record = { partitionKey: 'b', data: 'z' };
    expect(builder.tryAdd(record)).toBe(true);
    assertExact(builder, [record]);
  });
});

describe('AggregateBuilder admission', () => {
  it('defaults to the KPL cap and the Kinesis record limit', () => {
    const builder = new AggregateBuilder();
    expect(builder.maxBytes).toBe(KPL_DEFAULT_MAX_AGGREGATE_BYTES);
    expect(builder.maxRecordBytes).toBe(MAX_RECORD_SIZE_BYTES);
  });

  it('fills up to maxBytes exactly and refuses the record that would pass it, changing nothing', () => {
    const maxBytes = 1000;
    const builder = new AggregateBuilder({ maxBytes });
    const added: AggregateInputRecord[] = [];
    let i = 0;
    for (;;) {
      const record = { partitionKey: 'k', data: new Uint8Array(50).fill(i) };
      const before = builder.size;
      const wouldBe = builder.sizeIfAdded(record);
      const ok = builder.tryAdd(record);
      expect(ok).toBe(wouldBe <= maxBytes);
      if (!ok) {
        expect(builder.size).toBe(before);
        expect(builder.count).toBe(added.length);
        break;
      }
      added.push(record);
      i++;
    }
    expect(builder.size).toBeLessThanOrEqual(maxBytes);
    assertExact(builder, added);
    // A record that exactly fills the remaining room is accepted.
    const room = maxBytes - builder.size;
    const probe = { partitionKey: 'k', data: new Uint8Array(0) };
    const emptyCost = builder.sizeIfAdded(probe) - builder.size; // 1 + 1 + 1 + 1 + 1 + 0 bytes
    if (room >= emptyCost) {
      const fill = { partitionKey: 'k', data: new Uint8Array(room - emptyCost) };
      expect(builder.sizeIfAdded(fill)).toBe(maxBytes);
      expect(builder.tryAdd(fill)).toBe(true);
      expect(builder.size).toBe(maxBytes);
      assertExact(builder, [...added, fill]);
    }
  });

  it('an empty builder takes one record past maxBytes if it fits the record limit', () => {
    const builder = new AggregateBuilder({ maxBytes: 100 });
    const big = { partitionKey: 'k', data: new Uint8Array(5000) };
    expect(builder.tryAdd(big)).toBe(true);
    expect(builder.size).toBeGreaterThan(100);
    expect(builder.tryAdd({ partitionKey: 'k', data: 'tiny' })).toBe(false);
    assertExact(builder, [big]);
  });

  it('never builds past the record limit, counting the outer partition key', () => {
    const maxRecordBytes = 2000;
    const builder = new AggregateBuilder({ maxBytes: 100, maxRecordBytes });
    const key = 'p'.repeat(10);
    const probe = { partitionKey: key, data: new Uint8Array(0) };
    const fixed = builder.sizeIfAdded(probe); // overhead with empty data (1-byte length)
    // Largest data that fits: aggregate size + 10 key bytes == 2000 (data length needs a 2-byte varint
    // and the record message length too, hence the -2).
    const fitting = maxRecordBytes - key.length - fixed - 2;
    const fits = { partitionKey: key, data: new Uint8Array(fitting) };
    expect(builder.sizeIfAdded(fits) + key.length).toBe(maxRecordBytes);
    expect(builder.tryAdd({ partitionKey: key, data: new Uint8Array(fitting + 1) })).toBe(false);
    expect(builder.count).toBe(0);
    expect(builder.tryAdd(fits)).toBe(true);
    expect(builder.size + key.length).toBe(maxRecordBytes);
  });

  it('refuses, on an empty builder, a record that cannot be aggregated at all', () => {
    const builder = new AggregateBuilder();
    expect(builder.tryAdd({ partitionKey: 'k', data: new Uint8Array(MAX_RECORD_SIZE_BYTES - 1) })).toBe(
      false,
    );
    expect(builder.count).toBe(0);
    expect(() => builder.build()).toThrow(ValidationError);
  });

  it('routes the aggregate like its first record', () => {
    const builder = new AggregateBuilder();
    builder.tryAdd({ partitionKey: 'first', explicitHashKey: '777', data: 'a' });
    builder.tryAdd({ partitionKey: 'second', data: 'b' });
    expect(builder.build()).toMatchObject({ partitionKey: 'first', explicitHashKey: '777', records: 2 });
    builder.reset();
    builder.tryAdd({ partitionKey: 'solo', data: 'c' });
    builder.tryAdd({ partitionKey: 'other', explicitHashKey: '5', data: 'd' });
    const built = builder.build();
    expect(built.partitionKey).toBe('solo');
    expect(built.explicitHashKey).toBeUndefined();
  });

  it('rejects invalid records and options with typed errors, keeping what it holds', () => {
    const builder = new AggregateBuilder();
    builder.tryAdd({ partitionKey: 'ok', data: 'kept' });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).code;
      }
      return undefined;
    };
    expect(code(() => builder.tryAdd({ partitionKey: '', data: 'x' }))).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(code(() => builder.sizeIfAdded({ partitionKey: 'k', explicitHashKey: '01', data: 'x' }))).toBe(
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
    );
    expect(code(() => builder.tryAdd({ partitionKey: 'k', data: null as unknown as string }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(builder.count).toBe(1);
    assertExact(builder, [{ partitionKey: 'ok', data: 'kept' }]);
    expect(code(() => new AggregateBuilder({ maxBytes: 0 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code(() => new AggregateBuilder({ maxBytes: KPL_AGGREGATE_OVERHEAD_BYTES }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(code(() => new AggregateBuilder({ maxBytes: 1.5e3 + 0.5 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code(() => new AggregateBuilder({ maxRecordBytes: Number.NaN }))).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});
