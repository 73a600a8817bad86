// Drain benchmark: records/s delivered to a `for await` loop from a pre-filled 4-shard stream, per
// runner, beside a bare SDK GetRecords loop over the same shards in the same run; RSS of shard
// processes; main-process RSS with a slow loop over a large backlog.
//
//   node packages/consumer/bench/drain.mjs            (starts kinesalite in this process)
//   RECORDS=40000 SIZE=100 SLOW=80000 node ...        (sizes)
//   AWS_ENDPOINT_URL_KINESIS=http://... node ...      (use an existing endpoint instead)
//
// Requires a build (`pnpm --filter @kinesis-ts/consumer build`). kinesalite is taken from the
// integration package. Kinesalite uses ~100% of one core, so it bounds every figure: compare the
// runners with the bare-SDK line of the same run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const requireIntegration = createRequire(`${root}integration/package.json`);

const {
  KinesisClient,
  CreateStreamCommand,
  PutRecordsCommand,
  ListShardsCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
} = requireIntegration('@aws-sdk/client-kinesis');
const { NodeHttpHandler } = requireIntegration('@smithy/node-http-handler');
const { KinesisConsumer } = await import(new URL('../dist/index.mjs', import.meta.url).href);

const RECORDS = Number(process.env.RECORDS ?? 40_000);
const SIZE = Number(process.env.SIZE ?? 100);
const SLOW = Number(process.env.SLOW ?? 80_000);
const SLOW_SIZE = Number(process.env.SLOW_SIZE ?? 1024);

let endpoint = process.env.AWS_ENDPOINT_URL_KINESIS;
let emulator;
if (endpoint === undefined) {
  // kinesalite in its own process, so the CPU and RSS figures below are the consumer's alone.
  const script = `const s = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
    s.listen(0, '127.0.0.1', () => process.send(s.address().port));
    process.on('disconnect', () => process.exit(0));`;
  emulator = spawn(process.execPath, ['-e', script], {
    cwd: `${root}integration`,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve) => emulator.once('message', resolve));
  endpoint = `http://127.0.0.1:${port}`;
}
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
const clientConfig = { endpoint, region: process.env.AWS_REGION };
const client = new KinesisClient({
  ...clientConfig,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) }),
});

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const cpuMsOf = (pid) => {
  // utime + stime in clock ticks (100 per second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const rssOf = (pid) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
};

async function fill(stream, count, size) {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 4 }));
  const payload = Buffer.alloc(size, 'x');
  const started = Date.now();
  for (let i = 0; i < count; i += 500) {
    const Records = [];
    for (let j = i; j < Math.min(count, i + 500); j++)
      Records.push({ PartitionKey: `key-${j}`, Data: payload });
    const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records }));
    if (out.FailedRecordCount) throw new Error('PutRecords failed');
  }
  console.log(`filled ${stream}: ${count} x ${size} B in ${Date.now() - started} ms`);
}

async function bareSdk(stream) {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const started = Date.now();
  const cpu = process.cpuUsage();
  let total = 0;
  await Promise.all(
    Shards.map(async (shard) => {
      let { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      for (;;) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
        total += out.Records.length;
        ShardIterator = out.NextShardIterator;
        if (out.Records.length === 0 || ShardIterator === undefined) break;
      }
    }),
  );
  return { total, ms: Date.now() - started, cpu: process.cpuUsage(cpu) };
}

async function drain(stream, runner, count) {
  const consumer = new KinesisConsumer({
    streamName: stream,
    runner,
    initialPosition: 'TRIM_HORIZON',
    clientConfig,
  });
  const started = Date.now();
  const cpu = process.cpuUsage();
  let n = 0;
  let firstAt = 0;
  let shardRss = [];
  let shardCpuMs = 0;
  for await (const _record of consumer) {
    if (n === 0) firstAt = Date.now();
    n += 1;
    if (n === count) {
      // Pooled: several shards share a process; count each process once.
      const pids = [...new Set(Object.values(consumer.shardProcessIds))];
      shardRss = pids.map(rssOf);
      shardCpuMs = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
      break;
    }
  }
  const ended = Date.now();
  return {
    n,
    ms: ended - started,
    steadyMs: ended - firstAt,
    cpu: process.cpuUsage(cpu),
    shardRss,
    shardCpuMs,
  };
}

const line = (label, total, ms, cpu, extra = '') => {
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${label.padEnd(28)} ${String(total).padStart(7)} records ${String(ms).padStart(6)} ms ${String(Math.round((total / ms) * 1000)).padStart(7)} rec/s  main CPU ${cpuMs.toFixed(0)} ms (${((cpuMs * 1000) / total).toFixed(1)} µs/rec)${extra}`,
  );
};

const stream = `bench-${Date.now()}`;
await fill(stream, RECORDS, SIZE);
const base = await bareSdk(stream);
line('bare SDK GetRecords loop', base.total, base.ms, base.cpu);
for (const runner of ['process', 'thread', 'inline']) {
  const r = await drain(stream, runner, RECORDS);
  line(
    `consumer ${runner}`,
    r.n,
    r.ms,
    r.cpu,
    `; from first record: ${Math.round((r.n / r.steadyMs) * 1000)} rec/s${
      r.shardRss.length > 0
        ? `; shard processes: CPU ${r.shardCpuMs} ms (${((r.shardCpuMs * 1000) / r.n).toFixed(1)} µs/rec, incl. start-up), RSS ${r.shardRss.map(mib).join(', ')}`
        : ''
    }`,
  );
}

if (SLOW > 0) {
  const slow = `bench-slow-${Date.now()}`;
  await fill(slow, SLOW, SLOW_SIZE);
  const consumer = new KinesisConsumer({ streamName: slow, initialPosition: 'TRIM_HORIZON', clientConfig });
  const before = process.memoryUsage().rss;
  let maxRss = before;
  let maxBuffered = 0;
  let n = 0;
  const started = Date.now();
  for await (const _record of consumer) {
    n += 1;
    if (n % 100 === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // a slow loop: ~15k records/s at best
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      maxBuffered = Math.max(maxBuffered, consumer.bufferedRecords);
    }
    if (n === Math.min(SLOW, 40_000)) break;
  }
  console.log(
    `slow loop over a ${SLOW} x ${SLOW_SIZE} B backlog (${mib(SLOW * SLOW_SIZE)}): read ${n} in ${Date.now() - started} ms; ` +
      `main RSS ${mib(before)} -> max ${mib(maxRss)}; max buffered ${maxBuffered} records (bound 4 x 10000)`,
  );
}
client.destroy();
emulator?.kill();
