/**
 * codec: KPL aggregate decode (MiB/s of aggregate bytes) and encode (user records/s) of
 * `@kinesis-ts/core` against the `aws-kinesis-agg` package on the same records. The same approach
 * as packages/core/bench/codec.bench.ts (which also compares hand-written codecs), on public APIs only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  AggregateBuilder,
  type AggregateInputRecord,
  deaggregate,
  type RawKinesisRecord,
} from '@kinesis-ts/core';
import { median } from './lib/measure.js';
import type { BenchResult, Side } from './lib/result.js';

const require = createRequire(import.meta.url);
const agg = require('aws-kinesis-agg') as {
  deaggregateSync(
    record: { partitionKey: string; sequenceNumber: string; data: string },
    computeChecksums: boolean,
    cb: (err: Error | null, records?: { data: string }[]) => void,
  ): void;
  RecordAggregator: new () => {
    addUserRecord(r: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
    build(): { partitionKey: string; data: Buffer };
    length(): number;
  };
};

export interface CodecOptions {
  /** Timed rounds per candidate (median reported). */
  readonly rounds: number;
  /** Milliseconds per round. */
  readonly roundMs: number;
}

/** Calls per second of `fn` over about `ms`. */
function rate(fn: () => void, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    calls++;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/** Round-robin rounds, so machine noise hits every candidate alike; median calls/s of each. */
function measureAll(fns: readonly (() => void)[], options: CodecOptions): number[] {
  for (const fn of fns) rate(fn, 100);
  const rates = fns.map(() => [] as number[]);
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < fns.length; i++) rates[i]!.push(rate(fns[i]!, options.roundMs));
  }
  return rates.map(median);
}

function makeRecords(count: number, size: number, keys: 'uuid' | number): AggregateInputRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: keys === 'uuid' ? randomUUID() : `key-${i % keys}`,
    data: Buffer.from(
      createHash('sha512')
        .update(String(i))
        .digest('hex')
        .repeat(Math.ceil(size / 128))
        .slice(0, size),
    ),
  }));
}

interface DataSet {
  readonly name: string;
  readonly records: AggregateInputRecord[];
}

/** Packs records into 50 KiB aggregates with the library (the producer's path); returns each aggregate's records too. */
function aggregates(
  records: readonly AggregateInputRecord[],
): { data: Uint8Array; records: AggregateInputRecord[] }[] {
  const builder = new AggregateBuilder();
  const out: { data: Uint8Array; records: AggregateInputRecord[] }[] = [];
  let current: AggregateInputRecord[] = [];
  for (const r of records) {
    if (!builder.tryAdd(r)) {
      out.push({ data: builder.build().data, records: current });
      builder.reset();
      current = [];
      builder.tryAdd(r);
    }
    current.push(r);
  }
  if (builder.count > 0) out.push({ data: builder.build().data, records: current });
  return out;
}

