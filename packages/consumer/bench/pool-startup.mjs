// Start-up cost of the shard worker pool: CPU seconds and memory until every shard of an N-shard
// stream answered its first GetRecords, with the default pool (`maxProcesses` = available
// parallelism) beside one process per shard (`maxProcesses: Infinity`).
//
//   node packages/consumer/bench/pool-startup.mjs               (4, 16 and 64 shards; kinesalite in its own process)
//   SHARDS=4,16 RUNNER=thread node packages/consumer/bench/pool-startup.mjs
//   AWS_ENDPOINT_URL_KINESIS=http://... node ...                 (use an existing endpoint instead)
//
// Each configuration runs in a fresh Node process (modules loaded before the clock starts). CPU-s:
// the consumer's main process (process.cpuUsage delta from before `new KinesisConsumer`) plus every
// shard process (utime + stime from /proc). Memory: RSS and PSS (/proc/<pid>/smaps_rollup) of the main
// process and every shard process together, 1 s after the last shard answered. Linux only.
// Requires a build (`pnpm --filter @kinesis-ts/consumer build`).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const requireIntegration = createRequire(`${root}integration/package.json`);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function kib(text, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]) / 1024;
}

/** CPU seconds (user + system) of a process from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** RSS and PSS in MiB of a process. */
function memory(pid) {
  return {
    rss: kib(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
    pss: kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
  };
}

async function one(endpoint, shards, maxWorkers, runner) {
  const { KinesisClient, CreateStreamCommand, DeleteStreamCommand } =
    requireIntegration('@aws-sdk/client-kinesis');
  const { KinesisConsumer } = await import(new URL('../dist/index.mjs', import.meta.url).href);
  const { NodeHttpHandler } = requireIntegration('@smithy/node-http-handler');
  // HTTP/1.1: kinesalite speaks no HTTP/2.
  const client = new KinesisClient({
    endpoint,
    region: process.env.AWS_REGION,
    requestHandler: new NodeHttpHandler(),
  });
  const stream = `pool-startup-${shards}-${process.pid}`;
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const consumer = new KinesisConsumer({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: { endpoint, region: process.env.AWS_REGION },
    runner,
    ...(runner === 'thread' ? { maxThreads: maxWorkers } : { maxProcesses: maxWorkers }),
  });
  const answered = new Set();
  let ready;
  const allAnswered = new Promise((resolve) => {
    ready = resolve;
  });
  consumer.on('lag', (e) => {
    answered.add(e.shardId);
    if (answered.size === shards) ready();
  });
  await consumer.start();
  await allAnswered;
  const wallS = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const mainCpu = (used.user + used.system) / 1e6;
  const pids = [...new Set(Object.values(consumer.shardProcessIds))];
  const childCpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const all = [process.pid, ...pids].map(memory);
  await consumer.close();
  await client.send(new DeleteStreamCommand({ StreamName: stream }));
  client.destroy();
  return {
    shards,
    pool: maxWorkers === Number.POSITIVE_INFINITY ? 'one per shard' : `max ${maxWorkers}`,
    processes: runner === 'thread' ? 1 : pids.length + 1,
    wallS: wallS.toFixed(2),
    startupCpuS: (mainCpu + childCpu).toFixed(2),
    mainCpuS: mainCpu.toFixed(2),
    shardProcessCpuS: childCpu.toFixed(2),
    rssMiB: all.reduce((s, m) => s + m.rss, 0).toFixed(0),
    pssMiB: all.reduce((s, m) => s + m.pss, 0).toFixed(0),
    mainRssMiB: all[0].rss.toFixed(0),
  };
}

if (process.argv[2] === '--one') {
  const [, , , endpoint, shards, max, runner] = process.argv;
  const result = await one(
    endpoint,
    Number(shards),
    max === 'Infinity' ? Number.POSITIVE_INFINITY : Number(max),
    runner,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

let endpoint = process.env.AWS_ENDPOINT_URL_KINESIS;
let emulator;
if (endpoint === undefined) {
  const script = `const s = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
    s.listen(0, '127.0.0.1', () => process.send(s.address().port));
    process.on('disconnect', () => process.exit(0));`;
  emulator = spawn(process.execPath, ['-e', script], {
    cwd: `${root}integration`,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve) => emulator.once('message', resolve));
  endpoint = `http://127.0.0.1:${port}`;
}
const runner = process.env.RUNNER ?? 'process';
const sizes = (process.env.SHARDS ?? '4,16,64').split(',').map(Number);
const rows = [];
console.log(
  `# pool start-up, runner ${runner}, availableParallelism ${availableParallelism()}, ${new Date().toISOString()}`,
);
for (const shards of sizes) {
  for (const max of [String(availableParallelism()), 'Infinity']) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--one', endpoint, String(shards), max, runner],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const row = JSON.parse(out.trim().split('\n').at(-1));
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
console.table(rows);
emulator?.disconnect();
