/**
 * KinesisConsumer with enhanced fan-out on kinesis-local: every runner delivers every record in shard
 * order through SubscribeToShard; two instances share the shards through one state store; a split
 * during subscriptions continues into the children after the parent; a restart resumes from the
 * checkpoints.
 */
import { type KinesisClient, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type KinesisConsumerOptions, type RunnerKind } from '@kinesis-ts/consumer';
import { type KinesisRecord, recordText } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertShardOrder, type Delivered, missingKeys, putKeys } from '../fixtures/consumer-helpers.js';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { createStream, deleteStream, listAllShards, waitStreamActive } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';

const backend = getBackend();
const missing = skipReason(Capability.KinesisFidelity);
if (missing !== undefined) console.log(`[consumer-efo-consumer] skipped: ${missing}`);
const endpoint = backend.kinesisFidelityEndpoint ?? '';

function delivered(record: KinesisRecord): Delivered {
  return { key: recordText(record), shardId: record.shardId, sequenceNumber: record.sequenceNumber };
}

describe.skipIf(missing !== undefined)(`consumer with enhanced fan-out (${endpoint})`, () => {
  let admin: KinesisClient;
  let stream: string;
  const keys = Array.from({ length: 200 }, (_, i) => `c-${String(i).padStart(4, '0')}`);

  const base = (extra: Partial<KinesisConsumerOptions> = {}): KinesisConsumerOptions => ({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: {
      endpoint,
      region: backend.region,
      ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
    },
    failoverTimeMs: 3000,
    leaseScanIntervalMs: 500,
    ...extra,
  });

  beforeAll(async () => {
    admin = kinesisClient(endpoint);
    stream = await createStream(admin, { shardCount: 4 });
    const puts = await putKeys(admin, stream, keys);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(4);
  }, 60_000);
  afterAll(async () => {
    await deleteStream(admin, stream);
    admin.destroy();
  });

  for (const runner of ['process', 'thread', 'inline'] as RunnerKind[]) {
    it(`delivers every record once, in shard order, through SubscribeToShard with the ${runner} runner`, async () => {
      const consumer = new KinesisConsumer(
        base({ runner, consumerGroup: uniqueName(`efo-${runner}`), fanOut: {} }),
      );
      const out: Delivered[] = [];
      const seen = new Set<string>();
      for await (const record of consumer) {
        out.push(delivered(record));
        seen.add(recordText(record));
        if (seen.size === keys.length) break;
      }
      expect(missingKeys(keys, seen)).toEqual([]);
      expect(out).toHaveLength(keys.length);
      expect(assertShardOrder(out)).toEqual([]);
    }, 60_000);
  }

  for (const runner of ['process', 'inline'] as RunnerKind[]) {
    it(`reads through SubscribeToShard and never calls GetRecords (${runner} runner, request log of a proxy)`, async () => {
      const proxy = await FaultProxy.start(endpoint);
      const group = uniqueName(`efo-log-${runner}`);
      const consumer = new KinesisConsumer({
        ...base({ runner, consumerGroup: group, fanOut: { http: { protocol: 'http1' } } }),
        clientConfig: {
          endpoint: proxy.endpoint,
          region: backend.region,
          ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
        },
      });
      const seen = new Set<string>();
      try {
        for await (const record of consumer) {
          seen.add(recordText(record));
          if (seen.size === keys.length) break;
        }
      } finally {
        await consumer.close();
        await proxy.close();
      }
      expect(missingKeys(keys, seen)).toEqual([]);
      const operations = new Set(proxy.requests.map((r) => r.operation));
      expect(operations.has('SubscribeToShard')).toBe(true);
      expect(operations.has('GetRecords')).toBe(false);
      expect(operations.has('GetShardIterator')).toBe(false);
    }, 60_000);
  }

  it('resumes from checkpoints after a restart (same state, same stream consumer)', async () => {
    const store = new MemoryStateStore();
    const group = uniqueName('efo-restart');
    const first = new KinesisConsumer(
      base({
        runner: 'inline',
        consumerGroup: group,
        state: new MemoryState({ store }),
        fanOut: {},
        checkpointInterval: { records: 10 },
      }),
    );
    const before: Delivered[] = [];
    for await (const record of first) {
      before.push(delivered(record));
      if (before.length === 100) break; // close() writes the checkpoints of what was processed
    }
    const second = new KinesisConsumer(
      base({ runner: 'inline', consumerGroup: group, state: new MemoryState({ store }), fanOut: {} }),
    );
    const after: Delivered[] = [];
    const seen = new Set(before.map((d) => d.key));
    for await (const record of second) {
      after.push(delivered(record));
      seen.add(recordText(record));
      if (seen.size === keys.length) break;
    }
    expect(missingKeys(keys, seen)).toEqual([]);
    // Only the record in hand when the first loop broke may come again (at-least-once).
    const again = after.filter((d) => before.some((b) => b.key === d.key));
    expect(again.length).toBeLessThanOrEqual(1);
    console.log(
      `[consumer-efo-consumer] restart: ${before.length} + ${after.length} records, ${again.length} again`,
    );
  }, 60_000);

  it('two instances share the shards through one state store, each reading its own through EFO', async () => {
    const store = new MemoryStateStore();
    const group = uniqueName('efo-pair');
    const start = (instanceId: string) => {
      const consumer = new KinesisConsumer(
        base({
          runner: 'inline',
          consumerGroup: group,
          instanceId,
          state: new MemoryState({ store }),
          fanOut: {},
        }),
      );
      const out: Delivered[] = [];
      const loop = (async () => {
        for await (const record of consumer) out.push(delivered(record));
      })();
      return { consumer, out, loop };
    };
    const a = start('a');
    await waitFor(() => a.consumer.ownedShards.length === 4, {
      timeoutMs: 20_000,
      description: 'A owns 4 shards',
    });
    const b = start('b');
    try {
      await waitFor(() => a.consumer.ownedShards.length === 2 && b.consumer.ownedShards.length === 2, {
        timeoutMs: 30_000,
        description: 'A and B own 2 shards each',
      });
      const fresh = Array.from({ length: 80 }, (_, i) => `pair-${String(i).padStart(3, '0')}`);
      await putKeys(admin, stream, fresh);
      const seen = () => new Set([...a.out, ...b.out].map((d) => d.key));
      await waitFor(() => missingKeys([...keys, ...fresh], seen()).length === 0, {
        timeoutMs: 30_000,
        description: 'every record delivered by one of the two',
      });
      expect(assertShardOrder(a.out)).toEqual([]);
      expect(assertShardOrder(b.out)).toEqual([]);
      const bShards = new Set(b.out.filter((d) => d.key.startsWith('pair-')).map((d) => d.shardId));
      const aShards = new Set(a.out.filter((d) => d.key.startsWith('pair-')).map((d) => d.shardId));
      expect([...bShards].filter((s) => aShards.has(s))).toEqual([]);
      console.log(
        `[consumer-efo-consumer] pair: A ${a.out.length} records (${[...aShards].join(', ')}), B ${b.out.length} (${[...bShards].join(', ')})`,
      );
    } finally {
      await Promise.all([a.consumer.close(), b.consumer.close()]);
      await Promise.all([a.loop, b.loop]);
    }
  }, 90_000);

  it('continues into the children after a split during the subscriptions', async () => {
    const single = await createStream(admin, { shardCount: 1 });
    const put = (prefix: string, n: number) =>
      admin.send(
        new PutRecordsCommand({
          StreamName: single,
          Records: Array.from({ length: n }, (_, i) => ({
            PartitionKey: `${prefix}-${i}`,
            Data: Buffer.from(`${prefix}-${i}`),
          })),
        }),
      );
    const consumer = new KinesisConsumer({
      ...base({ runner: 'process', consumerGroup: uniqueName('efo-split') }),
      streamName: single,
      // kinesis-local never sends the closing ChildShards event: the parent's end is found when a
      // caught-up subscription is renewed, here every 2 s (on AWS the server ends it).
      fanOut: { maxSubscriptionMs: 2000 },
    });
    const out: Delivered[] = [];
    const ended: string[] = [];
    consumer.on('shardEnded', (e) => ended.push(e.shardId));
    const loop = (async () => {
      for await (const record of consumer) out.push(delivered(record));
    })();
    try {
      await put('parent', 20);
      await waitFor(() => out.length >= 20, { timeoutMs: 20_000, description: 'parent records delivered' });
      const parent = (await listAllShards(admin, single))[0]!;
      const middle = (BigInt(parent.HashKeyRange!.EndingHashKey!) / 2n).toString();
      await admin.send(
        new SplitShardCommand({
          StreamName: single,
          ShardToSplit: parent.ShardId!,
          NewStartingHashKey: middle,
        }),
      );
      await waitStreamActive(admin, single);
      await put('child', 40);
      await waitFor(() => out.length >= 60, { timeoutMs: 40_000, description: 'child records delivered' });
      expect(ended).toContain(parent.ShardId);
      const texts = out.map((d) => d.key);
      expect(new Set(texts).size).toBe(60);
      // Every parent record came before any child record.
      const lastParent = Math.max(...texts.map((t, i) => (t.startsWith('parent') ? i : -1)));
      const firstChild = texts.findIndex((t) => t.startsWith('child'));
      expect(lastParent).toBeLessThan(firstChild);
      expect(new Set(out.filter((d) => d.key.startsWith('child')).map((d) => d.shardId)).size).toBe(2);
    } finally {
      await consumer.close();
      await loop;
      await deleteStream(admin, single);
    }
  }, 90_000);
});
