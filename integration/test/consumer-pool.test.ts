import { availableParallelism } from 'node:os';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type KinesisConsumerOptions } from '@kinesis-ts/consumer';
import { recordText } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertShardOrder, type Delivered, putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { isProcessAlive } from '../src/process-check.js';
import { mib, totalMemory } from '../src/process-memory.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream } from '../src/streams.js';

const backend = getBackend();

/** Reads until every key was delivered at least once; `onRecord` may inject a fault. */
async function drain(
  consumer: KinesisConsumer,
  keys: readonly string[],
  onRecord: (delivered: number, shardId: string) => void = () => {},
): Promise<{ delivered: Delivered[]; pids: Record<string, number> }> {
  const delivered: Delivered[] = [];
  const seen = new Set<string>();
  let pids: Record<string, number> = {};
  for await (const record of consumer) {
    const key = recordText(record);
    delivered.push({ key, shardId: record.shardId, sequenceNumber: record.sequenceNumber });
    seen.add(key);
    onRecord(delivered.length, record.shardId);
    if (seen.size === keys.length) {
      pids = consumer.shardProcessIds;
      break;
    }
  }
  return { delivered, pids };
}

/** Shards by the pid of the pooled process that reads them. */
function byPid(pids: Record<string, number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [shardId, pid] of Object.entries(pids)) out.set(pid, [...(out.get(pid) ?? []), shardId].sort());
  return out;
}

describe(`consumer with a pool of shard processes (${backend.kinesisEndpoint})`, () => {
  let client: KinesisClient;
  const streams: string[] = [];

  const filled = async (shardCount: number, count: number, prefix: string) => {
    const stream = await createStream(client, { shardCount });
    streams.push(stream);
    const keys = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);
    const puts = await putKeys(client, stream, keys);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(shardCount);
    return { stream, keys };
  };
  const options = (stream: string, extra: Partial<KinesisConsumerOptions> = {}): KinesisConsumerOptions => ({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    failoverTimeMs: 3000,
    ...extra,
  });

  let sixteen: { stream: string; keys: string[] };
  beforeAll(async () => {
    client = kinesisClient();
    sixteen = await filled(16, 8000, 'pool16');
  }, 60_000);
  afterAll(async () => {
    for (const stream of streams) await deleteStream(client, stream);
    client.destroy();
  });

  it('reads 16 shards on 2 processes: every record once, in shard order; both processes end at close', async () => {
    const { stream, keys } = sixteen;
    const consumer = new KinesisConsumer(options(stream, { maxProcesses: 2 }));
    const { delivered, pids } = await drain(consumer, keys);
    const result = countDeliveries(
      'pool 16 shards on 2 processes',
      keys,
      delivered.map((d) => d.key),
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(assertShardOrder(delivered)).toEqual([]);
    const groups = byPid(pids);
    expect(Object.keys(pids)).toHaveLength(16);
    expect([...groups.values()].map((shards) => shards.length)).toEqual([8, 8]);
    for (const pid of groups.keys()) expect(isProcessAlive(pid)).toBe(false);
  }, 60_000);

  it('a SIGKILL of one pooled process restarts only its shards, from their last received records', async () => {
    const { stream, keys } = sixteen;
    const consumer = new KinesisConsumer(options(stream, { maxProcesses: 2, maxBufferedRecords: 100 }));
    const crashed: string[] = [];
    const restarted: string[] = [];
    consumer.on('shardCrashed', (e) => crashed.push(e.shardId));
    consumer.on('shardStarted', (e) => {
      if (e.restart > 0) restarted.push(e.shardId);
    });
    let killed: { pid: number; shards: string[] } | undefined;
    const { delivered } = await drain(consumer, keys, (n, shardId) => {
      if (n !== 1500) return;
      const pid = consumer.shardProcessIds[shardId]!;
      killed = { pid, shards: byPid(consumer.shardProcessIds).get(pid)! };
      process.kill(pid, 'SIGKILL');
    });
    const result = countDeliveries(
      'pool SIGKILL of one of 2 processes',
      keys,
      delivered.map((d) => d.key),
      { shardsOnKilled: killed?.shards.length ?? 0, restarted: restarted.length },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(assertShardOrder(delivered)).toEqual([]);
    expect(killed).toBeDefined();
    expect(killed!.shards).toHaveLength(8);
    // Only the shards of the killed process crashed, each once, and each was restarted.
    expect([...crashed].sort()).toEqual(killed!.shards);
    expect([...new Set(restarted)].sort()).toEqual(killed!.shards);
    expect(isProcessAlive(killed!.pid)).toBe(false);
  }, 60_000);

  it("a hung pooled process (SIGSTOP) is found by its shards' heartbeats and killed; only its shards restart", async () => {
    const { stream, keys } = sixteen;
    const consumer = new KinesisConsumer(
      options(stream, { maxProcesses: 2, maxBufferedRecords: 100, heartbeatTimeoutMs: 1500 }),
    );
    const crashed: string[] = [];
    consumer.on('shardCrashed', (e) => crashed.push(e.shardId));
    let stopped: { pid: number; shards: string[] } | undefined;
    const { delivered } = await drain(consumer, keys, (n, shardId) => {
      if (n !== 1500) return;
      const pid = consumer.shardProcessIds[shardId]!;
      stopped = { pid, shards: byPid(consumer.shardProcessIds).get(pid)! };
      process.kill(pid, 'SIGSTOP'); // alive but silent: no heartbeat, no batch, no answer to a stop
    });
    const result = countDeliveries(
      'pool SIGSTOP of one of 2 processes',
      keys,
      delivered.map((d) => d.key),
      { shardsOnStopped: stopped?.shards.length ?? 0, crashes: crashed.length },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(assertShardOrder(delivered)).toEqual([]);
    expect(stopped!.shards).toHaveLength(8);
    expect([...crashed].sort()).toEqual(stopped!.shards);
    expect(isProcessAlive(stopped!.pid)).toBe(false);
  }, 60_000);

  it('reads 64 shards on one instance with the default pool: all records, total RSS < 1 GiB', async () => {
    const { stream, keys } = await filled(64, 6400, 'pool64');
    const consumer = new KinesisConsumer(options(stream));
    let peak = { rss: 0, pss: null as number | null, processes: 0 };
    const sample = (): void => {
      const pids = [process.pid, ...Object.values(consumer.shardProcessIds)];
      const now = totalMemory(pids);
      if (now.rss > peak.rss) peak = now;
    };
    const sampler = setInterval(sample, 200);
    let drained: Awaited<ReturnType<typeof drain>>;
    try {
      drained = await drain(consumer, keys, (n) => {
        if (n === 1) sample();
      });
    } finally {
      clearInterval(sampler);
    }
    const { delivered, pids } = drained;
    const workers = new Set(Object.values(pids)).size;
    const result = countDeliveries(
      'pool 64 shards, default pool',
      keys,
      delivered.map((d) => d.key),
      {
        processes: workers,
        peakRssMiB: mib(peak.rss),
        peakPssMiB: peak.pss === null ? 'n/a' : mib(peak.pss),
      },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(assertShardOrder(delivered)).toEqual([]);
    expect(Object.keys(pids)).toHaveLength(64);
    expect(workers).toBe(Math.min(64, availableParallelism()));
    // The main process (this test worker) and every shard process together.
    expect(peak.processes).toBe(workers + 1);
    expect(peak.rss).toBeLessThan(1024 * 1024 * 1024);
  }, 60_000);
});
