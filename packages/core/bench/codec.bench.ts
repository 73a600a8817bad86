/**
 * KPL codec benchmark: the shipped `@bufbuild/protobuf/wire` codec against a hand-written one
 * (bench/handwritten-codec.ts) and against the `aws-kinesis-agg` npm package (protobufjs).
 *
 * Run: cd packages/core && npx tsx bench/codec.bench.ts      (about 40 s; 2 cores are enough)
 *
 * Decode is reported in MiB/s of aggregate bytes and user records/s; encode in user records/s.
 * Candidates are timed round-robin (7 rounds) and each figure is the median of its rounds.
 */

import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  type AggregateInputRecord,
  dataBytes,
  decodeAggregate,
  encodeAggregate,
  frameAggregate,
  KeyTable,
  validateAggregateInput,
} from '../src/aggregation.js';
import { AggregateBuilder } from '../src/aggregation-builder.js';
import {
  parseAggregatedRecord,
  serializeAggregatedRecord,
  type WireRecordInput,
} from '../src/aggregation-wire.js';
import { encodeFramedHandwritten, parseAggregatedRecordHandwritten } from './handwritten-codec.js';

const require = createRequire(import.meta.url);
const agg = require('aws-kinesis-agg') as {
  deaggregateSync(
    record: { partitionKey: string; sequenceNumber: string; data: string },
    computeChecksums: boolean,
    cb: (err: Error | null, records?: { data: string }[]) => void,
  ): void;
  RecordAggregator: new () => {
    addUserRecord(r: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
    checkIfUserRecordFits(r: { partitionKey: string; data: Buffer }): boolean;
    build(): { partitionKey: string; data: Buffer };
    length(): number;
  };
};
const aggCommon = require('aws-kinesis-agg/lib/common.js') as {
  AggregatedRecord: { decode(buf: Uint8Array): { records: unknown[] } };
};

// ---------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Calls per second of `fn` over about `ms` milliseconds. */
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

/**
 * Measures several candidates round-robin (warm-up, then 7 rounds of ~300 ms each), so that noise
 * from other processes hits all of them alike; returns the median calls per second of each.
 */
function measureAll(fns: readonly (() => void)[]): number[] {
  for (const fn of fns) rate(fn, 200);
  const rates = fns.map(() => [] as number[]);
  for (let round = 0; round < 7; round++) {
    fns.forEach((fn, i) => {
      rates[i]!.push(rate(fn, 300));
    });
  }
  return rates.map(median);
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

// ---------------------------------------------------------------------------------------------
// Data sets

interface DataSet {
  name: string;
  records: AggregateInputRecord[];
}

function makeRecords(
  count: number,
  size: number,
  keys: 'uuid' | number,
  ehk: boolean,
): AggregateInputRecord[] {
  const pool = typeof keys === 'number' ? Array.from({ length: keys }, (_, i) => `key-${i}`) : [];
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: keys === 'uuid' ? randomUUID() : pool[i % pool.length]!,
    explicitHashKey: ehk ? String(BigInt(i) * 10n ** 30n) : undefined,
    data: Buffer.from(
      createHash('sha512')
        .update(String(i))
        .digest('hex')
        .repeat(Math.ceil(size / 128))
        .slice(0, size),
    ),
  }));
}

const dataSets: DataSet[] = [
  { name: '100 B records, UUID keys', records: makeRecords(4000, 100, 'uuid', false) },
  { name: '100 B records, 10 keys + EHKs', records: makeRecords(4000, 100, 10, true) },
  { name: '1 KiB records, 10 keys', records: makeRecords(1000, 1024, 10, false) },
];

/** Fills 50 KiB aggregates with the builder (the shipped path). */
function toAggregates(records: readonly AggregateInputRecord[]): Uint8Array[] {
  const builder = new AggregateBuilder();
  const out: Uint8Array[] = [];
  for (const r of records) {
    if (!builder.tryAdd(r)) {
      out.push(builder.build().data);
      builder.reset();
      builder.tryAdd(r);
    }
  }
  if (builder.count > 0) out.push(builder.build().data);
  return out;
}

/** Same checks as decodeAggregate, with the hand-written parser (digest + parse + resolve). */
function decodeHandwritten(
  data: Uint8Array,
): { partitionKey: string; explicitHashKey?: string; data: Uint8Array }[] {
  const body = data.subarray(4, data.length - 16);
  const digest = createHash('md5').update(body).digest();
  for (let i = 0; i < 16; i++) if (digest[i] !== data[data.length - 16 + i]) throw new Error('digest');
  const m = parseAggregatedRecordHandwritten(body);
  return m.records.map((r) => {
    const partitionKey = m.partitionKeys[r.partitionKeyIndex];
    if (partitionKey === undefined) throw new Error('index');
    const explicitHashKey =
      r.explicitHashKeyIndex >= 0 ? m.explicitHashKeys[r.explicitHashKeyIndex] : undefined;
    return { partitionKey, explicitHashKey, data: r.data };
  });
}

