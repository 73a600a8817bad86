/**
 * `workerClientModule`: shard processes and threads read with the client the user's module builds
 * (its middleware sees every call they make), with the main process's region/endpoint and the
 * credentials it sends over IPC. Observed on the FaultProxy in front of the emulator (a header the
 * module's middleware adds) and in a file the middleware appends to.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type RunnerKind } from '@kinesis-ts/consumer';
import { recordText } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream } from '../src/streams.js';

const backend = getBackend();
const moduleFile = fileURLToPath(new URL('./consumer-client-module.fixture.mjs', import.meta.url));

describe(`consumer workerClientModule (${backend.kinesisEndpoint})`, () => {
  let client: KinesisClient;
  let proxy: FaultProxy;
  let stream: string;
  let keys: string[];
  const dir = mkdtempSync(join(tmpdir(), 'kinesis-ts-client-module-'));

  beforeAll(async () => {
    client = kinesisClient();
    stream = await createStream(client, { shardCount: 2 });
    keys = Array.from({ length: 300 }, (_, i) => `cm-${String(i).padStart(4, '0')}`);
    await putKeys(client, stream, keys);
    proxy = await FaultProxy.start(backend.kinesisEndpoint);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await deleteStream(client, stream);
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const runner of ['process', 'thread'] as RunnerKind[]) {
    it(`the ${runner} runner's workers read with the module's client: every worker call carries its middleware`, async () => {
      const log = join(dir, `${runner}.log`);
      process.env.KINESIS_TS_CLIENT_MODULE_LOG = log;
      // Every request through the proxy, with the module's tag (or none: the main process's client).
      const seen: Array<{ operation: string | undefined; tag: string | undefined }> = [];
      const observer = proxy.inject(
        (request) => {
          const tag = request.headers['x-client-module'];
          seen.push({ operation: request.operation, tag: Array.isArray(tag) ? tag[0] : tag });
          return false;
        },
        { kind: 'delay', ms: 0 },
        Number.POSITIVE_INFINITY,
      );
      const consumer = new KinesisConsumer({
        streamName: stream,
        initialPosition: 'TRIM_HORIZON',
        runner,
        maxProcesses: 2,
        maxThreads: 2,
        idlePollIntervalMs: 200,
        clientConfig: {
          endpoint: proxy.endpoint,
          region: backend.region,
          ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
        },
        workerClientModule: moduleFile,
      });
      const delivered: string[] = [];
      const remaining = new Set(keys);
      try {
        for await (const record of consumer) {
          delivered.push(recordText(record));
          remaining.delete(recordText(record));
          if (remaining.size === 0) break;
        }
      } finally {
        await consumer.close();
        observer.cancel();
        delete process.env.KINESIS_TS_CLIENT_MODULE_LOG;
      }
      const result = countDeliveries(`workerClientModule, ${runner} runner`, keys, delivered);
      reportScenario(result);
      expect(result.missing).toBe(0);

      const workerCalls = seen.filter(
        (s) => s.operation === 'GetRecords' || s.operation === 'GetShardIterator',
      );
      expect(workerCalls.length).toBeGreaterThanOrEqual(4); // 2 shards: an iterator and a read each
      // Every read came through the module's client (the middleware tagged it) ...
      expect(workerCalls.filter((s) => s.tag === undefined)).toEqual([]);
      // ... in the shard processes/threads, not the main one (which made the untagged ListShards).
      const mainTag = `${process.pid}/0`;
      expect(workerCalls.some((s) => s.tag === mainTag)).toBe(false);
      if (runner === 'process')
        expect(new Set(workerCalls.map((s) => s.tag!.split('/')[0])).has(String(process.pid))).toBe(false);
      else expect(workerCalls.every((s) => s.tag!.startsWith(`${process.pid}/`))).toBe(true);
      expect(seen.some((s) => s.operation === 'ListShards' && s.tag === undefined)).toBe(true);

      // The middleware's own count matches what reached the emulator, and credentials came over IPC.
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      const logged = lines.filter((l) => / (GetRecordsCommand|GetShardIteratorCommand) /.test(l));
      expect(logged.length).toBe(workerCalls.length);
      expect(lines.every((l) => l.endsWith(' ipc'))).toBe(true);
    }, 90_000);
  }
});
