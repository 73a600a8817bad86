import { createServer, type Server, type Socket } from 'node:net';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode } from '@kinesis-ts/core';
import { KinesisProducer, ProducerRecordError } from '@kinesis-ts/producer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStream, deleteStream } from '../src/streams.js';
import { readUserRecords } from './producer-helpers.js';

const backend = getBackend();

/** Slack for scheduling on a loaded 2-core machine; the bounds under test are seconds apart from "forever". */
const SLACK_MS = 2500;

/** A TCP server that accepts connections and never answers (a black-holed endpoint). */
async function blackHole(): Promise<{ endpoint: string; close(): Promise<void>; connections(): number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Milliseconds `promise` took to settle, and how. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - start, value };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

describe(`producer: every request is bounded in time (${backend.name}, process runner from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  const streams: string[] = [];
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await FaultProxy.start(backend.kinesisEndpoint);
  });
  afterEach(async () => {
    proxy.clearFaults();
    for (const stream of streams.splice(0)) await deleteStream(client, stream);
  });
  afterAll(async () => {
    await proxy.close();
    client.destroy();
  });

  it('an endpoint that accepts connections and never answers: put() and start() reject TIMEOUT after requestTimeout, close() settles at once', async () => {
    const hole = await blackHole();
    try {
      const producer = new KinesisProducer({
        streamName: 'never-answered',
        clientConfig: { endpoint: hole.endpoint },
        requestTimeout: 1500,
      });
      const put = timed(producer.put('a'));
      const started = await timed(producer.start());
      const putResult = await put;
      expect(hole.connections()).toBeGreaterThan(0);
      expect(putResult.error).toMatchObject({
        code: ErrorCode.TIMEOUT,
        context: { operation: 'DescribeStreamSummary' },
      });
      expect(putResult.ms).toBeGreaterThanOrEqual(1400);
      expect(putResult.ms).toBeLessThan(1500 + SLACK_MS);
      expect(started.error).toMatchObject({ code: ErrorCode.TIMEOUT });
      const closed = await timed(producer.close());
      expect(closed.error).toBeUndefined();
      expect(closed.ms).toBeLessThan(SLACK_MS);
    } finally {
      await hole.close();
    }
  }, 30_000);

  it('PutRecords written but never answered: put() rejects RECORD_EXPIRED (maybeWritten) at recordTtl, never lost; close({ timeoutMs }) bounds the rest', async () => {
    const stream = await createStream(client, { shardCount: 1 });
    streams.push(stream);
    const producer = new KinesisProducer({
      streamName: stream,
      clientConfig: { endpoint: proxy.endpoint },
      bufferTime: 50,
      requestTimeout: 1000,
      recordTtl: 3500,
      retry: { baseDelay: 50, maxDelay: 200 },
    });
    await producer.start();
    // Every PutRecords reaches the emulator (the records are written) and its answer never comes back.
    proxy.inject(
      'PutRecords',
      {
        kind: 'respond',
        respond: async (_request, forward) => {
          await forward();
          return new Promise<never>(() => {});
        },
      },
      Number.POSITIVE_INFINITY,
    );
    const data = Array.from({ length: 200 }, (_, i) => `hung-${i}`);
    const outcomes = await timed(Promise.allSettled(data.map((d) => producer.put(d))));
    expect(outcomes.ms).toBeGreaterThanOrEqual(3400);
    expect(outcomes.ms).toBeLessThan(3500 + SLACK_MS);
    for (const outcome of outcomes.value!) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as ProducerRecordError;
      expect(reason).toBeInstanceOf(ProducerRecordError);
      expect(reason.code).toBe(ErrorCode.RECORD_EXPIRED);
      expect(reason.context).toMatchObject({ maybeWritten: true, lastError: 'RequestTimeout' });
    }
    const stats = producer.stats();
    expect(stats.requestsTimedOut).toBeGreaterThanOrEqual(3);
    expect(stats.recordsOutcomeUnknown).toBeGreaterThanOrEqual(3 * data.length);

    // close({ timeoutMs }) with records in flight: it ends on time, they reject TIMEOUT.
    const late = timed(producer.put('late'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = await timed(producer.close({ timeoutMs: 500 }));
    expect(closed.error).toBeUndefined();
    expect(closed.ms).toBeLessThan(500 + SLACK_MS);
    const lateResult = await late;
    expect(lateResult.error).toMatchObject({ code: ErrorCode.TIMEOUT, context: { maybeWritten: true } });
    proxy.clearFaults();

    // Unknown outcome means duplicates, never loss: every record is in the stream, most several times.
    const inStream = (await readUserRecords(client, stream)).map((r) => Buffer.from(r.data).toString('utf8'));
    const result = countDeliveries('producer PutRecords never answered', data, inStream, {
      requestsTimedOut: stats.requestsTimedOut,
      recordsOutcomeUnknown: stats.recordsOutcomeUnknown,
    });
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBeGreaterThan(0);
  }, 60_000);
});
