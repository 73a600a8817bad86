// Fixture of producer-spool-kill.test.ts: an application that writes records `spool-<i>` for i in
// [from, total) through a producer with a disk spool, printing "accepted <n>" each time accepted()
// covered every record below n. It is SIGKILLed (with its background host) at a random moment; the
// next run starts on the same spool directory from the last "accepted" mark. With mode "finish" it
// closes the producer at the end and prints "done".
import { KinesisProducer } from '@kinesis-ts/producer';

const [stream, dir, fromArg, totalArg, marker, fsync, mode] = process.argv.slice(2);
process.env.PRODUCER_TEST_MARKER = marker; // inherited by the background host: lets the test find it
const from = Number(fromArg);
const total = Number(totalArg);
const counts = { recovered: 0, byHost: 0, replayed: 0, replayFailed: 0, corrupt: 0, rejected: 0 };
const producer = new KinesisProducer({
  streamName: stream,
  bufferTime: 100,
  maxOutstandingRecords: 2000,
  spool: { dir, fsync },
  onEvent: (e) => {
    if (e.type === 'spoolRecovered') {
      counts.recovered += e.records;
      counts.byHost += e.acknowledgedByHost ?? 0;
    } else if (e.type === 'spoolReplaySettled') {
      counts.replayed += e.acknowledged.length;
      if (e.acknowledged.length > 0)
        process.stdout.write(
          `replayAcked ${e.acknowledged.map((a) => `${a.shardId}/${a.sequenceNumber}`).join(',')}\n`,
        );
      counts.replayFailed += e.failed.length;
    } else if (e.type === 'spoolCorrupt') counts.corrupt += 1;
  },
});
await producer.start();
process.stdout.write(`started ${JSON.stringify(counts)}\n`);
// Where the records whose put() resolved landed (Kinesis acknowledged them and the producer saw it),
// printed as "acked shardId/sequenceNumber,..." once per turn of the event loop, and likewise for
// replayed records ("replayAcked ..."): the test tells a copy sent after an earlier copy was reported
// acknowledged (its mark did not reach the spool in time) from one whose earlier copy never was.
let acked = [];
const reportAcked = () => {
  if (acked.length > 0) process.stdout.write(`acked ${acked.join(',')}\n`);
  acked = [];
};
const CHUNK = 100;
for (let i = from; i < total; i += CHUNK) {
  const end = Math.min(total, i + CHUNK);
  for (let j = i; j < end; j++)
    producer.put(`spool-${j}`, { partitionKey: `k${j % 64}` }).then(
      (result) => {
        if (acked.length === 0) setImmediate(reportAcked);
        acked.push(`${result.shardId}/${result.sequenceNumber}`);
      },
      () => {
        counts.rejected += 1;
      },
    );
  await producer.accepted();
  process.stdout.write(`accepted ${end}\n`);
}
if (mode === 'finish') {
  await producer.close();
  process.stdout.write(`done ${JSON.stringify(counts)}\n`);
  process.exit(0);
}
setInterval(() => {}, 1000);
