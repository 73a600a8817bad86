/**
 * Where a pooled drain's CPU goes, per process: drains a pre-filled 4-shard stream with the `process`
 * runner's default pool, `--rounds` times, and reports for each shard process its CPU to boot Node,
 * to load its modules, until its first batch was sent, and for the rest of the run (a preload records
 * them, `lib/worker-phases-preload.cjs`), with the main process's CPU and its own start-up. With
 * `--profile DIR` it also writes CPU profiles of the main process (`main-<round>.cpuprofile`) and of
 * every shard process into DIR (open them in Chrome DevTools).
 *
 *   pnpm --filter @kinesis-ts/bench exec tsx src/pool-phases.ts [--records 60000] [--rounds 3] [--profile DIR]
 *   ... --build /path/to/consumer/dist/index.mjs      (another build of the consumer)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { KinesisConsumer } = await import('@kinesis-ts/consumer');
const { startEmulators } = await import('./lib/emulators.js');
const { fillStream, newStream } = await import('./lib/stream.js');

const argv = process.argv.slice(2).filter((a) => a !== '--');
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const records = Number(flag('--records') ?? 60_000);
const rounds = Number(flag('--rounds') ?? 3);
const profileDir = flag('--profile');
const build = flag('--build');
if (!Number.isSafeInteger(records) || records <= 0 || !Number.isSafeInteger(rounds) || rounds <= 0) {
  console.error('Usage: tsx src/pool-phases.ts [--records N] [--rounds N] [--profile DIR] [--build PATH]');
  process.exit(2);
}
const Consumer =
  build === undefined
    ? KinesisConsumer
    : ((await import(pathToFileURL(build).href)) as { KinesisConsumer: typeof KinesisConsumer })
        .KinesisConsumer;
const PRELOAD = fileURLToPath(new URL('./lib/worker-phases-preload.cjs', import.meta.url));

interface WorkerMarks {
  booted: number;
  loaded?: number;
  firstBatch?: number;
  exit: number;
  peakRssMiB: number;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
const emu = await startEmulators();
const workers: WorkerMarks[] = [];
const mains: { mainMs: number; mainStartupMs: number; seconds: number }[] = [];
try {
  const kinesis = emu.kinesis();
  const stream = await newStream(kinesis, 4, 'phases');
  await fillStream(kinesis, stream, records, 100);
  for (let round = 0; round < rounds; round++) {
    const dir = profileDir ?? mkdtempSync(join(tmpdir(), 'kinesis-ts-phases-'));
    const before = new Set(readdirSync(dir));
    // Shard processes inherit the environment (NODE_OPTIONS included) when they are forked.
    const saved = { options: process.env.NODE_OPTIONS, dir: process.env.KINESIS_TS_PHASES_DIR };
    process.env.NODE_OPTIONS = `${saved.options ?? ''} --require ${PRELOAD}`.trim();
    process.env.KINESIS_TS_PHASES_DIR = dir;
    if (profileDir !== undefined) process.env.KINESIS_TS_PHASES_PROFILE = '1';
    const session = profileDir === undefined ? null : new Session();
    if (session !== null) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const consumer = new Consumer({
      streamName: stream,
      initialPosition: 'TRIM_HORIZON',
      clientConfig: emu.kinesisConfig,
      consumerGroup: `phases-${randomUUID().slice(0, 8)}`,
      runner: 'process',
    });
    let n = 0;
    let mainStartupMs = 0;
    const seen = new Set<string>();
    for await (const record of consumer) {
      if (seen.size < 4 && !seen.has(record.shardId)) {
        seen.add(record.shardId);
        if (seen.size === 4) mainStartupMs = cpuMs(cpu0);
      }
      if (++n === records) break;
    }
    await consumer.close();
    const mainMs = cpuMs(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    if (session !== null) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(dir, `main-${round}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    process.env.NODE_OPTIONS = saved.options;
    process.env.KINESIS_TS_PHASES_DIR = saved.dir;
    delete process.env.KINESIS_TS_PHASES_PROFILE;
    if (saved.options === undefined) delete process.env.NODE_OPTIONS;
    if (saved.dir === undefined) delete process.env.KINESIS_TS_PHASES_DIR;
    // The shard processes write their marks at exit: wait (bounded) for them.
    const deadline = performance.now() + 10_000;
    let files: string[] = [];
    while (performance.now() < deadline) {
      files = readdirSync(dir).filter((f) => !before.has(f) && /^worker-\d+\.json$/.test(f));
      if (files.length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const f of files) workers.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as WorkerMarks);
    mains.push({ mainMs, mainStartupMs, seconds });
    if (profileDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await emu.stop();
}

const complete = workers.filter((w) => w.loaded !== undefined && w.firstBatch !== undefined);
const row = (label: string, values: number[]) =>
  `${label.padEnd(44)} ${median(values).toFixed(0).padStart(6)}`;
console.log(
  `pool-phases: ${records} records × 100 B, 4 shards, process runner (default pool), ${rounds} rounds, ${complete.length} shard processes, node ${process.version}, ${new Date().toISOString()}`,
);
console.log('medians, CPU ms (process.cpuUsage)');
console.log(
  row(
    'shard process: Node boot (to the preload)',
    complete.map((w) => w.booted),
  ),
);
console.log(
  row(
    'shard process: loading its modules',
    complete.map((w) => w.loaded! - w.booted),
  ),
);
console.log(
  row(
    'shard process: until its first batch was sent',
    complete.map((w) => w.firstBatch! - w.loaded!),
  ),
);
console.log(
  row(
    'shard process: rest of the run (reading, exit)',
    complete.map((w) => w.exit - w.firstBatch!),
  ),
);
console.log(
  row(
    'shard process: total',
    complete.map((w) => w.exit),
  ),
);
console.log(
  row(
    'shard process: peak RSS, MiB',
    complete.map((w) => w.peakRssMiB),
  ),
);
console.log(
  row(
    'main process: until every shard delivered',
    mains.map((m) => m.mainStartupMs),
  ),
);
console.log(
  row(
    'main process: total',
    mains.map((m) => m.mainMs),
  ),
);
console.log(`wall seconds per round: ${mains.map((m) => m.seconds.toFixed(2)).join(', ')}`);
