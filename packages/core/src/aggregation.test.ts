import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it, vi } from 'vitest';
import {
  type AggregatedUserRecord,
  type AggregateInputRecord,
  deaggregate,
  decodeAggregate,
  encodeAggregate,
  hasAggregateMagic,
  KPL_MAGIC,
  type RawKinesisRecord,
} from './aggregation.js';
import { ErrorCode, ValidationError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Deterministic PRNG (mulberry32) so failures reproduce. */
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

function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Frames a protobuf body as an aggregate, independently of the code under test. */
function frame(body: Uint8Array): Uint8Array {
  const digest = createHash('md5').update(body).digest();
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, digest]);
}

type RecordFields = { pk?: number; ehk?: number; data?: Uint8Array; extra?: (w: BinaryWriter) => void };

/** Writes an AggregatedRecord body by hand (to craft malformed but digest-correct aggregates). */
function body(pks: string[], ehks: string[], records: RecordFields[]): Uint8Array {
  const w = new BinaryWriter();
  for (const k of pks) w.tag(1, WireType.LengthDelimited).string(k);
  for (const k of ehks) w.tag(2, WireType.LengthDelimited).string(k);
  for (const r of records) {
    w.tag(3, WireType.LengthDelimited).fork();
    if (r.pk !== undefined) w.tag(1, WireType.Varint).uint64(r.pk);
    if (r.ehk !== undefined) w.tag(2, WireType.Varint).uint64(r.ehk);
    if (r.data !== undefined) w.tag(3, WireType.LengthDelimited).bytes(r.data);
    r.extra?.(w);
    w.join();
  }
  return w.finish();
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(ErrorCode.INVALID_AGGREGATE);
    return String((error as ValidationError).context.reason);
  }
  throw new Error('expected INVALID_AGGREGATE, nothing was thrown');
}

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

function outer(data: Uint8Array, extra: Partial<RawKinesisRecord> = {}): RawKinesisRecord {
  return {
    data,
    partitionKey: 'outer-key',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    shardId: 'shardId-000000000001',
    approximateArrivalTimestamp: new Date('2026-01-02T03:04:05.000Z'),
    encryptionType: 'KMS',
    ...extra,
  };
}

function normalize(records: readonly AggregatedUserRecord[] | readonly AggregateInputRecord[]) {
  return records.map((r) => ({
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey ?? undefined,
    data: typeof r.data === 'string' ? r.data : text(r.data),
  }));
}

// ---------------------------------------------------------------------------------------------
// Real KPL vectors

