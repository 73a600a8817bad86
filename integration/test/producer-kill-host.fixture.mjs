// Fixture of producer-kill.test.ts: a "host application" that puts N records with the built producer,
// waits until they are handed to the background host (not acknowledged), prints "accepted", and then
// idles until the test kills it.
import { KinesisProducer } from '@kinesis-ts/producer';

const [stream, count, marker, mode] = process.argv.slice(2);
const handleSignals = mode === 'handle-signals';
process.env.PRODUCER_TEST_MARKER = marker; // inherited by the background host: lets the test find it
const producer = new KinesisProducer({
  streamName: stream,
  bufferTime: handleSignals ? 60_000 : 2000,
  orphanFlushTimeout: 20_000,
  handleSignals,
});
await producer.start();
const n = Number(count);
for (let i = 0; i < n; i++) producer.put(`kill-${i}`).catch(() => {});
await producer.accepted();
process.stdout.write(`accepted ${n} ${JSON.stringify(producer.stats())}\n`);
setInterval(() => {}, 1000);
