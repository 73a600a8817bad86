import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { ConsumerInstance } from '../fixtures/consumer-process.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { isProcessAlive } from '../src/process-check.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';
import { runKinesisTs, runKinesisTsJson } from './cli-helpers.js';

const FAILOVER_MS = 3000;

interface LeaseViewJson {
  leases: Array<{
    shardId: string;
    owner: string | null;
    leaseCounter: number;
    checkpoint: { sequenceNumber: string; subSequenceNumber: number } | null;
  }>;
}

interface RewindJson {
  dryRun: boolean;
  after: {
    owner: string | null;
    leaseCounter: number;
    checkpoint: { sequenceNumber: string; subSequenceNumber: number };
  };
}

describe('kinesis-ts rewind (built binary)', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: string;
  let table: string;
  const instances: ConsumerInstance[] = [];

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    stream = await createStream(kinesis, { shardCount: 2 });
    table = await createStateTable(dynamo, uniqueName('cli-rewind'));
  });
  afterAll(async () => {
    for (const instance of instances) if (isProcessAlive(instance.pid)) await instance.kill();
    await deleteStream(kinesis, stream);
    await deleteTable(dynamo, table);
    kinesis.destroy();
    dynamo.destroy();
  });

  it('refuses under a live owner; once the group stopped, moves the checkpoint and the group re-reads from there', async () => {
    const group = 'cli-rewind';
    const stateArgs = ['--group', group, '--table', table];
    const keys = Array.from({ length: 200 }, (_, i) => `k-${String(i).padStart(4, '0')}`);
    const placed = await putKeys(kinesis, stream, keys);
    const config = (instanceId: string) => ({
      stream,
      table,
      group,
      instanceId,
      failoverTimeMs: FAILOVER_MS,
      leaseScanIntervalMs: 1000,
      checkpointRecords: 1,
      delayMs: 0,
    });
    const lagCaughtUp = async () =>
      (await runKinesisTsJson<{ caughtUp: boolean; shards: unknown[] }>(['lag', stream, ...stateArgs]))[0]
        ?.caughtUp === true;
    const a = new ConsumerInstance(config('instance-a'));
    instances.push(a);
    await waitFor(() => new Set(a.records.map((r) => r.k)).size === keys.length, {
      timeoutMs: 30_000,
      description: 'A delivers every record',
    });
    await waitFor(lagCaughtUp, { timeoutMs: 30_000, intervalMs: 500, description: 'checkpoints at the end' });

    const shard = 'shardId-000000000000';
    const inShard = placed.filter((p) => p.shardId === shard);
    expect(inShard.length).toBeGreaterThan(60);
    const pivot = inShard[49]!;
    const expected = inShard.slice(50).map((p) => p.key);
    const rewind = ['rewind', stream, ...stateArgs, '--shard', shard, '--after', pivot.sequenceNumber];
    const checkpointOf = async () =>
      (await runKinesisTsJson<LeaseViewJson>(['leases', stream, ...stateArgs]))[0]?.leases.find(
        (l) => l.shardId === shard,
      );
    const atEnd = await checkpointOf();
    expect(atEnd?.checkpoint?.sequenceNumber).toBe(inShard.at(-1)?.sequenceNumber);

    // A live owner renews: the command watches the counter move and refuses, writing nothing.
    const refused = await runKinesisTs([...rewind, '--failover-ms', String(FAILOVER_MS)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is held by a live instance');
    expect((await checkpointOf())?.checkpoint).toEqual(atEnd?.checkpoint);

    // Stopped gracefully, the group released its leases.
    expect(await a.stop()).toBe(0);
    const [dry] = await runKinesisTsJson<RewindJson>([...rewind, '--dry-run']);
    expect(dry).toMatchObject({
      dryRun: true,
      after: { checkpoint: { sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 } },
    });
    const unchanged = await checkpointOf();
    expect(unchanged?.checkpoint).toEqual(atEnd?.checkpoint);

    const [done] = await runKinesisTsJson<RewindJson>(rewind);
    expect(done).toMatchObject({
      dryRun: false,
      after: { owner: null, checkpoint: { sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 } },
    });
    const moved = await checkpointOf();
    expect(moved?.owner).toBeNull();
    expect(moved?.checkpoint).toEqual({ sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 });
    // take + release: two fenced writes, the counter moved by two.
    expect(moved?.leaseCounter).toBe((unchanged?.leaseCounter ?? 0) + 2);

    // A new instance resumes strictly after the pivot in that shard, and nowhere else.
    const b = new ConsumerInstance(config('instance-b'));
    instances.push(b);
    await waitFor(() => b.records.length >= expected.length, {
      timeoutMs: 30_000,
      description: 'B re-reads the records after the pivot',
    });
    await waitFor(lagCaughtUp, { timeoutMs: 30_000, intervalMs: 500, description: 'B caught up' });
    expect(b.records.map((r) => r.k)).toEqual(expected);
    expect(await b.stop()).toBe(0);

    // An owner that died (kill -9) stops renewing: the command sees its counter stand still for the
    // failover time and takes the lease as any instance would, then rewinds it.
    const c = new ConsumerInstance(config('instance-c'));
    instances.push(c);
    await waitFor(() => c.owned.includes(shard), { timeoutMs: 20_000, description: 'C holds the shard' });
    await c.kill();
    const earlier = inShard[9]!;
    const [afterDeath] = await runKinesisTsJson<RewindJson>([
      'rewind',
      stream,
      ...stateArgs,
      '--shard',
      shard,
      '--after',
      earlier.sequenceNumber,
      '--failover-ms',
      String(FAILOVER_MS),
    ]);
    expect(afterDeath?.after).toEqual({
      owner: null,
      leaseCounter: expect.any(Number),
      checkpoint: { sequenceNumber: earlier.sequenceNumber, subSequenceNumber: 0 },
    });
    expect((await checkpointOf())?.owner).toBeNull();

    // A wrong position is refused before anything is touched.
    const foreign = placed.find((p) => p.shardId !== shard)!;
    const wrong = await runKinesisTs([
      'rewind',
      stream,
      ...stateArgs,
      '--shard',
      shard,
      '--after',
      foreign.sequenceNumber,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/not (a sequence number of|in) shardId-000000000000/);
  }, 120_000);
});
