/**
 * The consumer's failure policy end to end: a 4-shard stream with 10,000 records of which 3 are
 * poison (the handler always throws on a batch holding one). With the policy on (bisection, 2 retries,
 * a destination stream written through @kinesis-ts/producer), every other record is processed, the
 * 3 poison records land in the destination stream with their metadata, no shard stalls, and every
 * shard is checkpointed at its last record. With the policy off, the first poison batch stops the
 * consumer (today's behaviour) and nothing past it is checkpointed.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, kinesisStreamDestination } from '@kinesis-ts/consumer';
import { compareCheckpoints, recordText } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PutResult, putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream } from '../src/streams.js';
import { waitFor } from '../src/wait-for.js';
import { readUserRecords } from './producer-helpers.js';

const backend = getBackend();
const COUNT = 10_000;
const POISON = new Set(['key-001234', 'key-005000', 'key-009876']);

async function leaseCheckpoints(store: MemoryStateStore, stream: string, group: string) {
  const state = new MemoryState({ store });
  await state.start();
  const leases = await state.listLeases({ consumerGroup: group, streamName: stream });
  await state.close();
  return new Map(leases.map((l) => [l.shardId, l.checkpoint]));
}

describe(`consumer failure policy: 4 shards, ${COUNT} records, 3 poison (${backend.kinesisEndpoint})`, () => {
  let client: KinesisClient;
  let stream: string;
  let destinationStream: string;
  let puts: PutResult[];
  const keys = Array.from({ length: COUNT }, (_, i) => `key-${String(i).padStart(6, '0')}`);

  beforeAll(async () => {
    client = kinesisClient();
    stream = await createStream(client, { shardCount: 4 });
    destinationStream = await createStream(client, { shardCount: 1 });
    puts = await putKeys(client, stream, keys);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(4);
  }, 120_000);
  afterAll(async () => {
    await deleteStream(client, stream);
    await deleteStream(client, destinationStream);
    client.destroy();
  });

  it('policy on: 9,997 processed, 3 in the destination stream with metadata, every shard checkpointed at its end', async () => {
    const store = new MemoryStateStore();
    const group = 'failure-on';
    const consumer = new KinesisConsumer({
      streamName: stream,
      consumerGroup: group,
      state: new MemoryState({ store }),
      initialPosition: 'TRIM_HORIZON',
      checkpointInterval: { records: 500, ms: 1000 },
    });
    const processed: string[] = [];
    const processedSet = new Set<string>();
    let handlerCalls = 0;
    const started = Date.now();
    const running = consumer.run(
      async (records) => {
        handlerCalls += 1;
        for (const r of records) if (POISON.has(recordText(r))) throw new Error(`poison ${recordText(r)}`);
        for (const r of records) {
          const key = recordText(r);
          processed.push(key);
          processedSet.add(key);
        }
      },
      {
        failure: {
          bisectOnError: true,
          maxRetryAttempts: 2,
          retryBaseDelayMs: 50,
          retryMaxDelayMs: 200,
          destination: kinesisStreamDestination({
            streamName: destinationStream,
            producerOptions: { bufferTime: 50, runner: 'inline' },
          }),
        },
      },
    );
    running.catch(() => {});
    await waitFor(
      () =>
        processedSet.size === COUNT - POISON.size &&
        consumer.stats().recordsSentToDestination === POISON.size,
      {
        timeoutMs: 90_000,
        intervalMs: 100,
        description: 'every good record processed and the poison ones sent',
      },
    );
    const elapsed = Date.now() - started;
    const stats = consumer.stats();
    await consumer.close();
    await running;

    // Every good record processed once, no poison one.
    for (const key of POISON) expect(processedSet.has(key)).toBe(false);
    expect(processedSet.size).toBe(COUNT - POISON.size);

    // The destination stream holds exactly the 3 poison records, with their metadata.
    const docs = (await readUserRecords(client, destinationStream)).map(
      (r) => JSON.parse(recordText(r)) as Record<string, unknown>,
    );
    expect(docs).toHaveLength(POISON.size);
    const byKey = new Map(puts.map((p) => [p.key, p]));
    for (const doc of docs) {
      const key = Buffer.from(String(doc.data), 'base64').toString();
      expect(POISON.has(key)).toBe(true);
      const put = byKey.get(key)!;
      expect(doc).toMatchObject({
        version: 1,
        condition: 'RetryAttemptsExhausted',
        streamName: stream,
        consumerGroup: group,
        shardId: put.shardId,
        sequenceNumber: put.sequenceNumber,
        itemIdentifier: put.sequenceNumber,
        partitionKey: key,
        error: { name: 'Error', message: `poison ${key}` },
      });
      // The whole batch, each bisection level above it, and its own 3 calls failed.
      expect(doc.attempts as number).toBeGreaterThanOrEqual(3);
    }

    // No shard stalled: every shard is checkpointed at its last record.
    const last = new Map<string, string>();
    for (const p of puts) {
      const known = last.get(p.shardId);
      if (known === undefined || BigInt(p.sequenceNumber) > BigInt(known))
        last.set(p.shardId, p.sequenceNumber);
    }
    const checkpoints = await leaseCheckpoints(store, stream, group);
    for (const [shardId, sequenceNumber] of last) {
      const checkpoint = checkpoints.get(shardId);
      expect(checkpoint, shardId).toBeDefined();
      expect(compareCheckpoints(checkpoint!, { sequenceNumber, subSequenceNumber: 0 }), shardId).toBe(0);
    }

    const sentKeys = docs.map((doc) => Buffer.from(String(doc.data), 'base64').toString());
    const result = countDeliveries(
      'failure policy (3 poison, bisect, destination stream)',
      keys,
      [...processed, ...sentKeys],
      {
        processed: processedSet.size,
        toDestination: docs.length,
        handlerCalls,
        retries: stats.retries,
        bisections: stats.bisections,
        ms: elapsed,
      },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
  }, 150_000);

  it('policy off: the first poison batch stops the consumer, run() rejects, nothing past it is checkpointed', async () => {
    const store = new MemoryStateStore();
    const group = 'failure-off';
    const consumer = new KinesisConsumer({
      streamName: stream,
      consumerGroup: group,
      state: new MemoryState({ store }),
      initialPosition: 'TRIM_HORIZON',
      runner: 'inline',
    });
    let calls = 0;
    const running = consumer.run(async (records) => {
      calls += 1;
      for (const r of records) if (POISON.has(recordText(r))) throw new Error(`poison ${recordText(r)}`);
    });
    await expect(running).rejects.toThrow(/^poison key-/);
    expect(calls).toBeGreaterThan(0);
    expect(consumer.stats()).toMatchObject({ retries: 0, bisections: 0, recordsSentToDestination: 0 });
    const poisonPuts = puts.filter((p) => POISON.has(p.key));
    const checkpoints = await leaseCheckpoints(store, stream, group);
    for (const p of poisonPuts) {
      const checkpoint = checkpoints.get(p.shardId);
      if (checkpoint !== null && checkpoint !== undefined) {
        expect(
          compareCheckpoints(checkpoint, { sequenceNumber: p.sequenceNumber, subSequenceNumber: 0 }),
        ).toBeLessThan(0);
      }
    }
  }, 60_000);
});
