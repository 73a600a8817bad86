/**
 * consumer-drain: records/s from a pre-filled stream into a `for await` loop (deaggregation and
 * checkpointing on) for each runner configuration, against a bare SDK GetRecords loop over the same
 * shards; with the whole run's CPU of every process the library starts (start-up included) and the
 * peak memory of all of them together. Variants: KPL-aggregated records; DynamoDB state (dynalite);
 * and a scaling table over shard counts (`consumerScaling`).
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { KinesisConsumer, type KinesisConsumerOptions } from '@kinesis-ts/consumer';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { type Emulators, startEmulators } from './lib/emulators.js';
import { startMeter } from './lib/meter.js';
import type { BenchResult, Side } from './lib/result.js';
import { bareGetRecordsLoop, fillStream, fillStreamAggregated, newStream } from './lib/stream.js';

/**
 * A consumer configuration to measure: a label and the options it sets over the drain's own
 * (stream, TRIM_HORIZON, client config, state). Add `{ runner: 'process', maxProcesses: N }` rows here.
 */
export interface RunnerConfig {
  readonly label: string;
  readonly options: Partial<KinesisConsumerOptions>;
  /**
   * Another build of `@kinesis-ts/consumer` to run this row with (path of its `dist/index.mjs`), for
   * comparing two builds in one run (`pnpm bench --compare-build <path>`).
   */
  readonly module?: string;
}

/** The rows of `configs` again, run with another build of the consumer. */
export function withBuild(configs: readonly RunnerConfig[], module: string): RunnerConfig[] {
  return configs.map((c) => ({ ...c, label: `${c.label} (compare build)`, module }));
}

/** The configurations every drain measures, first one = the headline (the default runner). */
export const RUNNER_CONFIGS: readonly RunnerConfig[] = [
  { label: 'process pool (default: availableParallelism)', options: { runner: 'process' } },
  { label: 'process per shard', options: { runner: 'process', maxProcesses: Number.POSITIVE_INFINITY } },
  { label: 'thread pool (default)', options: { runner: 'thread' } },
  { label: 'inline runner', options: { runner: 'inline' } },
];

export interface DrainOptions {
  readonly records: number;
  readonly recordSize: number;
  readonly shards: number;
  readonly rounds: number;
  /** Fill with KPL aggregates (50 KiB) instead of one Kinesis record per user record. */
  readonly aggregated?: boolean;
  /** Lease and checkpoint state: in memory (default) or `DynamoDBState` on dynalite. */
  readonly state?: 'memory' | 'dynamodb';
  /** Configurations to measure; default {@link RUNNER_CONFIGS}. */
  readonly runners?: readonly RunnerConfig[];
}

/** Figures of one side. CPU is of every process of the side (emulators excluded). */
interface DrainFigures {
  /** Records/s from the first shard reader's start (baseline: first GetShardIterator) to the last record. */
  recordsPerSecond: number;
  /** Records/s from `start()` (lease scan, process/thread start included) to the last record. */
  wholeRunRecordsPerSecond: number;
  /** Seconds until the first record reached the loop. */
  firstRecordSeconds: number;
  /** CPU seconds from construction to `close()` done: start-up, reading, checkpoints, shutdown. */
  wholeRunCpuSeconds: number;
  /** `wholeRunCpuSeconds` per 100k records (the CPU ratio uses this: start-up included). */
  cpuSecondsPer100k: number;
  /** CPU per 100k records once every shard delivered a record (start-up left out). */
  steadyCpuSecondsPer100k: number | undefined;
  /** The consuming process's part of `wholeRunCpuSeconds`, per 100k records. */
  mainCpuSecondsPer100k: number;
  /** CPU seconds until every shard delivered its first record. */
  startupCpuSeconds: number;
  /** Peak of the summed RSS / PSS of all the side's processes. */
  peakRssMiB: number;
  peakPssMiB: number | undefined;
  /** Most processes of the side at once. */
  processes: number;
}

interface DrainContext {
  readonly emu: Emulators;
  readonly stream: string;
  readonly count: number;
  readonly shards: number;
  readonly state: 'memory' | 'dynamodb';
}

