import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../src/clients.js';
import { readAllRecords } from '../src/read-all-records.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream } from '../src/streams.js';
import { runKinesisTs, runKinesisTsJson } from './cli-helpers.js';

interface PutSummary {
  read: number;
  acknowledged: number;
  failed: number;
  badLines: number;
  elapsedMs: number;
}

describe('kinesis-ts put (built binary)', () => {
  let kinesis: KinesisClient;
  let stream: string;

  beforeAll(async () => {
    kinesis = kinesisClient();
    stream = await createStream(kinesis, { shardCount: 4 });
  });
  afterAll(async () => {
    await deleteStream(kinesis, stream);
    kinesis.destroy();
  });

  it('puts 10,000 lines from stdin: 10,000 records land, each once', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `line-${String(i).padStart(5, '0')}`);
    const [summary] = await runKinesisTsJson<PutSummary>(['put', stream], {
      input: `${lines.join('\n')}\n`,
      timeoutMs: 120_000,
    });
    expect(summary).toMatchObject({ read: 10_000, acknowledged: 10_000, failed: 0, badLines: 0 });
    const records = await readAllRecords(kinesis, stream);
    const delivered = records.map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString());
    const result = countDeliveries('cli put 10k lines', lines, delivered, {
      elapsedMs: summary?.elapsedMs ?? -1,
      shards: new Set(records.map((r) => r.shardId)).size,
    });
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.delivered).toBe(10_000);
    // Random partition keys spread the records over every shard.
    expect(new Set(records.map((r) => r.shardId)).size).toBe(4);
  }, 150_000);

  it('uses a JSON field as the partition key, and exits 1 counting lines it could not read', async () => {
    const input = [
      '{"user":"u-1","n":1}',
      '{"user":"u-2","n":2}',
      'not json',
      '{"n":3}',
      '{"user":"u-1","n":4}',
    ];
    const run = await runKinesisTs(['put', stream, '--key-field', 'user', '--json'], {
      input: input.join('\n'),
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ read: 3, acknowledged: 3, failed: 2, badLines: 2 });
    expect(run.stderr).toContain('line 3 is not JSON');
    expect(run.stderr).toContain('line 4 has no "user" field');
    const records = (await readAllRecords(kinesis, stream)).filter((r) => r.PartitionKey?.startsWith('u-'));
    expect(
      records.map((r) => [r.PartitionKey, Buffer.from(r.Data ?? new Uint8Array()).toString()]).sort(),
    ).toEqual([
      ['u-1', '{"user":"u-1","n":1}'],
      ['u-1', '{"user":"u-1","n":4}'],
      ['u-2', '{"user":"u-2","n":2}'],
    ]);
  });

  it('aggregates with --aggregate: few Kinesis records, every line back through tail', async () => {
    const aggregated = await createStream(kinesis, { shardCount: 1 });
    try {
      const lines = Array.from({ length: 300 }, (_, i) => `agg-${i}`);
      const [summary] = await runKinesisTsJson<PutSummary>(
        ['put', aggregated, '--aggregate', '--partition-key', 'p'],
        {
          input: lines.join('\n'),
        },
      );
      expect(summary).toMatchObject({ read: 300, acknowledged: 300, failed: 0 });
      expect((await readAllRecords(kinesis, aggregated)).length).toBeLessThan(300 / 5);
      const tailed = await runKinesisTsJson<{ data: string; partitionKey: string; aggregated: boolean }>([
        'tail',
        aggregated,
        '--from',
        'trim-horizon',
        '--max',
        '300',
      ]);
      expect(tailed.map((r) => r.data)).toEqual(lines);
      expect(tailed.every((r) => r.aggregated && r.partitionKey === 'p')).toBe(true);
    } finally {
      await deleteStream(kinesis, aggregated);
    }
  });

  it('fails with exit 1 and says so for a stream that does not exist', async () => {
    const run = await runKinesisTs(['put', 'no-such-stream-cli-put'], { input: 'a\nb\n' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no-such-stream-cli-put');
    expect(run.stderr).toContain('hint: check the name and region');
  });
});
