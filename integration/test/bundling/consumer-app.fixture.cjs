// Fixture of bundling.test.ts: the CommonJS twin of consumer-app.fixture.mjs (require, __dirname),
// bundled as CommonJS beside its bundle of '@kinesis-ts/consumer/shard-worker'.
const { join } = require('node:path');
const { KinesisConsumer } = require('@kinesis-ts/consumer');

async function main() {
  const [stream, count] = process.argv.slice(2);
  const consumer = new KinesisConsumer({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    workerScript: join(__dirname, 'kinesis-shard-worker.cjs'),
  });
  const seen = [];
  await consumer.run(async (records) => {
    for (const record of records) seen.push(Buffer.from(record.data).toString('utf8'));
    if (seen.length >= Number(count)) setImmediate(() => void consumer.close());
  });
  process.stdout.write(`${JSON.stringify({ records: seen })}\n`);
}
main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
