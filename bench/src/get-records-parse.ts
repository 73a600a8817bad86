/**
 * get-records-parse: what a GetRecords response costs the reader once its bytes arrived. The same
 * canned response (a Node stream, as the HTTP handler gives it) goes through `client.send` with the
 * SDK's deserializer and through `fastGetRecords` (the consumer's default), on one SDK client each
 * with a fake HTTP handler: request building, signing, retry and deserialization are all counted,
 * the network is not. Also the fast parser alone (`parseGetRecordsBody` on the bytes).
 */
import { Readable } from 'node:stream';
import { GetRecordsCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { fastGetRecords, packRecords, parseGetRecordsBody, unpackRecords } from '@kinesis-ts/consumer';
import type { KinesisRecord } from '@kinesis-ts/core';
import { CREDENTIALS, REGION } from './lib/emulators.js';
import { median } from './lib/measure.js';
import type { BenchResult, Side } from './lib/result.js';
import { payload } from './lib/stream.js';

export interface ParseOptions {
  /** Timed rounds per candidate (median reported). */
  readonly rounds: number;
  /** Milliseconds per round. */
  readonly roundMs: number;
}

interface DataSet {
  readonly name: string;
  readonly records: number;
  readonly body: Buffer;
}

function dataSet(records: number, size: number): DataSet {
  const data = payload(size).toString('base64');
  const body = Buffer.from(
    JSON.stringify({
      Records: Array.from({ length: records }, (_, i) => ({
        SequenceNumber: (49_590_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)).toString(),
        ApproximateArrivalTimestamp: 1_732_900_000.123 + i / 1000,
        Data: data,
        PartitionKey: `3f1c2a9e-7b4d-4e5f-8a6b-${String(i).padStart(12, '0')}`,
      })),
      NextShardIterator: 'AAAAAAAAAAE'.repeat(20),
      MillisBehindLatest: 1000,
    }),
  );
  return { name: `${records.toLocaleString('en-US')} records of ${size} B`, records, body };
}

function cannedClient(body: Buffer): KinesisClient {
  return new KinesisClient({
    region: REGION,
    credentials: CREDENTIALS,
    endpoint: 'http://127.0.0.1:1',
    requestHandler: {
      handle: async () => {
        // 64 KiB chunks, as a socket delivers a large body.
        const chunks: Buffer[] = [];
        for (let i = 0; i < body.length; i += 65_536) chunks.push(body.subarray(i, i + 65_536));
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: Readable.from(chunks),
          },
        };
      },
    } as never,
  });
}

/** Records/s and CPU µs per record of `call` over about `ms` (calls run back to back). */
async function round(call: () => Promise<number>, ms: number): Promise<{ rate: number; cpuUs: number }> {
  let records = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    records += await call();
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { rate: records / ((now - start) / 1000), cpuUs: (cpu.user + cpu.system) / records };
}

export async function getRecordsParse(options: ParseOptions): Promise<BenchResult> {
  const started = performance.now();
  const sets = [dataSet(10_000, 100), dataSet(1_000, 1024)];
  const sides: Side[] = [];
  const ratios: Record<string, number> = {};
  let headline: number | undefined;
  for (const set of sets) {
    const sdkClient = cannedClient(set.body);
    const fastClient = cannedClient(set.body);
    const input = { ShardIterator: 'iterator', Limit: 10_000 };
    const candidates: [string, Side['kind'], () => Promise<number>][] = [
      [
        'SDK deserializer (client.send)',
        'baseline',
        async () => (await sdkClient.send(new GetRecordsCommand(input))).Records!.length,
      ],
      [
        'fastGetRecords (client.send + fast parse)',
        'library',
        async () => (await fastGetRecords(fastClient, input)).Records!.length,
      ],
      ['parseGetRecordsBody alone', 'library', async () => parseGetRecordsBody(set.body)!.Records!.length],
    ];
    // Check before timing: both paths read every record.
    for (const [label, , call] of candidates) {
      const n = await call();
      if (n !== set.records) throw new Error(`${label}: ${n} of ${set.records} records`);
    }
    for (const [, , call] of candidates) await round(call, 200); // warm-up (JIT)
    const results = candidates.map(() => [] as { rate: number; cpuUs: number }[]);
    for (let r = 0; r < options.rounds; r++) {
      for (let i = 0; i < candidates.length; i++)
        results[i]!.push(await round(candidates[i]![2], options.roundMs));
    }
    const rates = results.map((rs) => median(rs.map((x) => x.rate)));
    const cpus = results.map((rs) => median(rs.map((x) => x.cpuUs)));
    for (let i = 0; i < candidates.length; i++) {
      sides.push({
        label: `${candidates[i]![0]}, ${set.name}`,
        kind: candidates[i]![1],
        figures: { recordsPerSecond: rates[i], cpuMicrosecondsPerRecord: cpus[i] },
      });
    }
    const ratio = rates[1]! / rates[0]!;
    ratios[`fast ÷ SDK records/s, ${set.name}`] = ratio;
    ratios[`SDK ÷ fast CPU per record, ${set.name}`] = cpus[0]! / cpus[1]!;
    headline ??= ratio;
    sdkClient.destroy();
    fastClient.destroy();
  }
  // The main process's per-record work for a packed batch (process and thread runners).
  for (const [arrivals, distinct] of [
    ['arrival times repeating (500 records per millisecond)', false],
    ['every arrival time distinct', true],
  ] as const) {
    const t0 = Date.now();
    const records: KinesisRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
      data: payload(100),
      partitionKey: `key-${i}`,
      sequenceNumber: (49_590_000_000_000_000_000_000_000_000_000n + BigInt(i)).toString(),
      subSequenceNumber: 0,
      shardId: 'shardId-000000000000',
      approximateArrivalTimestamp: new Date(t0 + (distinct ? i : Math.floor(i / 500))),
      aggregated: false,
    }));
    const packed = structuredClone(packRecords(records));
    const call = async () => unpackRecords(packed, 'shardId-000000000000').length;
    await round(call, 200);
    const rs: { rate: number; cpuUs: number }[] = [];
    for (let r = 0; r < options.rounds; r++) rs.push(await round(call, options.roundMs));
    sides.push({
      label: `unpackRecords, 10,000 records of 100 B, ${arrivals}`,
      kind: 'library',
      figures: {
        recordsPerSecond: median(rs.map((x) => x.rate)),
        cpuMicrosecondsPerRecord: median(rs.map((x) => x.cpuUs)),
      },
    });
  }
  return {
    name: 'get-records-parse',
    inputs: {
      ...options,
      response:
        'canned GetRecords body in 64 KiB chunks (no network); 36-character keys, 56-digit sequence numbers',
    },
    sides,
    ratio: headline,
    ratioNote: `fastGetRecords records/s ÷ SDK deserializer records/s (${sets[0]!.name})`,
    ratios,
    target: { text: 'none (diagnostic: the shard reader’s parse cost)', met: undefined },
    notes: [
      'One SDK client per path with a fake HTTP handler; request serialization, signing and the retry middleware run on both paths.',
      'Median of the rounds, candidates interleaved; CPU µs per record from process.cpuUsage over each round.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  };
}
