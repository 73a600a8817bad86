// Fixture of bundling.test.ts: an application bundled (with esbuild) as ES module, beside its bundle
// of '@kinesis-ts/producer/host' (the README's esbuild recipe). Puts COUNT records `<tag>-<i>` with the
// process runner (the default), then prints one JSON line. Without `--no-host-path` it passes
// hostModulePath; with it, it prints the error start() gave.
import { fileURLToPath } from 'node:url';
import { KinesisProducer } from '@kinesis-ts/producer';

const [stream, count, tag, mode] = process.argv.slice(2);
const producer = new KinesisProducer({
  streamName: stream,
  bufferTime: 50,
  ...(mode === '--no-host-path'
    ? {}
    : { hostModulePath: fileURLToPath(new URL('./kinesis-producer-host.mjs', import.meta.url)) }),
});
try {
  await producer.start();
} catch (error) {
  process.stdout.write(`${JSON.stringify({ startError: { code: error.code, message: error.message } })}\n`);
  process.exit(0);
}
const acks = await Promise.all(Array.from({ length: Number(count) }, (_, i) => producer.put(`${tag}-${i}`)));
await producer.close();
process.stdout.write(`${JSON.stringify({ acknowledged: acks.filter((a) => a.sequenceNumber).length })}\n`);
