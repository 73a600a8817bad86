import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { ConsumerInstance } from '../fixtures/consumer-process.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { isProcessAlive } from '../src/process-check.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';
import { cliGroupInstance, runKinesisTs, runKinesisTsJson } from './cli-helpers.js';

/** The consumers' failover time: long enough that the CLI sees a stopped owner's leases expire first. */
const FAILOVER_MS = 12_000;
/** The CLI's threshold: above the owners' renew period (FAILOVER_MS / 3), well below FAILOVER_MS. */
const CLI_FAILOVER_MS = 6000;

interface LeaseViewJson {
  leases: Array<{
    shardId: string;
    owner: string | null;
    checkpoint: unknown;
    state: string;
    leaseCounter: number;
  }>;
  instances: Array<{ owner: string; leases: number; expired: number }>;
  expired: number;
}

interface LagJson {
  caughtUp: boolean;
  shards: Array<{ shardId: string; owner: string | null; status: string; oldestUnreadAgeMs: number | null }>;
  instances: Array<{ owner: string; shards: number }>;
}

describe('kinesis-ts leases / lag / table (built binary) on a group of two consumer processes', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: string;
  const table = uniqueName('cli-leases');
  const instances: ConsumerInstance[] = [];

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    stream = await createStream(kinesis, { shardCount: 4 });
  });
  afterAll(async () => {
    for (const instance of instances) {
      if (isProcessAlive(instance.pid)) await instance.kill();
    }
    await deleteStream(kinesis, stream);
    await deleteTable(dynamo, table).catch(() => {});
    kinesis.destroy();
    dynamo.destroy();
  });

  it('creates and checks the table; a missing table fails with what to run', async () => {
    const missing = await runKinesisTs(['table', 'check', table]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`hint: create it with \`kinesis-ts table create ${table}\``);
    const [created] = await runKinesisTsJson<{ created: boolean }>(['table', 'create', table]);
    expect(created?.created).toBe(true);
    const [again] = await runKinesisTsJson<{ created: boolean }>(['table', 'create', table]);
    expect(again?.created).toBe(false);
    const check = await runKinesisTs(['table', 'check', table]);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`table ${table} is ready for leases\n`);
  });

  it('shows 2/2 leases, lag per shard, expired leases of a stopped owner, then the takeover', async () => {
    const group = 'cli-group';
    const stateArgs = ['--group', group, '--table', table];
    const first = Array.from({ length: 400 }, (_, i) => `a-${String(i).padStart(4, '0')}`);
    await putKeys(kinesis, stream, first);
    const config = (instanceId: string) =>
      cliGroupInstance({ stream, table, group }, instanceId, FAILOVER_MS);
    const a = new ConsumerInstance(config('instance-a'));
    instances.push(a);
    const b = new ConsumerInstance(config('instance-b'));
    instances.push(b);
    const delivered = () => [...a.records, ...b.records].map((r) => r.k);
    await waitFor(() => a.owned.length === 2 && b.owned.length === 2, {
      timeoutMs: 30_000,
      description: 'A and B own 2 shards each',
    });
    await waitFor(() => new Set(delivered()).size === first.length, {
      timeoutMs: 30_000,
      description: 'the first records delivered',
    });

    const [view] = await runKinesisTsJson<LeaseViewJson>(['leases', stream, ...stateArgs]);
    expect(view?.instances.map((i) => [i.owner, i.leases])).toEqual([
      ['instance-a', 2],
      ['instance-b', 2],
    ]);
    expect(view?.leases.map((l) => l.owner).sort()).toEqual([
      'instance-a',
      'instance-a',
      'instance-b',
      'instance-b',
    ]);
    expect(new Set(view?.leases.filter((l) => l.owner === 'instance-a').map((l) => l.shardId))).toEqual(
      new Set(a.owned),
    );
    const text = await runKinesisTs(['leases', stream, ...stateArgs]);
    expect(text.stdout).toMatch(/instance-a\s+2\/4\s+0/);
    expect(text.stdout).toMatch(/instance-b\s+2\/4\s+0/);

    // Checkpoints follow every record (checkpointRecords 1): the group catches up.
    await waitFor(
      async () => (await runKinesisTsJson<LagJson>(['lag', stream, ...stateArgs]))[0]?.caughtUp === true,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: 'lag reports caught up after draining',
      },
    );

    // B stops (SIGSTOP): its shards fall behind, A's stay caught up.
    process.kill(b.pid, 'SIGSTOP');
    const bShards = [...b.owned];
    const second = Array.from({ length: 200 }, (_, i) => `b-${String(i).padStart(4, '0')}`);
    const placed = await putKeys(kinesis, stream, second);
    const forA = placed.filter((p) => !bShards.includes(p.shardId)).map((p) => p.key);
    await waitFor(() => forA.every((key) => a.records.some((r) => r.k === key)), {
      timeoutMs: 8000,
      description: 'A delivers the new records of its shards',
    });
    const [lag] = await runKinesisTsJson<LagJson>(['lag', stream, ...stateArgs]);
    for (const row of lag?.shards ?? []) {
      if (bShards.includes(row.shardId)) {
        expect(row.status).toBe('behind');
        expect(row.oldestUnreadAgeMs).toBeGreaterThan(0);
      } else {
        expect(row.status).toBe('caught-up');
      }
    }
    expect(lag?.caughtUp).toBe(false);

    // B's counters stand still: watched for longer than the CLI's failover threshold, its leases look
    // expired; A's keep moving (it renews every FAILOVER_MS / 3).
    const [watched] = await runKinesisTsJson<LeaseViewJson>([
      'leases',
      stream,
      ...stateArgs,
      '--observe',
      String(CLI_FAILOVER_MS + 1000),
      '--failover-ms',
      String(CLI_FAILOVER_MS),
      '--interval',
      '500',
    ]);
    const states = Object.fromEntries((watched?.leases ?? []).map((l) => [l.shardId, [l.owner, l.state]]));
    for (const shard of bShards) expect(states[shard]).toEqual(['instance-b', 'expired']);
    for (const shard of a.owned) expect(states[shard]).toEqual(['instance-a', 'held']);
    expect(watched?.instances).toEqual([
      { owner: 'instance-a', leases: 2, expired: 0, handoffsPending: 0 },
      { owner: 'instance-b', leases: 2, expired: 2, handoffsPending: 0 },
    ]);

    // A takes the expired leases over and drains them.
    await b.kill();
    await waitFor(() => a.owned.length === 4, { timeoutMs: 30_000, description: 'A owns all 4 shards' });
    await waitFor(
      async () => (await runKinesisTsJson<LagJson>(['lag', stream, ...stateArgs]))[0]?.caughtUp === true,
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: 'lag caught up after the takeover',
      },
    );
    const [after] = await runKinesisTsJson<LeaseViewJson>(['leases', stream, ...stateArgs]);
    expect(after?.instances.map((i) => [i.owner, i.leases])).toEqual([['instance-a', 4]]);
    const result = countDeliveries(
      'cli leases: owner stopped, lease expiry seen, takeover',
      [...first, ...second],
      delivered(),
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(await a.stop()).toBe(0);
  }, 150_000);
});