export function codec(options: CodecOptions): BenchResult {
  const started = performance.now();
  const sets: DataSet[] = [
    { name: '100 B records, UUID keys', records: makeRecords(4000, 100, 'uuid') },
    { name: '1 KiB records, 10 keys', records: makeRecords(1000, 1024, 10) },
  ];
  const sides: Side[] = [];
  const ratios: Record<string, number> = {};
  const decodeRatios: number[] = [];
  const encodeRatios: number[] = [];
  for (const set of sets) {
    const built = aggregates(set.records);
    const bytes = built.reduce((n, a) => n + a.data.length, 0);
    const raw: RawKinesisRecord[] = built.map((a, i) => ({
      data: a.data,
      partitionKey: 'outer',
      sequenceNumber: String(i),
      shardId: 'shardId-000000000000',
      approximateArrivalTimestamp: new Date(0),
    }));
    // aws-kinesis-agg takes the Lambda event shape (base64 data): converted once, outside the timing.
    const base64 = built.map((a) => Buffer.from(a.data).toString('base64'));
    // Same input, same output: both decoders see the same records.
    for (let i = 0; i < built.length; i++) {
      let theirs = 0;
      agg.deaggregateSync(
        { partitionKey: 'outer', sequenceNumber: String(i), data: base64[i]! },
        true,
        (err, records) => {
          if (err) throw err;
          theirs = records?.length ?? 0;
        },
      );
      if (deaggregate(raw[i]!).length !== built[i]!.records.length || theirs !== built[i]!.records.length) {
        throw new Error('decoders disagree');
      }
    }
    const [ours, theirs, theirsWithBase64] = measureAll(
      [
        () => {
          for (const r of raw) deaggregate(r);
        },
        () => {
          for (let i = 0; i < base64.length; i++) {
            agg.deaggregateSync(
              { partitionKey: 'outer', sequenceNumber: '0', data: base64[i]! },
              true,
              (err) => {
                if (err) throw err;
              },
            );
          }
        },
        () => {
          // What a user of SDK v3 (which hands out bytes) has to do: convert to base64 first.
          for (const r of raw) {
            const data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64');
            agg.deaggregateSync({ partitionKey: 'outer', sequenceNumber: '0', data }, true, (err) => {
              if (err) throw err;
            });
          }
        },
      ],
      options,
    );
    const [oursEncode, theirsEncode] = measureAll(
      [
        () => void aggregates(set.records),
        () => {
          const aggregator = new agg.RecordAggregator();
          for (const a of built) {
            for (const r of a.records)
              aggregator.addUserRecord({ partitionKey: r.partitionKey, data: r.data as Buffer });
            aggregator.build();
          }
        },
      ],
      options,
    );
    const mib = bytes / 2 ** 20;
    const n = set.records.length;
    sides.push(
      {
        label: `kinesis-ts, ${set.name}`,
        kind: 'library',
        figures: {
          decodeMiBPerSecond: ours! * mib,
          decodeRecordsPerSecond: ours! * n,
          encodeRecordsPerSecond: oursEncode! * n,
        },
      },
      {
        label: `aws-kinesis-agg, ${set.name}`,
        kind: 'baseline',
        figures: {
          decodeMiBPerSecond: theirs! * mib,
          decodeRecordsPerSecond: theirs! * n,
          encodeRecordsPerSecond: theirsEncode! * n,
        },
      },
    );
    decodeRatios.push(ours! / theirs!);
    encodeRatios.push(oursEncode! / theirsEncode!);
    ratios[`decode, ${set.name}`] = ours! / theirs!;
    ratios[`encode, ${set.name}`] = oursEncode! / theirsEncode!;
    ratios[`decode, ${set.name}, aws-kinesis-agg including the base64 conversion SDK v3 bytes need`] =
      ours! / theirsWithBase64!;
  }
  const worst = Math.min(...decodeRatios, ...encodeRatios);
  return {
    name: 'codec',
    inputs: {
      dataSets: sets.map((s) => s.name),
      aggregateBytes: 51_200,
      rounds: options.rounds,
      roundMs: options.roundMs,
      decode:
        'kinesis-ts deaggregate(record) vs aws-kinesis-agg deaggregateSync(record, checksums on), base64 prepared outside the timing',
      encode:
        'kinesis-ts AggregateBuilder tryAdd+build vs aws-kinesis-agg RecordAggregator addUserRecord+build, same aggregate boundaries',
    },
    sides,
    ratio: Math.min(...decodeRatios),
    ratioNote: 'kinesis-ts ÷ aws-kinesis-agg, decode, the lower of the two data sets',
    ratios: { ...ratios, 'lowest of all four': worst },
    target: { text: 'codec ≥ 2 × aws-kinesis-agg (decode and encode)', met: worst >= 2 },
    notes: [
      'Medians of interleaved rounds in one process; absolute figures move with machine load, the ratios less so.',
      'packages/core/bench/codec.bench.ts has the wider comparison (hand-written codec, parse-only and MD5-only rows).',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  };
}
