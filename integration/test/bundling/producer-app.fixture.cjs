// Fixture of bundling.test.ts: the CommonJS twin of producer-app.fixture.mjs (require, __dirname),
// bundled as CommonJS beside its bundle of '@kinesis-ts/producer/host'.
const { join } = require('node:path');
const { KinesisProducer } = require('@kinesis-ts/producer');

async function main() {
  const [stream, count, tag] = process.argv.slice(2);
  const producer = new KinesisProducer({
    streamName: stream,
    bufferTime: 50,
    hostModulePath: join(__dirname, 'kinesis-producer-host.cjs'),
  });
  await producer.start();
  const acks = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) => producer.put(`${tag}-${i}`)),
  );
  await producer.close();
  process.stdout.write(`${JSON.stringify({ acknowledged: acks.filter((a) => a.sequenceNumber).length })}\n`);
}
main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