function prepare(records: readonly AggregateInputRecord[]) {
  const pks = new KeyTable();
  const ehks = new KeyTable();
  const entries: WireRecordInput[] = records.map((r) => {
    validateAggregateInput(r);
    return {
      partitionKeyIndex: pks.add(r.partitionKey),
      explicitHashKeyIndex: r.explicitHashKey === undefined ? -1 : ehks.add(r.explicitHashKey),
      data: dataBytes(r.data),
    };
  });
  return { pks: pks.keys, ehks: ehks.keys, entries };
}

// ---------------------------------------------------------------------------------------------

console.log(`node ${process.version}, ${process.arch}; median of 7 interleaved rounds\n`);

for (const set of dataSets) {
  const aggregates = toAggregates(set.records);
  const totalBytes = aggregates.reduce((n, a) => n + a.length, 0);
  const userRecords = set.records.length;
  const base64 = aggregates.map((a) => Buffer.from(a).toString('base64'));
  const batches: AggregateInputRecord[][] = [];
  {
    let i = 0;
    for (const a of aggregates) {
      const n = decodeAggregate(a).length;
      batches.push(set.records.slice(i, i + n));
      i += n;
    }
  }

  // Equivalence: both codecs decode and encode the same bytes.
  aggregates.forEach((a, k) => {
    const lib = decodeAggregate(a);
    const hand = decodeHandwritten(a);
    if (
      JSON.stringify(lib.map((r) => [r.partitionKey, r.explicitHashKey, r.data.length])) !==
      JSON.stringify(hand.map((r) => [r.partitionKey, r.explicitHashKey, r.data.length]))
    ) {
      throw new Error('decoders disagree');
    }
    const p = prepare(batches[k]!);
    if (!Buffer.from(encodeFramedHandwritten(p.pks, p.ehks, p.entries)).equals(a))
      throw new Error('encoders disagree');
  });

  console.log(
    `## ${set.name}: ${userRecords} records in ${aggregates.length} aggregates, ${(totalBytes / 1024).toFixed(0)} KiB`,
  );
  const decodeRows: [string, () => void][] = [];
  const decodeRow = (label: string, fn: () => void) => decodeRows.push([label, fn]);
  decodeRow('bufbuild wire (shipped) decodeAggregate', () => {
    for (const a of aggregates) decodeAggregate(a);
  });
  decodeRow('hand-written digest+parse+resolve', () => {
    for (const a of aggregates) decodeHandwritten(a);
  });
  decodeRow('bufbuild wire parse only (no MD5)', () => {
    for (const a of aggregates) parseAggregatedRecord(a.subarray(4, a.length - 16));
  });
  decodeRow('hand-written parse only (no MD5)', () => {
    for (const a of aggregates) parseAggregatedRecordHandwritten(a.subarray(4, a.length - 16));
  });
  decodeRow('protobufjs (aws-kinesis-agg) parse only', () => {
    for (const a of aggregates) aggCommon.AggregatedRecord.decode(a.subarray(4, a.length - 16));
  });
  decodeRow('MD5 only', () => {
    for (const a of aggregates)
      createHash('md5')
        .update(a.subarray(4, a.length - 16))
        .digest();
  });
  decodeRow('aws-kinesis-agg deaggregateSync (base64 I/O)', () => {
    for (const b of base64) {
      agg.deaggregateSync({ partitionKey: 'a', sequenceNumber: '1', data: b }, true, (err) => {
        if (err) throw err;
      });
    }
  });

  measureAll(decodeRows.map(([, fn]) => fn)).forEach((perSec, i) => {
    console.log(
      `decode  ${decodeRows[i]![0].padEnd(44)} ${fmt((perSec * totalBytes) / 2 ** 20).padStart(8)} MiB/s ${fmt(perSec * userRecords).padStart(12)} records/s`,
    );
  });
  const encodeRows: [string, () => void][] = [];
  const encodeRow = (label: string, fn: () => void) => encodeRows.push([label, fn]);
  const prepared = batches.map(prepare);
  encodeRow('bufbuild wire serialize+frame (tables ready)', () => {
    for (const p of prepared) frameAggregate(serializeAggregatedRecord(p.pks, p.ehks, p.entries));
  });
  encodeRow('hand-written serialize+frame (tables ready)', () => {
    for (const p of prepared) encodeFramedHandwritten(p.pks, p.ehks, p.entries);
  });
  encodeRow('encodeAggregate (shipped, validates)', () => {
    for (const b of batches) encodeAggregate(b);
  });
  encodeRow('AggregateBuilder tryAdd+build (shipped)', () => {
    toAggregates(set.records);
  });
  encodeRow('aws-kinesis-agg RecordAggregator add+build', () => {
    const ra = new agg.RecordAggregator();
    for (const b of batches) {
      for (const r of b) {
        ra.addUserRecord({
          partitionKey: r.partitionKey,
          explicitHashKey: r.explicitHashKey,
          data: r.data as Buffer,
        });
      }
      ra.build();
    }
  });
  measureAll(encodeRows.map(([, fn]) => fn)).forEach((perSec, i) => {
    console.log(
      `encode  ${encodeRows[i]![0].padEnd(44)} ${fmt(perSec * userRecords).padStart(12)} records/s`,
    );
  });
  console.log('');
}