interface Vector {
  name: string;
  outer_partition_key: string;
  outer_sequence_number: string;
  aggregated: boolean;
  data_base64: string;
  data_hex: string;
  expected_user_records:
    | { partitionKey: string; explicitHashKey: string | null; data_utf8: string }[]
    | string;
  decoded_tables?: { partition_key_table: string[]; explicit_hash_key_table: string[] };
  decoded_records?: {
    partition_key_index: number;
    explicit_hash_key_index: number | null;
    data_utf8: string;
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../test-fixtures/kpl/kpl_aggregated_vectors.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

/** What a vector must decode to: upstream's asserted records, or those of the independent decoder. */
function expectedRecords(
  v: Vector,
): { partitionKey: string; explicitHashKey: string | null; data: string }[] {
  if (Array.isArray(v.expected_user_records)) {
    return v.expected_user_records.map((r) => ({
      partitionKey: r.partitionKey,
      explicitHashKey: r.explicitHashKey,
      data: r.data_utf8,
    }));
  }
  const tables = v.decoded_tables!;
  return v.decoded_records!.map((r) => ({
    partitionKey: tables.partition_key_table[r.partition_key_index]!,
    explicitHashKey:
      r.explicit_hash_key_index === null ? null : tables.explicit_hash_key_table[r.explicit_hash_key_index]!,
    data: r.data_utf8,
  }));
}

describe('KPL vectors', () => {
  it('has the five vectors, one of them plain', () => {
    expect(fixture.vectors.map((v) => v.name)).toEqual([
      'kpl_generated_rec_with_ehks',
      'kpl_generated_rec_no_ehks',
      'kpl_generated_ka_rec',
      'kpl_generated_ka_non_agg_rec',
      'java_SampleLambdaEvent',
    ]);
    expect(fixture.vectors.filter((v) => !v.aggregated).map((v) => v.name)).toEqual([
      'kpl_generated_ka_non_agg_rec',
    ]);
  });

  it.each(fixture.vectors.map((v) => [v.name, v] as const))(
    '%s deaggregates to its expected records',
    (_n, v) => {
      const data = Buffer.from(v.data_base64, 'base64');
      expect(data.toString('hex')).toBe(v.data_hex);
      const expected = expectedRecords(v);
      const arrival = new Date('2019-07-08T16:07:54.896Z');
      const records = deaggregate({
        data,
        partitionKey: v.outer_partition_key,
        sequenceNumber: v.outer_sequence_number,
        shardId: 'shardId-000000000000',
        approximateArrivalTimestamp: arrival,
      });
      expect(
        records.map((r) => ({
          partitionKey: r.partitionKey,
          explicitHashKey: r.explicitHashKey ?? null,
          data: text(r.data),
        })),
      ).toEqual(expected);
      records.forEach((r, i) => {
        expect(r.sequenceNumber).toBe(v.outer_sequence_number);
        expect(r.subSequenceNumber).toBe(v.aggregated ? i : 0);
        expect(r.aggregated).toBe(v.aggregated);
        expect(r.shardId).toBe('shardId-000000000000');
        expect(r.approximateArrivalTimestamp).toBe(arrival);
      });
      expect(hasAggregateMagic(data)).toBe(v.aggregated);
      if (v.aggregated) {
        expect(records.length).toBe(expected.length);
        expect(records.length).toBeGreaterThan(1);
      } else {
        // Passed through untouched: the very same bytes, the outer key.
        expect(records).toHaveLength(1);
        expect(records[0]!.data).toBe(data);
        expect(records[0]!.partitionKey).toBe(v.outer_partition_key);
      }
    },
  );

  it.each(fixture.vectors.filter((v) => v.aggregated).map((v) => [v.name, v] as const))(
    '%s re-encodes byte for byte (same tables, same field order as the KPL)',
    (_n, v) => {
      const data = Buffer.from(v.data_base64, 'base64');
      const decoded = decodeAggregate(data);
      expect(Buffer.from(encodeAggregate(decoded)).equals(data)).toBe(true);
    },
  );

  it('decodes to zero-copy views of the input', () => {
    const v = fixture.vectors[0]!;
    const data = Buffer.from(v.data_base64, 'base64');
    for (const r of decodeAggregate(data)) {
      expect(r.data.buffer).toBe(data.buffer);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// decodeAggregate: strict

describe('decodeAggregate', () => {
  const good = body(['k'], ['5'], [{ pk: 0, ehk: 0, data: Buffer.from('hello') }]);

  it('decodes a hand-written aggregate', () => {
    expect(normalize(decodeAggregate(frame(good)))).toEqual([
      { partitionKey: 'k', explicitHashKey: '5', data: 'hello' },
    ]);
  });

  it('rejects short input and a wrong magic', () => {
    expect(reasonOf(() => decodeAggregate(new Uint8Array(0)))).toBe('too-short');
    expect(reasonOf(() => decodeAggregate(new Uint8Array(20)))).toBe('too-short');
    expect(reasonOf(() => decodeAggregate(Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2])))).toBe('too-short');
    const wrong = frame(good);
    wrong[3] = 0xc3;
    expect(reasonOf(() => decodeAggregate(wrong))).toBe('bad-magic');
    expect(reasonOf(() => decodeAggregate('nope' as unknown as Uint8Array))).toBe('not-bytes');
  });

  it('rejects an MD5 mismatch, in the digest or in the message', () => {
    const badDigest = frame(good);
    badDigest[badDigest.length - 1]! ^= 0x01;
    expect(reasonOf(() => decodeAggregate(badDigest))).toBe('digest-mismatch');
    const badBody = frame(good);
    badBody[8]! ^= 0x40;
    expect(reasonOf(() => decodeAggregate(badBody))).toBe('digest-mismatch');
  });

  it('rejects a truncated message even with a matching digest, and says why in the cause', () => {
    for (let cut = 1; cut < good.length; cut++) {
      const truncated = good.subarray(0, cut);
      let error: unknown;
      try {
        decodeAggregate(frame(truncated));
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${cut}`).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe(ErrorCode.INVALID_AGGREGATE);
    }
    // Cutting inside the data field: the parser's own error is kept as the cause.
    try {
      decodeAggregate(frame(good.subarray(0, good.length - 2)));
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).cause).toBeInstanceOf(Error);
    }
  });

  it('rejects a record whose declared length overruns it', () => {
    // pk table ['k'], then a record declared as 3 bytes that holds a 5-byte data field.
    const raw = Uint8Array.from([0x0a, 0x01, 0x6b, 0x1a, 0x03, 0x08, 0x00, 0x1a, 0x01, 0x41]);
    expect(reasonOf(() => decodeAggregate(frame(raw)))).toMatch(/malformed-message|corrupt-protobuf/);
  });

  it('rejects out-of-range table indexes', () => {
    const pkOut = body(['k'], [], [{ pk: 1, data: Buffer.from('x') }]);
    expect(reasonOf(() => decodeAggregate(frame(pkOut)))).toBe('index-out-of-range');
    const ehkOut = body(['k'], ['1'], [{ pk: 0, ehk: 1, data: Buffer.from('x') }]);
    expect(reasonOf(() => decodeAggregate(frame(ehkOut)))).toBe('index-out-of-range');
    const noEhkTable = body(['k'], [], [{ pk: 0, ehk: 0, data: Buffer.from('x') }]);
    expect(reasonOf(() => decodeAggregate(frame(noEhkTable)))).toBe('index-out-of-range');
    // A 64-bit index far beyond any table (and beyond 2^53).
    const huge = body(
      ['k'],
      [],
      [
        { pk: 0, data: Buffer.from('x') },
        { pk: 2 ** 60, data: Buffer.from('y') },
      ],
    );
    expect(reasonOf(() => decodeAggregate(frame(huge)))).toBe('index-out-of-range');
    // 2^32 must not wrap around to index 0.
    const wrap = body(['k'], [], [{ pk: 2 ** 32, data: Buffer.from('y') }]);
    expect(reasonOf(() => decodeAggregate(frame(wrap)))).toBe('index-out-of-range');
  });

  it('rejects records missing a required field', () => {
    expect(reasonOf(() => decodeAggregate(frame(body(['k'], [], [{ data: Buffer.from('x') }]))))).toBe(
      'malformed-message',
    );
    expect(reasonOf(() => decodeAggregate(frame(body(['k'], [], [{ pk: 0 }]))))).toBe('malformed-message');
  });

  it('rejects an aggregate without records', () => {
    expect(reasonOf(() => decodeAggregate(frame(body(['k'], ['1'], []))))).toBe('no-records');
  });

  it('rejects an explicit hash key table entry Kinesis would not accept', () => {
    for (const ehk of ['abc', '-1', '01', '340282366920938463463374607431768211456']) {
      const b = body(['k'], [ehk], [{ pk: 0, data: Buffer.from('x') }]);
      expect(reasonOf(() => decodeAggregate(frame(b)))).toBe('bad-explicit-hash-key');
    }
  });

  it('accepts empty data, tags, and unknown fields (skipped as protobuf parsers do)', () => {
    const b = body(
      ['k', 'j'],
      [],
      [
        { pk: 1, data: new Uint8Array(0) },
        {
          pk: 0,
          data: Buffer.from('tagged'),
          extra: (w) => {
            w.tag(4, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('key');
            w.tag(2, WireType.LengthDelimited).string('value').join();
            w.tag(9, WireType.Varint).uint32(7);
          },
        },
      ],
    );
    const withUnknown = Buffer.concat([b, Uint8Array.from([0x78, 0x01])]); // field 15, varint 1
    expect(normalize(decodeAggregate(frame(withUnknown)))).toEqual([
      { partitionKey: 'j', explicitHashKey: undefined, data: '' },
      { partitionKey: 'k', explicitHashKey: undefined, data: 'tagged' },
    ]);
  });

  it('rejects a tag without its required key', () => {
    const b = body(
      ['k'],
      [],
      [
        {
          pk: 0,
          data: Buffer.from('x'),
          extra: (w) =>
            w.tag(4, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string('v').join(),
        },
      ],
    );
    expect(reasonOf(() => decodeAggregate(frame(b)))).toBe('malformed-message');
  });

  it('resolves tables that come after the records on the wire', () => {
    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Varint).uint32(0).tag(3, WireType.LengthDelimited).bytes(Buffer.from('late'));
    w.join();
    w.tag(1, WireType.LengthDelimited).string('pk-late');
    expect(normalize(decodeAggregate(frame(w.finish())))).toEqual([
      { partitionKey: 'pk-late', explicitHashKey: undefined, data: 'late' },
    ]);
  });

  it('never throws anything but INVALID_AGGREGATE on random, truncated or mutated input', () => {
    const rand = prng(20261125);
    const check = (input: Uint8Array): void => {
      try {
        const records = decodeAggregate(input);
        for (const r of records) {
          expect(typeof r.partitionKey).toBe('string');
          expect(r.data).toBeInstanceOf(Uint8Array);
        }
      } catch (error) {
        if (!(error instanceof ValidationError) || error.code !== ErrorCode.INVALID_AGGREGATE) throw error;
      }
    };
    const valid = encodeAggregate(
      Array.from({ length: 20 }, (_, i) => ({
        partitionKey: `key-${i % 7}`,
        explicitHashKey: i % 3 === 0 ? String(i * 1000) : undefined,
        data: randomBytes(rand, Math.floor(rand() * 300)),
      })),
    );
    const validBody = valid.subarray(4, valid.length - 16);
    // Every truncation of a valid aggregate (bad digest) and of its body (good digest).
    for (let cut = 0; cut < valid.length; cut++) check(valid.subarray(0, cut));
    for (let cut = 0; cut < validBody.length; cut++) check(frame(validBody.subarray(0, cut)));
    for (let i = 0; i < 3000; i++) {
      // Random bodies with a correct digest, so they reach the protobuf parser.
      check(frame(randomBytes(rand, Math.floor(rand() * 64))));
      // Valid bodies with random byte flips, re-framed with a correct digest.
      const mutated = Uint8Array.from(validBody);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      check(frame(mutated));
      // Random bytes behind the magic, digest almost certainly wrong.
      check(Buffer.concat([KPL_MAGIC, randomBytes(rand, Math.floor(rand() * 80))]));
    }
    // Pathological structures: deep groups, huge lengths, overlong varints.
    check(frame(Uint8Array.from(new Array(400).fill(0x0b)))); // nested start-group tags
    check(frame(Uint8Array.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f]))); // 4 GiB record length
    check(frame(Uint8Array.from([0x1a, 0x02, 0x08, 0xff]))); // varint cut by its record end
    check(frame(Uint8Array.from([0x08, ...new Array(11).fill(0xff), 0x01]))); // 12-byte varint
    check(frame(Uint8Array.from([0x0f]))); // wire type 7
  });
});

// ---------------------------------------------------------------------------------------------
// deaggregate: KCL semantics

describe('deaggregate', () => {
  it('passes a plain record through with all its fields', () => {
    const data = Buffer.from('{"plain":true}');
    const raw = outer(data, { explicitHashKey: '42' });
    expect(deaggregate(raw)).toEqual([
      {
        data,
        partitionKey: 'outer-key',
        sequenceNumber: raw.sequenceNumber,
        subSequenceNumber: 0,
        explicitHashKey: '42',
        shardId: 'shardId-000000000001',
        approximateArrivalTimestamp: raw.approximateArrivalTimestamp,
        aggregated: false,
        encryptionType: 'KMS',
      },
    ]);
  });

  it('passes empty data and data shorter than an aggregate through', () => {
    for (const data of [new Uint8Array(0), KPL_MAGIC, Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, 1, 2])]) {
      const out = deaggregate(outer(data));
      expect(out).toHaveLength(1);
      expect(out[0]!.data).toBe(data);
      expect(out[0]!.aggregated).toBe(false);
    }
  });

  it('unpacks an aggregate with the outer sequence number and inner keys', () => {
    const data = encodeAggregate([
      { partitionKey: 'a', data: 'one' },
      { partitionKey: 'b', explicitHashKey: '99', data: 'two' },
      { partitionKey: 'a', data: Buffer.from('three') },
    ]);
    const raw = outer(data);
    const out = deaggregate(raw);
    expect(out.map((r) => [r.partitionKey, r.explicitHashKey, text(r.data), r.subSequenceNumber])).toEqual([
      ['a', undefined, 'one', 0],
      ['b', '99', 'two', 1],
      ['a', undefined, 'three', 2],
    ]);
    for (const r of out) {
      expect(r).toMatchObject({
        sequenceNumber: raw.sequenceNumber,
        shardId: raw.shardId,
        approximateArrivalTimestamp: raw.approximateArrivalTimestamp,
        aggregated: true,
        encryptionType: 'KMS',
      });
    }
  });

  it('passes a record that fails a check through unchanged and reports it', () => {
    const data = Uint8Array.from(encodeAggregate([{ partitionKey: 'a', data: 'x' }]));
    data[data.length - 1]! ^= 0xff;
    const onInvalidAggregate = vi.fn();
    const raw = outer(data);
    const out = deaggregate(raw, { onInvalidAggregate });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      data,
      partitionKey: 'outer-key',
      subSequenceNumber: 0,
      aggregated: false,
    });
    expect(onInvalidAggregate).toHaveBeenCalledTimes(1);
    const [error, record] = onInvalidAggregate.mock.calls[0]!;
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).context.reason).toBe('digest-mismatch');
    expect(record).toBe(raw);
  });

  it('passes corrupt and truncated aggregates through as one plain record each', () => {
    const valid = encodeAggregate([
      { partitionKey: 'a', data: 'one' },
      { partitionKey: 'b', data: 'two' },
    ]);
    for (let cut = 0; cut < valid.length; cut++) {
      const data = valid.subarray(0, cut);
      const out = deaggregate(outer(data));
      expect(out).toHaveLength(1);
      expect(out[0]!.data).toBe(data);
      expect(out[0]!.aggregated).toBe(false);
    }
    const badIndex = frame(body(['k'], [], [{ pk: 3, data: Buffer.from('x') }]));
    expect(deaggregate(outer(badIndex)).map((r) => [r.aggregated, r.data])).toEqual([[false, badIndex]]);
  });
});

// ---------------------------------------------------------------------------------------------
// encodeAggregate

describe('encodeAggregate', () => {
  it('round-trips random batches', () => {
    const rand = prng(7);
    for (let batch = 0; batch < 200; batch++) {
      const n = 1 + Math.floor(rand() * 40);
      const keys = Math.max(1, Math.floor(rand() * n));
      const records: AggregateInputRecord[] = Array.from({ length: n }, (_, i) => {
        const k = Math.floor(rand() * keys);
        const useEhk = rand() < 0.4;
        const asString = rand() < 0.3;
        const bytes = randomBytes(rand, Math.floor(rand() * 200));
        return {
          partitionKey: k % 5 === 0 ? `ключ-${k}-🔑` : `key-${k}`,
          explicitHashKey: useEhk ? String(BigInt(Math.floor(rand() * 1e9)) * 10n ** 29n) : undefined,
          data: asString ? `text ${i} ${Buffer.from(bytes).toString('base64')}` : bytes,
        };
      });
      const data = encodeAggregate(records);
      expect(hasAggregateMagic(data)).toBe(true);
      const decoded = decodeAggregate(data);
      expect(decoded.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual(
        records.map((r) => [r.partitionKey, r.explicitHashKey]),
      );
      decoded.forEach((r, i) => {
        const input = records[i]!.data;
        expect(
          Buffer.from(r.data).equals(typeof input === 'string' ? Buffer.from(input, 'utf8') : input),
        ).toBe(true);
      });
    }
  });

  it('stores each distinct key once', () => {
    const data = encodeAggregate(
      Array.from({ length: 50 }, (_, i) => ({
        partitionKey: 'same-key',
        explicitHashKey: '12345',
        data: `${i}`,
      })),
    );
    const raw = Buffer.from(data).toString('latin1');
    expect(raw.split('same-key').length - 1).toBe(1);
    expect(raw.split('12345').length - 1).toBe(1);
  });

  it('validates its input', () => {
    const code = (records: AggregateInputRecord[]): string | undefined => {
      try {
        encodeAggregate(records);
      } catch (error) {
        return (error as ValidationError).code;
      }
      return undefined;
    };
    expect(code([])).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code([{ partitionKey: '', data: 'x' }])).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(code([{ partitionKey: 'k'.repeat(257), data: 'x' }])).toBe(ErrorCode.INVALID_PARTITION_KEY);
    expect(code([{ partitionKey: 'k', explicitHashKey: '1e3', data: 'x' }])).toBe(
      ErrorCode.INVALID_EXPLICIT_HASH_KEY,
    );
    expect(code([{ partitionKey: 'k', data: 5 as unknown as string }])).toBe(ErrorCode.INVALID_ARGUMENT);
    try {
      encodeAggregate([
        { partitionKey: 'ok', data: 'x' },
        { partitionKey: '', data: 'y' },
      ]);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).context.index).toBe(1);
    }
  });
});