async function drainLibrary(ctx: DrainContext, config: RunnerConfig): Promise<DrainFigures> {
  const { emu, stream, count, shards } = ctx;
  const meter = await startMeter([emu.pid]);
  let state: DynamoDBState | undefined;
  if (ctx.state === 'dynamodb') {
    const tableName = `bench-drain-${randomUUID().slice(0, 8)}`;
    await createStateTable(emu.dynamoConfig, { tableName, pollIntervalMs: 50 });
    state = new DynamoDBState({ tableName, clientConfig: emu.dynamoConfig });
  }
  const Consumer =
    config.module === undefined
      ? KinesisConsumer
      : ((await import(pathToFileURL(config.module).href)) as { KinesisConsumer: typeof KinesisConsumer })
          .KinesisConsumer;
  const t0 = performance.now();
  const consumer = new Consumer({
    streamName: stream,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: emu.kinesisConfig,
    consumerGroup: `drain-${randomUUID().slice(0, 8)}`,
    ...(state === undefined ? {} : { state }),
    ...config.options,
  });
  let readStart = 0;
  consumer.once('shardStarted', () => {
    readStart = performance.now();
  });
  let n = 0;
  let firstAt = 0;
  const seen = new Set<string>();
  const pids = new Set<number>();
  let window: { n: number; cpu: number } | undefined;
  let end: { at: number; cpu: number } | undefined;
  for await (const record of consumer) {
    if (record.data.byteLength === 0) throw new Error('empty record');
    if (++n === 1) firstAt = performance.now();
    if (window === undefined && !seen.has(record.shardId)) {
      seen.add(record.shardId);
      if (seen.size === shards) {
        window = { n, cpu: meter.cpuSeconds() };
        for (const pid of Object.values(consumer.shardProcessIds)) pids.add(pid);
      }
    }
    if (n === count) {
      end = { at: performance.now(), cpu: meter.cpuSeconds() };
      for (const pid of Object.values(consumer.shardProcessIds)) pids.add(pid);
      break; // closes the consumer
    }
  }
  await consumer.close();
  await state?.close();
  // Exited shard processes count through cutime once reaped: wait (bounded) until they are gone.
  const deadline = performance.now() + 10_000;
  while ([...pids].some(alive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wholeRunCpu = meter.cpuSeconds();
  const main = meter.mainCpuSeconds();
  const peak = await meter.stop();
  if (end === undefined || window === undefined) throw new Error(`${config.label}: read ${n} of ${count}`);
  return {
    recordsPerSecond: count / ((end.at - readStart) / 1000),
    wholeRunRecordsPerSecond: count / ((end.at - t0) / 1000),
    firstRecordSeconds: (firstAt - t0) / 1000,
    wholeRunCpuSeconds: wholeRunCpu,
    cpuSecondsPer100k: (wholeRunCpu / count) * 100_000,
    steadyCpuSecondsPer100k:
      count === window.n ? undefined : ((end.cpu - window.cpu) / (count - window.n)) * 100_000,
    mainCpuSecondsPer100k: (main / count) * 100_000,
    startupCpuSeconds: window.cpu,
    peakRssMiB: peak.peakRssMiB,
    peakPssMiB: peak.peakPssMiB,
    processes: peak.peakProcesses,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function drainBaseline(ctx: DrainContext, aggregated: boolean): Promise<DrainFigures> {
  const meter = await startMeter([ctx.emu.pid]);
  const kinesis = ctx.emu.kinesis();
  const t0 = performance.now();
  let bytes = 0;
  const { firstRecordAt, lastRecordAt } = await bareGetRecordsLoop(
    kinesis,
    ctx.stream,
    ctx.count,
    (data) => {
      bytes += data.byteLength;
    },
    aggregated,
  );
  const cpu = meter.cpuSeconds();
  const peak = await meter.stop();
  if (bytes === 0) throw new Error('baseline read nothing');
  const seconds = (lastRecordAt - t0) / 1000;
  return {
    recordsPerSecond: ctx.count / seconds,
    wholeRunRecordsPerSecond: ctx.count / seconds,
    firstRecordSeconds: (firstRecordAt - t0) / 1000,
    wholeRunCpuSeconds: cpu,
    cpuSecondsPer100k: (cpu / ctx.count) * 100_000,
    steadyCpuSecondsPer100k: (cpu / ctx.count) * 100_000,
    mainCpuSecondsPer100k: (cpu / ctx.count) * 100_000,
    startupCpuSeconds: 0,
    peakRssMiB: peak.peakRssMiB,
    peakPssMiB: peak.peakPssMiB,
    processes: peak.peakProcesses,
  };
}

/** The best of several runs: highest records/s, lowest CPU. */
function best(runs: DrainFigures[]): DrainFigures {
  const top = runs.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const min = (f: (r: DrainFigures) => number | undefined): number | undefined => {
    const values = runs.map(f).filter((v): v is number => v !== undefined);
    return values.length > 0 ? Math.min(...values) : undefined;
  };
  return {
    ...top,
    wholeRunCpuSeconds: min((r) => r.wholeRunCpuSeconds)!,
    cpuSecondsPer100k: min((r) => r.cpuSecondsPer100k)!,
    steadyCpuSecondsPer100k: min((r) => r.steadyCpuSecondsPer100k),
    mainCpuSecondsPer100k: min((r) => r.mainCpuSecondsPer100k)!,
  };
}

async function fill(emu: Emulators, options: DrainOptions, prefix: string) {
  const kinesis = emu.kinesis();
  const stream = await newStream(kinesis, options.shards, prefix);
  const fillStart = performance.now();
  let kinesisRecords = options.records;
  if (options.aggregated)
    kinesisRecords = await fillStreamAggregated(kinesis, stream, options.records, options.recordSize);
  else await fillStream(kinesis, stream, options.records, options.recordSize);
  return { stream, kinesisRecords, fillSeconds: (performance.now() - fillStart) / 1000 };
}

/** Runs a drain (one stream, every configuration and the baseline, `rounds` times). */
export async function consumerDrain(options: DrainOptions): Promise<BenchResult> {
  const started = performance.now();
  const runners = options.runners ?? RUNNER_CONFIGS;
  const stateKind = options.state ?? 'memory';
  const aggregated = options.aggregated ?? false;
  const emu = await startEmulators();
  try {
    const { stream, kinesisRecords, fillSeconds } = await fill(emu, options, 'drain');
    const ctx: DrainContext = {
      emu,
      stream,
      count: options.records,
      shards: options.shards,
      state: stateKind,
    };
    // A warm-up read (JIT, emulator caches), then `rounds` rounds of every side in turn; each side's
    // figure is its best round (the machine is shared: noise only ever slows a run down).
    const warmUp = await drainBaseline(ctx, aggregated);
    const baselineRuns: DrainFigures[] = [];
    const libraryRuns = runners.map(() => [] as DrainFigures[]);
    for (let round = 0; round < options.rounds; round++) {
      baselineRuns.push(await drainBaseline(ctx, aggregated));
      for (const [i, config] of runners.entries()) libraryRuns[i]!.push(await drainLibrary(ctx, config));
    }
    const baseline = best(baselineRuns);
    const library = libraryRuns.map(best);
    const headline = library[0]!;
    const inlineIndex = runners.findIndex((r) => r.options.runner === 'inline' && r.module === undefined);
    const inline = inlineIndex >= 0 ? library[inlineIndex] : undefined;
    const ratios: Record<string, number | undefined> = {};
    for (const [i, config] of runners.entries()) {
      ratios[`${config.label} ÷ baseline records/s`] =
        library[i]!.recordsPerSecond / baseline.recordsPerSecond;
      ratios[`${config.label} ÷ baseline, whole run (start-up included)`] =
        library[i]!.wholeRunRecordsPerSecond / baseline.wholeRunRecordsPerSecond;
      if (inline !== undefined && i !== inlineIndex)
        ratios[`${config.label} CPU per record ÷ inline, whole run (start-up included)`] =
          library[i]!.cpuSecondsPer100k / inline.cpuSecondsPer100k;
    }
    ratios['slowest ÷ fastest baseline round (noise)'] =
      Math.min(...baselineRuns.map((r) => r.recordsPerSecond)) / baseline.recordsPerSecond;
    ratios['warm-up baseline ÷ baseline (cold start, not used)'] =
      warmUp.recordsPerSecond / baseline.recordsPerSecond;
    const ratio = headline.recordsPerSecond / baseline.recordsPerSecond;
    const cpuRatio = inline === undefined ? undefined : headline.cpuSecondsPer100k / inline.cpuSecondsPer100k;
    const name = `consumer-drain${aggregated ? '-kpl' : ''}${stateKind === 'dynamodb' ? '-dynamodb' : ''}`;
    return {
      name,
      inputs: {
        ...options,
        runners: runners.map((r) => ({ label: r.label, options: r.options, module: r.module })),
        kinesisRecords,
        figures: `best of ${options.rounds} rounds`,
        fillSeconds: Number(fillSeconds.toFixed(2)),
        state: stateKind === 'dynamodb' ? 'DynamoDBState on dynalite (own process)' : 'memory',
        checkpointEvery: '1000 records / 5 s (default)',
        emulator: 'kinesalite 3.3.3 (own process)',
      },
      sides: [
        {
          label: aggregated ? 'bare GetRecords loop + deaggregate' : 'bare GetRecords loop',
          kind: 'baseline',
          figures: { ...baseline },
        },
        ...runners.map((r, i): Side => ({ label: r.label, kind: 'library', figures: { ...library[i]! } })),
      ],
      ratio,
      ratioNote: `${runners[0]!.label} records/s ÷ bare GetRecords loop records/s, from the first shard reader start to the last record`,
      ratios,
      target: {
        text: `${runners[0]!.label} ≥ 0.9 × baseline records/s; its whole-run CPU per record ≤ 1.3 × inline`,
        met: ratio >= 0.9 && (cpuRatio === undefined ? undefined : cpuRatio <= 1.3),
      },
      notes: [
        'kinesalite runs in its own process and uses about one core for GetRecords: it bounds every side.',
        'records/s: the library from its first shard reader start (after the lease scan; shard process boot included) to the last record; the baseline from its first GetShardIterator.',
        'CPU: every process of the side (this one, shard processes, exited ones through cutime), from the consumer’s construction to close() done; emulators and the memory watcher excluded. cpuSecondsPer100k includes start-up; steadyCpuSecondsPer100k starts once every shard delivered a record.',
        'Peak RSS/PSS: all processes of the side summed, sampled every 100 ms by a separate watcher process (PSS from /proc/<pid>/smaps_rollup).',
        ...(aggregated
          ? [
              'Records are 100 B user records in 50 KiB KPL aggregates; the baseline deaggregates with @kinesis-ts/core.',
            ]
          : []),
        ...(stateKind === 'dynamodb'
          ? [
              'Leases and checkpoints in DynamoDBState on dynalite: lease takes, renewals and checkpoint writes are in the run.',
            ]
          : []),
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}

export interface ScalingOptions {
  readonly shardCounts: readonly number[];
  /** Records in the stream, whatever its shard count. */
  readonly records: number;
  readonly recordSize: number;
  readonly runners?: readonly RunnerConfig[];
}

/**
 * The scaling table: for each shard count, a fresh stream holding `records` records, read once by
 * the baseline and once by each configuration: records/s, whole-run CPU-s, peak RSS/PSS of all
 * processes together.
 */
export async function consumerScaling(options: ScalingOptions): Promise<BenchResult> {
  const started = performance.now();
  const runners = options.runners ?? RUNNER_CONFIGS;
  const emu = await startEmulators();
  const sides: Side[] = [];
  const ratios: Record<string, number | undefined> = {};
  try {
    for (const shards of options.shardCounts) {
      const drain = { records: options.records, recordSize: options.recordSize, shards, rounds: 1 };
      const { stream } = await fill(emu, drain, `scale${shards}`);
      const ctx: DrainContext = { emu, stream, count: options.records, shards, state: 'memory' };
      await drainBaseline(ctx, false); // warm-up
      const baseline = await drainBaseline(ctx, false);
      const figures = (f: DrainFigures) => ({
        shards,
        recordsPerSecond: f.recordsPerSecond,
        wholeRunCpuSeconds: f.wholeRunCpuSeconds,
        peakRssMiB: f.peakRssMiB,
        peakPssMiB: f.peakPssMiB,
        processes: f.processes,
      });
      sides.push({
        label: `${shards} shards: bare GetRecords loop`,
        kind: 'baseline',
        figures: figures(baseline),
      });
      for (const config of runners) {
        const f = await drainLibrary(ctx, config);
        sides.push({ label: `${shards} shards: ${config.label}`, kind: 'library', figures: figures(f) });
        ratios[`${shards} shards: ${config.label} ÷ baseline records/s`] =
          f.recordsPerSecond / baseline.recordsPerSecond;
      }
    }
    const largest = options.shardCounts[options.shardCounts.length - 1]!;
    const headline = sides.find((s) => s.label === `${largest} shards: ${runners[0]!.label}`);
    return {
      name: 'consumer-scaling',
      inputs: {
        ...options,
        runners: runners.map((r) => ({ label: r.label, options: r.options })),
        state: 'memory',
        emulator: 'kinesalite 3.3.3 (own process, shardLimit 1000)',
      },
      sides,
      ratio:
        headline === undefined ? undefined : (headline.figures.peakPssMiB ?? headline.figures.peakRssMiB),
      ratioNote: `peak PSS (RSS where PSS is unavailable) of all processes, MiB, ${largest} shards, ${runners[0]!.label} (not a ratio)`,
      ratios,
      target: {
        text: `${largest} shards on one instance: all records delivered, total memory < 1 GiB (${runners[0]!.label})`,
        met:
          headline === undefined
            ? undefined
            : (headline.figures.peakPssMiB ?? headline.figures.peakRssMiB ?? Number.POSITIVE_INFINITY) < 1024,
      },
      notes: [
        'One round per cell after one warm-up baseline read per shard count; the stream holds the same number of records at every shard count.',
        'wholeRunCpuSeconds: every process of the side from construction to close() done (start-up included); peak RSS/PSS: all processes summed, sampled every 100 ms from a watcher process.',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}
