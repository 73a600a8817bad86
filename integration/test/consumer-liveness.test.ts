/**
 * Consumer correctness with several instances in separate OS processes (issue #10): a standby that
 * stays up and takes over, an idle inline consumer that stays up, a hung state store that must not let
 * two instances read one shard, and close() during a slow handler. Each scenario prints one line
 * (records put, delivered, missing, duplicates).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { ConsumerInstance } from '../fixtures/consumer-process.js';
import { getBackend } from '../src/backend.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { isProcessAlive } from '../src/process-check.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';

const FAILOVER_MS = 3000;
const SCAN_MS = 1000;
const RENEW_MS = FAILOVER_MS / 3;
/** How long the standby must stay up with nothing to read (the issue asks for 30 s). */
const STANDBY_MS = Number(process.env.KINESIS_TS_STANDBY_MS ?? 30_000);

const keysOf = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consumer liveness and lease safety across processes', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let table: string;
  const streams: string[] = [];
  const instances: ConsumerInstance[] = [];
  const start = (config: Record<string, unknown>) => {
    const instance = new ConsumerInstance({
      table,
      failoverTimeMs: FAILOVER_MS,
      leaseScanIntervalMs: SCAN_MS,
      checkpointRecords: 20,
      ...config,
    });
    instances.push(instance);
    return instance;
  };
  const stream = async (shardCount = 1) => {
    const name = await createStream(kinesis, { shardCount });
    streams.push(name);
    return name;
  };

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    table = await createStateTable(dynamo, uniqueName('liveness'));
  });
  afterAll(async () => {
    for (const instance of instances) if (isProcessAlive(instance.pid)) await instance.kill();
    for (const name of streams) await deleteStream(kinesis, name);
    await deleteTable(dynamo, table);
    kinesis.destroy();
    dynamo.destroy();
  });

  it(
    `standby takeover: a standby with no lease stays up ${STANDBY_MS / 1000} s, then takes over within failover time + one scan of a kill -9`,
    async () => {
      const name = await stream(1);
      const before = keysOf('before', 300);
      await putKeys(kinesis, name, before);
      const a = start({ stream: name, group: 'standby', instanceId: 'owner', runner: 'process' });
      await waitFor(() => a.owned.length === 1, { timeoutMs: 20_000, description: 'A owns the shard' });
      const b = start({ stream: name, group: 'standby', instanceId: 'standby', runner: 'process' });
      await sleep(STANDBY_MS);
      expect(isProcessAlive(b.pid)).toBe(true);
      expect(b.ended).toBe(false);
      expect(b.owned).toEqual([]);
      expect(a.records.length).toBe(before.length);
      await a.kill();
      const killedAt = Date.now();
      const after = keysOf('after', 300);
      await putKeys(kinesis, name, after);
      await waitFor(() => b.owned.length === 1, { timeoutMs: 20_000, description: 'B owns the shard' });
      const takeover = b.ownership.find((o) => o.shards.length === 1)!.at - killedAt;
      const all = [...before, ...after];
      await waitFor(() => b.records.some((r) => r.k === after.at(-1)), {
        timeoutMs: 20_000,
        description: 'B delivers',
      });
      const result = countDeliveries(
        'standby takeover',
        all,
        [...a.records, ...b.records].map((r) => r.k),
        {
          takeoverMs: takeover,
          boundMs: FAILOVER_MS + SCAN_MS,
        },
      );
      reportScenario(result);
      expect(result.missing).toBe(0);
      // The standby first saw A's last counter at most one renew interval after A wrote it.
      expect(takeover).toBeLessThanOrEqual(FAILOVER_MS + SCAN_MS + 750);
      expect(await b.stop()).toBe(0);
      expect(b.errors).toEqual([]);
    },
    60_000 + STANDBY_MS,
  );

  it('an idle inline consumer stays up and delivers a record put 5 s later', async () => {
    const name = await stream(1);
    const c = start({ stream: name, state: 'memory', instanceId: 'idle', runner: 'inline' });
    await waitFor(() => c.owned.length === 1, { timeoutMs: 20_000, description: 'owns the shard' });
    await sleep(5000);
    expect(isProcessAlive(c.pid)).toBe(true);
    const keys = keysOf('late', 1);
    await putKeys(kinesis, name, keys);
    await waitFor(() => c.records.length === 1, { timeoutMs: 10_000, description: 'the late record' });
    reportScenario(
      countDeliveries(
        'idle inline consumer',
        keys,
        c.records.map((r) => r.k),
      ),
    );
    expect(c.ended).toBe(false);
    expect(await c.stop()).toBe(0);
  }, 40_000);

  it('hung state store: the owner whose DynamoDB stops answering stops reading before another takes over', async () => {
    const name = await stream(1);
    const proxy = await FaultProxy.start(getBackend().dynamodbEndpoint);
    try {
      const producing = { on: true };
      const keys: string[] = [];
      const producer = (async () => {
        for (let i = 0; producing.on; i++) {
          const batch = keysOf(`hung-${i}`, 20);
          await putKeys(kinesis, name, batch);
          keys.push(...batch);
          await sleep(50);
        }
      })();
      const a = start({ stream: name, group: 'hung', instanceId: 'A', dynamoEndpoint: proxy.endpoint });
      await waitFor(() => a.owned.length === 1, { timeoutMs: 20_000, description: 'A owns the shard' });
      const b = start({ stream: name, group: 'hung', instanceId: 'B' });
      await sleep(2000);
      expect(b.owned).toEqual([]);
      // Every DynamoDB request of A hangs from now on (accepted, never answered).
      proxy.delay('*', 600_000, Number.POSITIVE_INFINITY);
      const hungAt = Date.now();
      await waitFor(() => b.owned.length === 1, { timeoutMs: 20_000, description: 'B takes the shard' });
      await sleep(2000);
      producing.on = false;
      await producer;
      await waitFor(() => b.records.some((r) => r.k === keys.at(-1)), {
        timeoutMs: 20_000,
        description: 'B catches up',
      });
      const lastA = Math.max(...a.records.map((r) => r.at));
      const firstB = Math.min(...b.records.map((r) => r.at));
      const window = Math.max(0, lastA - firstB);
      const result = countDeliveries(
        'hung state store',
        keys,
        [...a.records, ...b.records].map((r) => r.k),
        {
          doubleOwnershipMs: window,
          ownerStoppedAfterMs: lastA - hungAt,
          boundMs: RENEW_MS,
        },
      );
      reportScenario(result);
      expect(result.missing).toBe(0);
      expect(a.lost.length).toBe(1);
      expect(window).toBeLessThanOrEqual(RENEW_MS);
      expect(lastA - hungAt).toBeLessThanOrEqual(FAILOVER_MS + 500);
      expect(await b.stop()).toBe(0);
      await a.kill();
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('close during a slow handler: the closing owner keeps its lease until the batch is done and checkpointed', async () => {
    const name = await stream(1);
    const keys = keysOf('slow', 200);
    await putKeys(kinesis, name, keys);
    const common = {
      stream: name,
      group: 'slow',
      mode: 'run',
      checkpointRecords: 1000,
      maxRecordsPerCall: 50,
    };
    // Each batch takes longer than the failover time.
    const a = start({ ...common, instanceId: 'A', handlerDelayMs: FAILOVER_MS + 1500 });
    await waitFor(() => a.records.length > 0, { timeoutMs: 20_000, description: 'A handles a batch' });
    const b = start({ ...common, instanceId: 'B' });
    await sleep(500);
    a.child.kill('SIGTERM'); // close() while the handler runs
    expect(await a.exited).toBe(0);
    await waitFor(() => b.records.some((r) => r.k === keys.at(-1)), {
      timeoutMs: 30_000,
      description: 'B finishes',
    });
    const aEnd = Math.max(...a.batches.map((x) => x.end));
    const bStart = Math.min(...b.batches.map((x) => x.start));
    const result = countDeliveries(
      'close during a slow handler',
      keys,
      [...a.records, ...b.records].map((r) => r.k),
      {
        aBatches: a.batches.length,
        overlapMs: Math.max(0, aEnd - bStart),
      },
    );
    reportScenario(result);
    expect(a.batches.length).toBe(1);
    expect(a.closed).toBe(true);
    expect(bStart).toBeGreaterThanOrEqual(aEnd);
    expect(result.missing).toBe(0);
    // A's batch was checkpointed before the release: nothing comes twice.
    expect(result.duplicates).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 60_000);
});
