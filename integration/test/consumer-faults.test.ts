import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type KinesisConsumerOptions } from '@kinesis-ts/consumer';
import {
  type KinesisRecord,
  LifecycleError,
  recordText,
  type StateAdapter,
  ValidationError,
} from '@kinesis-ts/core';
import { MemoryState } from '@kinesis-ts/state-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertShardOrder, missingKeys, putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { isProcessAlive } from '../src/process-check.js';
import { createStream, deleteStream } from '../src/streams.js';

const backend = getBackend();
const COUNT = 2000;

/** Reads until every key was seen; returns what was delivered. */
async function drain(
  consumer: KinesisConsumer,
  keys: readonly string[],
  onRecord: (record: KinesisRecord, index: number) => void | Promise<void> = () => {},
) {
  const delivered: Array<{ key: string; shardId: string; sequenceNumber: string }> = [];
  const seen = new Set<string>();
  for await (const record of consumer) {
    const key = recordText(record);
    delivered.push({ key, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
    seen.add(key);
    await onRecord(record, delivered.length);
    if (seen.size === keys.length) break;
  }
  expect(missingKeys(keys, seen)).toEqual([]);
  expect(assertShardOrder(delivered)).toEqual([]);
  expect(delivered).toHaveLength(keys.length);
  return delivered;
}

describe('consumer under injected faults (kinesalite behind a fault proxy)', () => {
  let client: KinesisClient;
  let proxy: FaultProxy;
  const streams: string[] = [];

  const filledStream = async (prefix: string): Promise<{ stream: string; keys: string[] }> => {
    const stream = await createStream(client, { shardCount: 2 });
    streams.push(stream);
    const keys = Array.from({ length: COUNT }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
    await putKeys(client, stream, keys);
    return { stream, keys };
  };
  const options = (stream: string, extra: Partial<KinesisConsumerOptions> = {}): KinesisConsumerOptions => ({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    // One attempt per SDK call: every injected fault reaches the shard reader.
    clientConfig: { endpoint: proxy.endpoint, maxAttempts: 1 },
    failoverTimeMs: 3000,
    maxRecordsPerCall: 250,
    ...extra,
  });

  beforeAll(async () => {
    client = kinesisClient();
    proxy = await FaultProxy.start(backend.kinesisEndpoint);
  });
  afterAll(async () => {
    for (const stream of streams) await deleteStream(client, stream);
    client.destroy();
    await proxy.close();
  });

  it('backs off on throttling (reported as events) and still delivers everything once, in order', async () => {
    const { stream, keys } = await filledStream('throttle');
    const rule = proxy.throttle('GetRecords', 6);
    const consumer = new KinesisConsumer(options(stream, { runner: 'process' }));
    const throttled: number[] = [];
    consumer.on('throttled', (e) => throttled.push(e.backoffMs));
    await drain(consumer, keys);
    expect(rule.hits).toBe(6);
    expect(throttled).toHaveLength(6);
    proxy.clearFaults();
  }, 60_000);

  it('recovers from expired iterators without loss or duplicates', async () => {
    const { stream, keys } = await filledStream('expired');
    const consumer = new KinesisConsumer(options(stream, { runner: 'thread' }));
    let rule: ReturnType<FaultProxy['expireIterator']> | undefined;
    await drain(consumer, keys, (_record, n) => {
      if (n === 300) rule = proxy.expireIterator(4);
    });
    expect(rule?.hits).toBe(4);
    proxy.clearFaults();
  }, 60_000);

  it('restarts a killed shard process from the last received record', async () => {
    const { stream, keys } = await filledStream('killed');
    const consumer = new KinesisConsumer(options(stream, { runner: 'process', maxBufferedRecords: 200 }));
    const crashes: string[] = [];
    const starts: Array<{ shardId: string; restart: number }> = [];
    consumer.on('shardCrashed', (e) => crashes.push(e.shardId));
    consumer.on('shardStarted', (e) => starts.push({ shardId: e.shardId, restart: e.restart }));
    let killed: { shardId: string; pid: number } | undefined;
    await drain(consumer, keys, async (record, n) => {
      if (n === 100) {
        const pid = consumer.shardProcessIds[record.shardId]!;
        killed = { shardId: record.shardId, pid };
        process.kill(pid, 'SIGKILL');
      }
    });
    expect(killed).toBeDefined();
    expect(isProcessAlive(killed!.pid)).toBe(false);
    expect(crashes).toEqual([killed!.shardId]);
    expect(starts).toContainEqual({ shardId: killed!.shardId, restart: 1 });
  }, 60_000);

  it('detects a hung shard process by its missing heartbeat and replaces it', async () => {
    const { stream, keys } = await filledStream('hung');
    const consumer = new KinesisConsumer(
      options(stream, { runner: 'process', heartbeatTimeoutMs: 1500, maxBufferedRecords: 200 }),
    );
    const crashes: string[] = [];
    consumer.on('shardCrashed', (e) => crashes.push(e.reason));
    let stopped: number | undefined;
    await drain(consumer, keys, (record, n) => {
      if (n === 100) {
        stopped = consumer.shardProcessIds[record.shardId]!;
        process.kill(stopped, 'SIGSTOP'); // alive but silent: no heartbeat, no batch
      }
    });
    expect(crashes.some((reason) => reason.includes('hung'))).toBe(true);
    expect(isProcessAlive(stopped!)).toBe(false);
  }, 60_000);

  it('keeps delivering while the state adapter throws for a while (errors are events)', async () => {
    const { stream, keys } = await filledStream('state');
    const inner = new MemoryState();
    let failing = false;
    const flaky = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (failing && ['renewLease', 'checkpoint', 'listLeases'].includes(String(property))) {
            return Promise.reject(new Error(`injected ${String(property)} failure`));
          }
          return value.apply(target, args);
        };
      },
    }) as StateAdapter;
    const consumer = new KinesisConsumer(
      options(stream, {
        runner: 'inline',
        state: flaky,
        renewIntervalMs: 500,
        leaseScanIntervalMs: 500,
        checkpointInterval: { records: 100, ms: 500 },
      }),
    );
    const errors: string[] = [];
    consumer.on('error', (e) => errors.push(e.code));
    await drain(consumer, keys, async (_record, n) => {
      if (n === 500) {
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        failing = false;
      }
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(['STATE_STORE_UNAVAILABLE']));
  }, 60_000);

  it('rejects bad input with typed errors; nothing hangs', async () => {
    const unknown = new KinesisConsumer({ streamName: 'no-such-stream', runner: 'process' });
    const started = Date.now();
    await expect(unknown[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    await expect(new KinesisConsumer({ streamName: 'no-such-stream' }).run(() => {})).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(unknown[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(LifecycleError);

    const stream = streams[0]!;
    const consumer = new KinesisConsumer({
      streamName: stream,
      initialPosition: 'TRIM_HORIZON',
      runner: 'inline',
    });
    for await (const _record of consumer) break;
    await expect(consumer[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(LifecycleError);
    await expect(consumer.run(() => {})).rejects.toBeInstanceOf(LifecycleError);

    expect(() => new KinesisConsumer({ streamName: 'bad name!' })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: stream, maxBufferedRecords: 0 })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: stream, renewIntervalMs: 20_000 })).toThrow(
      ValidationError,
    );
  }, 60_000);
});
