/**
 * Put-to-delivery latency on kinesis-local at a low write rate: enhanced fan-out (SubscribeToShard)
 * and polling (GetRecords at the consumer's default intervals) read the same shard side by side.
 * A measurement, printed, never asserted: emulator latency is not AWS latency (kinesis-local pushes
 * an event about once a second; AWS pushes within ~70 ms).
 */
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { type KinesisRecord, recordText, systemClock } from '@kinesis-ts/core';
import { expect, it } from 'vitest';
import {
  createFanOutClient,
  sdkFanOutApi,
  sdkStreamConsumerApi,
} from '../../packages/consumer/src/fan-out/fan-out-api.js';
import { FanOutShardSource } from '../../packages/consumer/src/fan-out/fan-out-source.js';
import { ensureStreamConsumer } from '../../packages/consumer/src/fan-out/stream-consumer-registration.js';
import { createKinesisClient, sdkKinesisApi } from '../../packages/consumer/src/kinesis-client.js';
import type { RecordSourceObserver, ShardRecordSource } from '../../packages/consumer/src/record-source.js';
import { PollingShardReader } from '../../packages/consumer/src/shard-reader.js';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream, listAllShards } from '../src/streams.js';

const backend = getBackend();
const missing = skipReason(Capability.KinesisFidelity);
if (missing !== undefined) console.log(`[consumer-efo-latency] skipped: ${missing}`);
const endpoint = backend.kinesisFidelityEndpoint ?? '';
const RATE_PER_S = Number(process.env.EFO_LATENCY_RATE ?? 5);
const COUNT = Number(process.env.EFO_LATENCY_COUNT ?? 50);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const quiet: RecordSourceObserver = { throttled: () => {}, log: () => {} };

it.skipIf(missing !== undefined)(
  `put-to-delivery latency, EFO vs polling, ${COUNT} records at ${RATE_PER_S}/s (kinesis-local)`,
  async () => {
    const admin = kinesisClient(endpoint);
    const stream = await createStream(admin, { shardCount: 1 });
    const fanOut = createFanOutClient({ endpoint, region: backend.region }, backend.credentials);
    const fanOutHttp1 = createFanOutClient({ endpoint, region: backend.region }, backend.credentials, {
      protocol: 'http1',
    });
    const polling = createKinesisClient({ endpoint, region: backend.region }, backend.credentials);
    const abort = new AbortController();
    try {
      const shardId = (await listAllShards(admin, stream))[0]!.ShardId!;
      const { consumerArn } = await ensureStreamConsumer(sdkStreamConsumerApi(admin), {
        streamName: stream,
        consumerName: 'latency',
        pollIntervalMs: 200,
      });
      const second = await ensureStreamConsumer(sdkStreamConsumerApi(admin), {
        streamName: stream,
        consumerName: 'latency-http1',
        pollIntervalMs: 200,
      });
      const spec = { streamName: stream, shardId, hashKeyRange: null, position: { type: 'LATEST' as const } };
      const efo = new FanOutShardSource(sdkFanOutApi(fanOut), spec, quiet, {
        consumerArn,
        clock: systemClock,
      });
      const efoHttp1 = new FanOutShardSource(sdkFanOutApi(fanOutHttp1), spec, quiet, {
        consumerArn: second.consumerArn,
        clock: systemClock,
      });
      const poll = new PollingShardReader(sdkKinesisApi(polling), spec, quiet, {
        minPollIntervalMs: 200,
        idlePollIntervalMs: 1000,
        clock: systemClock,
      });
      // Position every reader (LATEST) before the first put.
      await Promise.all([efo, efoHttp1, poll].map((source) => source.next(10_000, abort.signal)));
      const putAt = new Map<string, number>();
      const latencies = { 'efo-http2': [] as number[], 'efo-http1': [] as number[], polling: [] as number[] };
      const read = async (name: keyof typeof latencies, source: ShardRecordSource) => {
        while (latencies[name].length < COUNT) {
          const batch = await source.next(10_000, abort.signal);
          const now = performance.now();
          for (const record of batch.records as KinesisRecord[]) {
            const at = putAt.get(recordText(record));
            if (at !== undefined) latencies[name].push(now - at);
          }
        }
      };
      const readers = Promise.all([
        read('efo-http2', efo),
        read('efo-http1', efoHttp1),
        read('polling', poll),
      ]);
      const started = performance.now();
      for (let i = 0; i < COUNT; i++) {
        const due = started + (i * 1000) / RATE_PER_S;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const key = `lat-${i}`;
        putAt.set(key, performance.now());
        await admin.send(
          new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: Buffer.from(key) }),
        );
      }
      await readers;
      await Promise.all([efo.close(), efoHttp1.close()]);
      const rows = Object.entries(latencies).map(([name, values]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return `${name.padEnd(9)} p50 ${percentile(sorted, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(
          sorted,
          99,
        )
          .toFixed(0)
          .padStart(5)} ms  max ${sorted.at(-1)!.toFixed(0).padStart(5)} ms  (n=${sorted.length})`;
      });
      console.log(
        `[consumer-efo-latency] put-to-delivery on kinesis-local, ${COUNT} records at ${RATE_PER_S}/s, one shard, all readers side by side:\n  ${rows.join('\n  ')}\n  (emulator figures, not AWS latency: kinesis-local pushes an EFO event about once a second, and over HTTP/2 its events carry the records of the previous second; polling: 200 ms while behind, 1 s when caught up)`,
      );
      expect(latencies['efo-http2']).toHaveLength(COUNT);
      expect(latencies['efo-http1']).toHaveLength(COUNT);
      expect(latencies.polling).toHaveLength(COUNT);
    } finally {
      abort.abort();
      fanOut.destroy();
      fanOutHttp1.destroy();
      polling.destroy();
      await deleteStream(admin, stream);
      admin.destroy();
    }
  },
  120_000,
);
