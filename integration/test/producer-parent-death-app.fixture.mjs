// Fixture of producer-parent-death.test.ts: an application that puts COUNT records (`<tag>-<i>`) in
// chunks of 250, 20 ms apart, and after each chunk awaits `accepted()` and prints `accepted <n>`: every record below n
// was handed to the background host. The test SIGKILLs it at a random moment; the orphaned host must
// then deliver every record the last printed line covers.
import { KinesisProducer } from '@kinesis-ts/producer';

const [stream, count, marker, tag, maxBatchRecords] = process.argv.slice(2);
process.env.PRODUCER_TEST_MARKER = marker; // inherited by the background host: lets the test find it
const producer = new KinesisProducer({
  streamName: stream,
  bufferTime: 100,
  rateLimit: false,
  maxBatchRecords: Number(maxBatchRecords),
});
await producer.start();
process.stdout.write('started\n');
const n = Number(count);
const chunk = 250;
for (let i = 0; i < n; i += chunk) {
  for (let j = i; j < Math.min(n, i + chunk); j++) producer.put(`${tag}-${j}`).catch(() => {});
  await producer.accepted();
  process.stdout.write(`accepted ${Math.min(n, i + chunk)}\n`);
  await new Promise((resolve) => setTimeout(resolve, 20)); // an application puts over time
}
await producer.flush();
process.stdout.write('flushed\n');
setInterval(() => {}, 1000);
