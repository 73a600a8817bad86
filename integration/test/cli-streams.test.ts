import { type KinesisClient, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream, waitStreamActive } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { runKinesisTs, runKinesisTsJson } from './cli-helpers.js';

interface Described {
  streamName: string;
  status: string;
  retentionHours: number;
  openShards: number;
  closedShards: number;
  shards: Array<{
    shardId: string;
    state: 'open' | 'closed';
    parentShardIds: string[];
    startingHashKey: string;
    endingHashKey: string;
  }>;
}

describe('kinesis-ts streams (built binary)', () => {
  let kinesis: KinesisClient;
  let stream: string;

  beforeAll(async () => {
    kinesis = kinesisClient();
    stream = await createStream(kinesis, { shardCount: 3 });
  });
  afterAll(async () => {
    await deleteStream(kinesis, stream);
    kinesis.destroy();
  });

  it('describes a stream: 3 open shards whose hash ranges cover the key space without gaps', async () => {
    const [described] = await runKinesisTsJson<Described>(['streams', 'describe', stream]);
    expect(described?.streamName).toBe(stream);
    expect(described?.status).toBe('ACTIVE');
    expect(described?.retentionHours).toBe(24);
    expect(described?.openShards).toBe(3);
    const shards = described?.shards ?? [];
    expect(shards.map((s) => s.state)).toEqual(['open', 'open', 'open']);
    expect(BigInt(shards[0]?.startingHashKey ?? -1)).toBe(0n);
    for (let i = 1; i < shards.length; i++) {
      expect(BigInt(shards[i]?.startingHashKey ?? -1)).toBe(BigInt(shards[i - 1]?.endingHashKey ?? -1) + 1n);
    }
    expect(BigInt(shards.at(-1)?.endingHashKey ?? -1)).toBe(2n ** 128n - 1n);

    const text = await runKinesisTs(['streams', 'describe', stream]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('3 open, 0 closed');
    expect(text.stdout).toMatch(/shardId-000000000002\s+open\s+-\s+33\.3%/);
    // NO_COLOR is set and stdout is a pipe: no escape sequences.
    expect(text.stdout).not.toContain('\u001b[');
  });

  it('shows a split: the parent closed, two open children naming it', async () => {
    const split = await createStream(kinesis, { shardCount: 1, name: uniqueName('cli-split') });
    try {
      await kinesis.send(
        new SplitShardCommand({
          StreamName: split,
          ShardToSplit: 'shardId-000000000000',
          NewStartingHashKey: (2n ** 127n).toString(),
        }),
      );
      await waitStreamActive(kinesis, split);
      const [described] = await runKinesisTsJson<Described>(['streams', 'describe', split]);
      expect(described?.openShards).toBe(2);
      expect(described?.closedShards).toBe(1);
      const closed = described?.shards.filter((s) => s.state === 'closed') ?? [];
      const open = described?.shards.filter((s) => s.state === 'open') ?? [];
      expect(closed.map((s) => s.shardId)).toEqual(['shardId-000000000000']);
      expect(open.map((s) => s.parentShardIds)).toEqual([['shardId-000000000000'], ['shardId-000000000000']]);
      expect(open[1]?.startingHashKey).toBe((2n ** 127n).toString());
      const listed = await runKinesisTsJson<{ streams: Array<{ name: string }> }>(['streams', 'list']);
      expect(listed[0]?.streams.map((s) => s.name)).toEqual(expect.arrayContaining([stream, split]));
    } finally {
      await deleteStream(kinesis, split);
    }
  });

  it('names an unknown stream, where it looked and what to do, with exit 1', async () => {
    const run = await runKinesisTs(['streams', 'describe', 'no-such-stream-cli']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error: stream "no-such-stream-cli" not found (region ');
    expect(run.stderr).toContain(`endpoint ${process.env.AWS_ENDPOINT_URL_KINESIS}`);
    expect(run.stderr).toContain('hint: check the name and region: `kinesis-ts streams list`');
  });
});
