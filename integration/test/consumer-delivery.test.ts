import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type RunnerKind } from '@kinesis-ts/consumer';
import { recordText } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertShardOrder, type Delivered, missingKeys, putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { isProcessAlive } from '../src/process-check.js';
import { createStream, deleteStream } from '../src/streams.js';

const backend = getBackend();
const COUNT = 20_000;

describe(`consumer delivery: 4 shards, ${COUNT} records, TRIM_HORIZON (${backend.kinesisEndpoint})`, () => {
  let client: KinesisClient;
  let stream: string;
  const keys = Array.from({ length: COUNT }, (_, i) => `key-${String(i).padStart(6, '0')}`);

  beforeAll(async () => {
    client = kinesisClient();
    stream = await createStream(client, { shardCount: 4 });
    const puts = await putKeys(client, stream, keys);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(4);
  }, 120_000);
  afterAll(async () => {
    await deleteStream(client, stream);
    client.destroy();
  });

  for (const runner of ['process', 'thread', 'inline'] as RunnerKind[]) {
    it(`delivers every record once, in shard order, with the ${runner} runner`, async () => {
      // Only streamName + position: region, endpoint and credentials come from the SDK default chain.
      const consumer = new KinesisConsumer({ streamName: stream, initialPosition: 'TRIM_HORIZON', runner });
      const delivered: Delivered[] = [];
      const seen = new Set<string>();
      let pids: number[] = [];
      const started = Date.now();
      for await (const record of consumer) {
        const key = recordText(record);
        delivered.push({ key, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
        seen.add(key);
        if (seen.size === COUNT) {
          pids = Object.values(consumer.shardProcessIds);
          break;
        }
      }
      const elapsed = Date.now() - started;
      console.log(`[consumer-delivery] ${runner}: ${COUNT} records in ${elapsed} ms`);
      expect(missingKeys(keys, seen)).toEqual([]);
      expect(delivered).toHaveLength(COUNT);
      expect(assertShardOrder(delivered)).toEqual([]);
      expect(new Set(delivered.map((d) => d.shardId)).size).toBe(4);
      if (runner === 'process') {
        expect(pids).toHaveLength(4);
        // break closed the consumer: every shard process is gone.
        for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
      }
      await expect(consumer[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'CLOSED' });
    }, 90_000);
  }
});
