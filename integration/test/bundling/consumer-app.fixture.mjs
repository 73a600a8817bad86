// Fixture of bundling.test.ts: an application bundled (with esbuild) as ES module, beside its bundle
// of '@kinesis-ts/consumer/shard-worker' (the README's esbuild recipe). Reads COUNT records from the
// stream with the process runner (the default) and prints them as one JSON line. With a table name it
// keeps leases and checkpoints in DynamoDB and passes its own KinesisClient (the SDK the bundle holds,
// which may be an older 3.x). With `--no-worker-script` it prints the error start() gave.
import { fileURLToPath } from 'node:url';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const [stream, count, table, mode] = process.argv.slice(2);
const useDynamo = table !== undefined && table !== '-';
const consumer = new KinesisConsumer({
  streamName: stream,
  initialPosition: 'TRIM_HORIZON',
  ...(useDynamo
    ? {
        consumerGroup: 'bundled-app',
        state: new DynamoDBState({ tableName: table }),
        // HTTP/1.1: the SDK's default HTTP/2 handler does not work with the emulators.
        kinesisClient: new KinesisClient({ requestHandler: new NodeHttpHandler() }),
      }
    : {}),
  ...(mode === '--no-worker-script'
    ? {}
    : { workerScript: fileURLToPath(new URL('./kinesis-shard-worker.mjs', import.meta.url)) }),
});
const seen = [];
try {
  await consumer.run(async (records) => {
    for (const record of records) seen.push(Buffer.from(record.data).toString('utf8'));
    if (seen.length >= Number(count)) setImmediate(() => void consumer.close());
  });
} catch (error) {
  process.stdout.write(`${JSON.stringify({ startError: { code: error.code, message: error.message } })}\n`);
  process.exit(0);
}
process.stdout.write(`${JSON.stringify({ records: seen })}\n`);
