/**
 * A shard reader's fatal error crosses from the shard process / thread to the consumer with its
 * code, message, context and the SDK's cause, as it does inline: the stream is deleted while the
 * consumer reads it, the shard worker's ListShards finds it gone (STREAM_NOT_FOUND), and run()
 * rejects with that error.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type RunnerKind } from '@kinesis-ts/consumer';
import { isKinesisTsError } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream } from '../src/streams.js';

const backend = getBackend();

describe(`consumer errors across IPC (${backend.kinesisEndpoint})`, () => {
  for (const runner of ['process', 'thread', 'inline'] as RunnerKind[]) {
    it(`the ${runner} runner rejects run() with STREAM_NOT_FOUND and its SDK cause`, async () => {
      const client = kinesisClient();
      const stream = await createStream(client, { shardCount: 1 });
      try {
        await client.send(
          new PutRecordsCommand({
            StreamName: stream,
            Records: [{ PartitionKey: 'k', Data: Buffer.from('first') }],
          }),
        );
        const consumer = new KinesisConsumer({
          streamName: stream,
          initialPosition: 'TRIM_HORIZON',
          runner,
          idlePollIntervalMs: 200,
        });
        let deleted = false;
        const run = consumer.run(async () => {
          if (deleted) return;
          deleted = true;
          await deleteStream(client, stream);
        });
        const error = await run.then(
          () => new Error('run() resolved'),
          (e: unknown) => e,
        );
        await consumer.close();
        expect(deleted).toBe(true);
        expect(isKinesisTsError(error, 'STREAM_NOT_FOUND'), String(error)).toBe(true);
        if (!isKinesisTsError(error)) return;
        expect(error.context).toMatchObject({ streamName: stream });
        const cause = error.cause as Error & { $metadata?: { httpStatusCode?: number } };
        expect(cause, 'the SDK error survives the process boundary').toBeInstanceOf(Error);
        expect(cause.name).toBe('ResourceNotFoundException');
        expect(cause.$metadata?.httpStatusCode).toBe(400);
      } finally {
        await deleteStream(client, stream);
        client.destroy();
      }
    }, 60_000);
  }
});
