import { type KinesisClient, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { effectiveHashKey, hashKeyInRange, parseHashKeyRange } from '@kinesis-ts/core';
import { KinesisProducer, type ProducerEvent, type PutResult } from '@kinesis-ts/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream, listAllShards, waitStreamActive } from '../src/streams.js';
import { readUserRecords } from './producer-helpers.js';

const backend = getBackend();
const fidelityMissing = skipReason(Capability.KinesisFidelity);
if (fidelityMissing !== undefined) console.log(`[producer-resharding] skipped: ${fidelityMissing}`);

const KEYS = 8;
const ROUNDS = 60;

describe.skipIf(fidelityMissing !== undefined)(
  'producer across UpdateShardCount: ordered + aggregation (kinesis-local, process runner from dist)',
  () => {
    let client: KinesisClient;
    let stream: string;
    beforeAll(async () => {
      client = kinesisClient(backend.kinesisFidelityEndpoint);
      stream = await createStream(client, { shardCount: 2 });
    });
    afterAll(async () => {
      await deleteStream(client, stream);
      client.destroy();
    });

    it('keeps predicting shards after resharding; per key, a consumer reads every record once, in put() order', async () => {
      const events: ProducerEvent[] = [];
      const producer = new KinesisProducer({
        streamName: stream,
        clientConfig: { endpoint: backend.kinesisFidelityEndpoint },
        aggregation: true,
        ordered: true,
        bufferTime: 50,
        shardMapRefreshInterval: 1000,
        onEvent: (e) => events.push(e),
      });
      const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
      const data: string[] = [];
      const promises: Promise<PutResult>[] = [];
      const round = async (n: number): Promise<void> => {
        for (const key of keys) {
          const d = `${key}:${n}`;
          data.push(d);
          promises.push(producer.put(d, { partitionKey: key }));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      };
      for (let n = 0; n < ROUNDS / 2; n++) await round(n);
      await client.send(
        new UpdateShardCountCommand({
          StreamName: stream,
          TargetShardCount: 4,
          ScalingType: 'UNIFORM_SCALING',
        }),
      );
      await waitStreamActive(client, stream);
      for (let n = ROUNDS / 2; n < ROUNDS; n++) await round(n);
      const results = await Promise.all(promises);
      await producer.close();

      const shards = await listAllShards(client, stream);
      const rangeOf = new Map(
        shards.map((s) => [
          s.ShardId!,
          parseHashKeyRange(s.HashKeyRange as { StartingHashKey: string; EndingHashKey: string }),
        ]),
      );
      // What a KCL-style consumer reads: parents before children (readAllRecords goes shard by shard in
      // ListShards order), records outside their shard's range dropped.
      const read = (await readUserRecords(client, stream)).filter((r) =>
        hashKeyInRange(effectiveHashKey(r), rangeOf.get(r.shardId)!),
      );
      const texts = read.map((r) => Buffer.from(r.data).toString('utf8'));
      const refreshed = events.filter((e) => e.type === 'shardMapRefreshed');
      const result = countDeliveries('producer across UpdateShardCount (ordered, aggregation)', data, texts, {
        openShardsAfter: refreshed.at(-1)?.type === 'shardMapRefreshed' ? refreshed.at(-1)!.openShards : 0,
        refreshesOnUnexpectedShard: refreshed.filter(
          (e) => e.type === 'shardMapRefreshed' && e.reason === 'unexpectedShard',
        ).length,
        refreshesOnInterval: refreshed.filter(
          (e) => e.type === 'shardMapRefreshed' && e.reason === 'interval',
        ).length,
      });
      reportScenario(result);
      expect(result.missing).toBe(0);
      expect(result.duplicates).toBe(0);
      for (const key of keys) {
        const order = texts.filter((t) => t.startsWith(`${key}:`)).map((t) => Number(t.split(':')[1]));
        expect(order).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
      }
      // Every promise names a shard whose range holds the record: where a consumer reads it.
      results.forEach((r, i) => {
        const key = data[i]!.split(':')[0]!;
        expect(hashKeyInRange(effectiveHashKey({ partitionKey: key }), rangeOf.get(r.shardId)!)).toBe(true);
      });
      expect(refreshed.some((e) => e.type === 'shardMapRefreshed' && e.openShards === 4)).toBe(true);
      expect(new Set(results.slice(-KEYS).map((r) => r.shardId)).size).toBeGreaterThan(2);
    }, 90_000);
  },
);
