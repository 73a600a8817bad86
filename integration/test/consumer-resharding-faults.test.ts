/**
 * Resharding without loss (issue 10, section 2), on kinesalite (fast SplitShard, no ChildShards: the
 * consumer finds children through ListShards) with leases on dynalite. One report line per scenario.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type KinesisClient,
  ListShardsCommand,
  type Shard,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type KinesisConsumerOptions } from '@kinesis-ts/consumer';
import { type Lease, type LeaseScope, recordText } from '@kinesis-ts/core';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { deleteTable } from '../src/state-table.js';
import { createStream, deleteStream, waitStreamActive } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';

const backend = getBackend();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keysOf = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

/** A DynamoDB state adapter whose `createLease` fails from call `failAfter + 1` on (the instance "dies"). */
class FailingCreateState extends DynamoDBState {
  calls = 0;
  failures = 0;
  failAfter = Number.POSITIVE_INFINITY;
  override async createLease(...args: Parameters<DynamoDBState['createLease']>): Promise<Lease> {
    this.calls += 1;
    if (this.calls > this.failAfter) {
      this.failures += 1;
      throw new Error('instance died during its first shard sync');
    }
    return super.createLease(...args);
  }
}

describe('resharding without loss (kinesalite + dynalite)', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const table = uniqueName('it-reshard');
  const streams: string[] = [];
  const adapters: DynamoDBState[] = [];

  const state = async (Kind: typeof DynamoDBState = DynamoDBState) => {
    const adapter = new Kind({ tableName: table, client: dynamo });
    adapters.push(adapter);
    await adapter.start();
    return adapter;
  };
  const options = (
    stream: string,
    adapter: DynamoDBState,
    extra: Partial<KinesisConsumerOptions> = {},
  ): KinesisConsumerOptions => ({
    streamName: stream,
    consumerGroup: 'g',
    state: adapter,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: { endpoint: backend.kinesisEndpoint },
    failoverTimeMs: 3000,
    leaseScanIntervalMs: 500,
    idlePollIntervalMs: 300,
    ...extra,
  });
  /** Splits every open shard of `stream` in the middle of its hash range. */
  const splitAll = async (stream: string): Promise<void> => {
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    const open = (Shards ?? []).filter(
      (s: Shard) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
    );
    for (const shard of open) {
      const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
      const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
      await kinesis.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: shard.ShardId!,
          NewStartingHashKey: ((start + end) / 2n).toString(),
        }),
      );
      await waitStreamActive(kinesis, stream);
    }
  };
  /** Reads until `done()` says so (bounded); returns every delivered key (with repeats). */
  const readUntil = async (
    consumer: KinesisConsumer,
    done: (delivered: string[]) => boolean,
    ms = 30_000,
  ) => {
    const delivered: string[] = [];
    const loop = (async () => {
      for await (const record of consumer) delivered.push(recordText(record));
    })();
    await waitFor(() => done(delivered), { timeoutMs: ms, description: 'records delivered' }).catch(() => {});
    // A little longer, so a duplicate or an unwanted record would show.
    await sleep(500);
    return { delivered, loop };
  };

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    await createStateTable(dynamo, { tableName: table, pollIntervalMs: 100 });
  });
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close()));
    for (const stream of streams) await deleteStream(kinesis, stream);
    await deleteTable(dynamo, table);
    kinesis.destroy();
    dynamo.destroy();
  });

  it('AT_TIMESTAMP across a split: records put to the parent after the timestamp and before the split are delivered, then the children', async () => {
    const stream = await createStream(kinesis, { shardCount: 1 });
    streams.push(stream);
    const before = keysOf('before', 100);
    await putKeys(kinesis, stream, before);
    await sleep(1100);
    const t = new Date();
    await sleep(50);
    const parentKeys = keysOf('parent', 300);
    await putKeys(kinesis, stream, parentKeys);
    await splitAll(stream);
    const childKeys = keysOf('child', 300);
    await putKeys(kinesis, stream, childKeys);
    const wanted = [...parentKeys, ...childKeys];

    const consumer = new KinesisConsumer(
      options(stream, await state(), { runner: 'process', initialPosition: { atTimestamp: t } }),
    );
    const { delivered, loop } = await readUntil(consumer, (d) => new Set(d).size >= wanted.length);
    await consumer.close();
    await loop;
    const unwanted = delivered.filter((key) => key.startsWith('before-')).length;
    // The parent's records come before every child record (parents first).
    const firstChild = delivered.findIndex((key) => key.startsWith('child-'));
    const lastParent = delivered.map((key) => key.startsWith('parent-')).lastIndexOf(true);
    const result = countDeliveries(
      'AT_TIMESTAMP across a split',
      wanted,
      delivered.filter((key) => !key.startsWith('before-')),
      { beforeTimestampDelivered: unwanted, parentFirst: lastParent < firstChild },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(unwanted).toBe(0);
    expect(lastParent).toBeLessThan(firstChild);
  }, 60_000);

  it('interrupted first sync: a fresh instance completes the leases of an instance that died after k creates', async () => {
    const put: string[] = [];
    const delivered: string[] = [];
    const interruptions: number[] = [];
    for (const failAfter of [1, 3]) {
      const stream = await createStream(kinesis, { shardCount: 2 });
      streams.push(stream);
      const parentKeys = keysOf(`k${failAfter}-parent`, 200);
      await putKeys(kinesis, stream, parentKeys);
      await splitAll(stream);
      const childKeys = keysOf(`k${failAfter}-child`, 200);
      await putKeys(kinesis, stream, childKeys);
      put.push(...parentKeys, ...childKeys);

      // The first instance: its store stops answering createLease after `failAfter` leases.
      const dying = (await state(FailingCreateState)) as FailingCreateState;
      dying.failAfter = failAfter;
      const first = new KinesisConsumer(options(stream, dying, { runner: 'inline' }));
      const started = first.start().then(
        () => null,
        (error: unknown) => error,
      );
      await waitFor(() => dying.failures > 0, { timeoutMs: 10_000, description: 'first sync interrupted' });
      await first.close();
      await started;
      const scope: LeaseScope = { consumerGroup: 'g', streamName: stream };
      const partial = await dying.listLeases(scope);
      expect(partial).toHaveLength(failAfter);
      interruptions.push(partial.length);

      // A fresh instance of the group.
      const second = new KinesisConsumer(options(stream, await state(), { runner: 'process' }));
      const want = new Set([...parentKeys, ...childKeys]);
      const run = await readUntil(second, (d) => [...want].every((key) => d.includes(key)));
      await second.close();
      await run.loop;
      delivered.push(...run.delivered);
      expect(await (await state()).listLeases(scope)).toHaveLength(6);
    }
    const result = countDeliveries('interrupted first sync', put, delivered, {
      leasesBeforeHeal: interruptions.join('/'),
    });
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
  }, 90_000);

  it('trimmed parent: a lease for a shard that no longer exists ends with a warning; children are read; the consumer stays up', async () => {
    const stream = await createStream(kinesis, { shardCount: 2 });
    streams.push(stream);
    const adapter = await state();
    const scope: LeaseScope = { consumerGroup: 'g', streamName: stream };
    // As left by an earlier run after a reshard: the parent's lease, then the group was down longer
    // than the retention period and the parent shard was trimmed away.
    const trimmed = 'shardId-000000009999';
    await adapter.createLease(scope, trimmed);
    for (const child of ['shardId-000000000000', 'shardId-000000000001'])
      await adapter.createLease(scope, child, { parentShardIds: [trimmed] });
    const keys = keysOf('trim', 400);
    await putKeys(kinesis, stream, keys);

    const consumer = new KinesisConsumer(options(stream, adapter, { runner: 'process' }));
    const notFound: string[] = [];
    const errors: string[] = [];
    consumer.on('shardNotFound', (e) => notFound.push(e.shardId));
    consumer.on('error', (e) => errors.push(e.code));
    const run = await readUntil(consumer, (d) => new Set(d).size >= keys.length);
    // Still up: records put now arrive too.
    const late = keysOf('trim-late', 50);
    await putKeys(kinesis, stream, late);
    await waitFor(() => late.every((key) => run.delivered.includes(key)), {
      timeoutMs: 15_000,
      description: 'late records delivered',
    }).catch(() => {});
    await consumer.close();
    await run.loop;
    const lease = (await adapter.listLeases(scope)).find((l) => l.shardId === trimmed);
    const result = countDeliveries('trimmed parent', [...keys, ...late], run.delivered, {
      shardNotFound: notFound.length,
      errors: errors.length,
      trimmedLeaseEnded: lease?.ended === true,
    });
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(notFound).toEqual([trimmed]);
    expect(errors).toEqual([]);
    expect(lease?.ended).toBe(true);
  }, 60_000);
});
