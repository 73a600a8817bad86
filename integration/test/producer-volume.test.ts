import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode } from '@kinesis-ts/core';
import { KinesisProducer, type PutResult } from '@kinesis-ts/producer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream } from '../src/streams.js';
import { waitFor } from '../src/wait-for.js';
import { readUserRecords } from './producer-helpers.js';

const backend = getBackend();

/** 100-byte payloads, each unique. */
function payloads(n: number, tag: string): string[] {
  const noise = randomBytes(40).toString('hex');
  return Array.from({ length: n }, (_, i) => `${tag}-${i}-${noise}`.padEnd(100, '.').slice(0, 100));
}

describe(`producer volume (${backend.name}, process runner from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  const streams: string[] = [];
  // Delete each test's streams at once: kinesalite caps the shards of all live streams (10 by default).
  afterEach(async () => {
    for (const stream of streams.splice(0)) await deleteStream(client, stream);
  });
  afterAll(async () => {
    client.destroy();
  });

  for (const aggregation of [false, true]) {
    it(`20,000 records ${aggregation ? 'with' : 'without'} aggregation into 4 shards: exactly the records put, each where its promise says`, async () => {
      const stream = await createStream(client, { shardCount: 4 });
      streams.push(stream);
      const producer = new KinesisProducer({ streamName: stream, bufferTime: 100, aggregation });
      const data = payloads(20_000, aggregation ? 'agg' : 'plain');
      let results: PutResult[];
      try {
        results = await Promise.all(data.map((d) => producer.put(d)));
      } finally {
        await producer.close();
      }
      expect(producer.stats()).toMatchObject({
        recordsPut: 20_000,
        recordsAcknowledged: 20_000,
        recordsFailed: 0,
      });

      const records = await readUserRecords(client, stream);
      const text = records.map((r) => Buffer.from(r.data).toString('utf8'));
      expect(text).toHaveLength(20_000);
      expect(new Set(text).size).toBe(20_000);
      const where = new Map(records.map((r, i) => [text[i]!, r]));
      results.forEach((result, i) => {
        const landed = where.get(data[i]!);
        expect(landed, data[i]).toBeDefined();
        expect(result.shardId).toBe(landed!.shardId);
        expect(result.sequenceNumber).toBe(landed!.sequenceNumber);
        // An aggregate that holds one record when its buffer time runs out is sent plain (as the KPL
        // does), which happens under load: the promise says how the record was sent.
        expect(result.aggregated).toBe(aggregation && landed!.aggregated);
        if (result.aggregated) expect(result.subSequenceNumber).toBe(landed!.subSequenceNumber);
      });
      const perShard = new Set(results.map((r) => r.shardId));
      expect(perShard.size).toBe(4);
      if (aggregation) {
        const kinesisRecords = new Set(results.map((r) => r.sequenceNumber)).size;
        expect(kinesisRecords).toBeLessThan(200);
      }
    }, 60_000);
  }

  it('unknown stream: put() and start() reject with STREAM_NOT_FOUND; close() still ends the host', async () => {
    const producer = new KinesisProducer({ streamName: 'no-such-stream-producer' });
    await expect(producer.put('x')).rejects.toMatchObject({ code: ErrorCode.STREAM_NOT_FOUND });
    await expect(producer.start()).rejects.toMatchObject({ code: ErrorCode.STREAM_NOT_FOUND });
    await producer.close();
    await expect(producer.put('y')).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it.each(['process', 'inline'] as const)(
    'unknown stream (%s runner): the typed error keeps its SDK cause across the process boundary',
    async (runner) => {
      const producer = new KinesisProducer({ streamName: 'no-such-stream-producer', runner });
      const failures = await Promise.allSettled([producer.start(), producer.put('x')]);
      for (const failure of failures) {
        expect(failure.status).toBe('rejected');
        const error = (failure as PromiseRejectedResult).reason as Error & { code?: string };
        expect(error.code).toBe(ErrorCode.STREAM_NOT_FOUND);
        const cause = error.cause as Error & { $metadata?: { httpStatusCode?: number } };
        expect(cause).toBeInstanceOf(Error);
        expect(cause.name).toBe('ResourceNotFoundException');
        expect(cause.message).toMatch(/no-such-stream-producer/);
        expect(cause.$metadata?.httpStatusCode).toBe(400);
      }
      await producer.close();
    },
  );

  it('credentials reach the host only over IPC, from the provider given to the producer', async () => {
    const stream = await createStream(client, { shardCount: 1 });
    streams.push(stream);
    const secret = `secret-${randomBytes(8).toString('hex')}`;
    let calls = 0;
    const marker = `creds-${randomBytes(6).toString('hex')}`;
    process.env.PRODUCER_TEST_MARKER = marker; // inherited by the host at fork: lets the test find it
    const producer = new KinesisProducer({
      streamName: stream,
      bufferTime: 10,
      credentials: async () => {
        calls++;
        return {
          accessKeyId: 'AKIDPRODUCERTEST',
          secretAccessKey: secret,
          // 5 min + 1.5 s: the host refreshes 5 min before expiry, so in about 1.5 s.
          expiration: new Date(Date.now() + 301_500),
        };
      },
    });
    try {
      await producer.start();
      delete process.env.PRODUCER_TEST_MARKER;
      await Promise.all(Array.from({ length: 20 }, (_, i) => producer.put(`c${i}`)));
      expect(calls).toBe(1);
      await waitFor(() => calls >= 2, {
        timeoutMs: 5000,
        description: 'the host to refresh its credentials',
      });
      await Promise.all(Array.from({ length: 20 }, (_, i) => producer.put(`d${i}`)));
      if (existsSync('/proc')) {
        const host = readdirSync('/proc').find((pid) => {
          try {
            return (
              /^\d+$/.test(pid) &&
              readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`PRODUCER_TEST_MARKER=${marker}`)
            );
          } catch {
            return false;
          }
        });
        expect(host).toBeDefined();
        const environ = readFileSync(`/proc/${host}/environ`, 'latin1');
        const cmdline = readFileSync(`/proc/${host}/cmdline`, 'latin1');
        for (const text of [environ, cmdline]) {
          expect(text).not.toContain(secret);
          expect(text).not.toContain('AWS_SECRET_ACCESS_KEY');
          expect(text).not.toContain('AWS_ACCESS_KEY_ID');
        }
      }
    } finally {
      delete process.env.PRODUCER_TEST_MARKER;
      await producer.close();
    }
    expect(await readUserRecords(client, stream)).toHaveLength(40);
  });
});
