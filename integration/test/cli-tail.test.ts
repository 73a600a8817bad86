import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@kinesis-ts/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../src/clients.js';
import { readAllRecords } from '../src/read-all-records.js';
import { createStream, deleteStream } from '../src/streams.js';
import { runKinesisTs, runKinesisTsJson, startKinesisTs } from './cli-helpers.js';

interface TailLine {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  aggregated: boolean;
  data: string | null;
  dataBase64: string;
}

const COUNT = 600;

describe('kinesis-ts tail (built binary) on a KPL-aggregated stream', () => {
  let kinesis: KinesisClient;
  let stream: string;
  const keys = Array.from({ length: COUNT }, (_, i) => `rec-${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    kinesis = kinesisClient();
    stream = await createStream(kinesis, { shardCount: 2 });
    const producer = new KinesisProducer({
      streamName: stream,
      runner: 'inline',
      aggregation: true,
      bufferTime: 50,
      clientConfig: { endpoint: process.env.AWS_ENDPOINT_URL_KINESIS },
    });
    try {
      // 20 partition keys: many user records share an aggregate.
      await Promise.all(keys.map((key, i) => producer.put(key, { partitionKey: `pk-${i % 20}` })));
    } finally {
      await producer.close();
    }
  }, 60_000);
  afterAll(async () => {
    await deleteStream(kinesis, stream);
    kinesis.destroy();
  });

  it('prints every user record of the aggregates with shard, partition key and (sequence, sub-sequence)', async () => {
    const raw = await readAllRecords(kinesis, stream);
    // The stream really holds aggregates: far fewer Kinesis records than user records.
    expect(raw.length).toBeLessThan(COUNT / 5);

    const lines = await runKinesisTsJson<TailLine>(
      ['tail', stream, '--from', 'trim-horizon', '--max', String(COUNT)],
      {
        timeoutMs: 30_000,
      },
    );
    expect(lines).toHaveLength(COUNT);
    expect(lines.map((l) => l.data).sort()).toEqual(keys);
    expect(lines.every((l) => l.aggregated)).toBe(true);
    const byKey = new Map(lines.map((l) => [l.data, l]));
    expect(byKey.get('rec-0007')?.partitionKey).toBe('pk-7');
    // Positions are unique and sub-sequence numbers count up inside an aggregate.
    expect(new Set(lines.map((l) => `${l.sequenceNumber}/${l.subSequenceNumber}`)).size).toBe(COUNT);
    expect(new Set(lines.map((l) => l.sequenceNumber)).size).toBe(raw.length);
    expect(Math.max(...lines.map((l) => l.subSequenceNumber))).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.shardId))).toEqual(new Set(raw.map((r) => r.shardId)));
  });

  it('resumes after a position inside an aggregate, prints text and hex, and stops at --max', async () => {
    const all = await runKinesisTsJson<TailLine>([
      'tail',
      stream,
      '--from',
      'trim-horizon',
      '--max',
      String(COUNT),
    ]);
    const shard = all[0]?.shardId as string;
    const inShard = all.filter((l) => l.shardId === shard);
    const pivot = inShard.find((l) => l.subSequenceNumber === 1) as TailLine;
    const index = inShard.indexOf(pivot);
    const after = await runKinesisTsJson<TailLine>([
      'tail',
      stream,
      '--shard',
      shard,
      '--after',
      `${pivot.sequenceNumber}/${pivot.subSequenceNumber}`,
      '--max',
      '3',
    ]);
    expect(after.map((l) => l.data)).toEqual(inShard.slice(index + 1, index + 4).map((l) => l.data));

    const text = await runKinesisTs(['tail', stream, '--shard', shard, '--from', 'trim-horizon', '-n', '2']);
    expect(text.code).toBe(0);
    const textLines = text.stdout.trim().split('\n');
    expect(textLines).toEqual(
      inShard
        .slice(0, 2)
        .map(
          (l) =>
            `${shard} ${l.sequenceNumber}/${l.subSequenceNumber} key=${JSON.stringify(l.partitionKey)} ${l.data}`,
        ),
    );
    const hex = await runKinesisTs([
      'tail',
      stream,
      '--shard',
      shard,
      '--from',
      'trim-horizon',
      '-n',
      '1',
      '-f',
      'hex',
    ]);
    expect(hex.stdout.trim().endsWith(` ${Buffer.from(inShard[0]?.data ?? '').toString('hex')}`)).toBe(true);
  });

  it('follows new records from LATEST (none of the older ones) until Ctrl-C, then exits 0', async () => {
    const tail = startKinesisTs(['tail', stream, '--json', '--poll-ms', '200'], { timeoutMs: 40_000 });
    const producer = new KinesisProducer({
      streamName: stream,
      runner: 'inline',
      aggregation: true,
      bufferTime: 20,
      clientConfig: { endpoint: process.env.AWS_ENDPOINT_URL_KINESIS },
    });
    const put: string[] = [];
    const printed = () =>
      tail
        .stdout()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as TailLine).data);
    try {
      // Records keep coming until the tail (which starts at the tip, whenever it gets there) shows 3.
      const deadline = Date.now() + 25_000;
      while (printed().length < 3 && Date.now() < deadline) {
        const key = `late-${put.length}`;
        put.push(key);
        await producer.put(key);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await producer.close();
    }
    tail.interrupt();
    const run = await tail.done;
    expect(run.code).toBe(0);
    const seen = printed();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((key) => key !== null && put.includes(key))).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
  }, 45_000);
});
