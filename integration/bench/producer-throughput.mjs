// Producer throughput on kinesalite (run: node integration/bench/producer-throughput.mjs [records]).
// One run compares: a naive one-PutRecord-per-record loop, hand-batched PutRecords, and KinesisProducer
// (process runner, from dist) without and with aggregation. 100-byte records, random partition keys,
// a fresh 4-shard stream per case. kinesalite runs in its own process, so the numbers below are bounded
// by the emulator's single core; the producer's own CPU per record (in the application process) is
// reported beside them.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const require = createRequire(import.meta.url);
const {
  KinesisClient,
  CreateStreamCommand,
  PutRecordCommand,
  PutRecordsCommand,
  DescribeStreamSummaryCommand,
} = require('@aws-sdk/client-kinesis');
const { NodeHttpHandler } = require('@smithy/node-http-handler');
const { KinesisProducer } = await import('@kinesis-ts/producer');

const N = Number(process.argv[2] ?? 20_000);
const NAIVE_N = Math.min(N, 3000);
const cwd = fileURLToPath(new URL('..', import.meta.url));

const emulator = spawn(
  process.execPath,
  [
    '-e',
    "const s=require('kinesalite')({createStreamMs:0,deleteStreamMs:0,updateStreamMs:0,shardLimit:1000});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
  ],
  { cwd, stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => emulator.kill());
const port = await new Promise((resolve) =>
  emulator.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
);
const endpoint = `http://127.0.0.1:${port}`;
Object.assign(process.env, {
  AWS_ENDPOINT_URL_KINESIS: endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
});
const client = new KinesisClient({
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }) }),
});

let streamNo = 0;
async function freshStream() {
  const name = `bench-${process.pid}-${++streamNo}`;
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
  for (;;) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') return name;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const payload = () => randomBytes(50).toString('hex'); // 100 bytes

/** CPU (µs) of reaped child processes, i.e. of the producer's background host once it exited (Linux). */
function childrenCpuMicros() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10_000; // cutime + cstime, 100 ticks/s
  } catch {
    return Number.NaN;
  }
}

async function measure(name, n, fn, setup = async () => undefined) {
  const stream = await freshStream();
  const data = Array.from({ length: n }, payload);
  const context = await setup(stream); // not timed (e.g. forking the producer's host)
  const cpu0 = process.cpuUsage();
  const child0 = childrenCpuMicros();
  const t0 = performance.now();
  const extra = (await fn(stream, data, context)) ?? {};
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const hostCpu = childrenCpuMicros() - child0;
  const row = {
    case: name,
    records: n,
    'records/s': Math.round((n / ms) * 1000),
    'app CPU µs/record': +((cpu.user + cpu.system) / n).toFixed(1),
    ...(extra.host ? { 'host CPU µs/record': +(hostCpu / n).toFixed(1) } : {}),
    ...extra,
  };
  delete row.host;
  console.log(JSON.stringify(row));
  return row;
}

const rows = [];
rows.push(
  await measure('naive PutRecord loop', NAIVE_N, async (stream, data) => {
    for (const d of data) {
      await client.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: randomUUID(), Data: Buffer.from(d) }),
      );
    }
  }),
);
rows.push(
  await measure('hand-batched PutRecords (500, sequential)', N, async (stream, data) => {
    for (let i = 0; i < data.length; i += 500) {
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: data.slice(i, i + 500).map((d) => ({ PartitionKey: randomUUID(), Data: Buffer.from(d) })),
        }),
      );
      if (out.FailedRecordCount) throw new Error('unexpected failures');
    }
  }),
);
for (const [name, options] of [
  ['producer, no aggregation, rate limits off', { rateLimit: false }],
  ['producer, no aggregation, default 1000 rec/s/shard', {}],
  ['producer, aggregation', { aggregation: true }],
]) {
  rows.push(
    await measure(
      name,
      N,
      async (_stream, data, producer) => {
        const results = await Promise.all(data.map((d) => producer.put(d)));
        await producer.close();
        const stats = producer.stats();
        return {
          'Kinesis records/user record': +(
            new Set(results.map((r) => r.sequenceNumber)).size / data.length
          ).toFixed(4),
          requests: stats.requests,
          host: true,
        };
      },
      async (stream) => {
        const producer = new KinesisProducer({ streamName: stream, bufferTime: 100, ...options });
        await producer.start(); // forks the host, reads the stream: not part of the throughput
        return producer;
      },
    ),
  );
}
console.table(rows);
client.destroy();
emulator.kill();
