/**
 * consumer-drain: records/s from a pre-filled 4-shard stream into a `for await` loop (deaggregation
 * and checkpointing on, in-memory state) for each runner, against a bare SDK GetRecords loop over
 * the same shards; and CPU-seconds per 100k records of each (shard processes included).
 */
import { KinesisConsumer, type RunnerKind } from '@kinesis-ts/consumer';
import { type Emulators, startEmulators } from './lib/emulators.js';
import { ownCpuSeconds, processCpuSeconds } from './lib/measure.js';
import type { BenchResult, Side } from './lib/result.js';
import { bareGetRecordsLoop, fillStream, newStream } from './lib/stream.js';

export interface DrainOptions {
  readonly records: number;
  readonly recordSize: number;
  readonly shards: number;
  readonly rounds: number;
}

interface DrainFigures {
  /** Records/s over the read: from the first shard reader's start (baseline: first GetShardIterator) to the last record. */
  recordsPerSecond: number;
  /** Records/s from `start()` (lease scan, takes, process/thread start included) to the last record. */
  wholeRunRecordsPerSecond: number;
  /** Seconds from `start()` until the first shard reader started (lease scan and takes). */
  leaseSeconds: number;
  /** Seconds until the first record reached the loop. */
  firstRecordSeconds: number;
  /**
   * CPU seconds per 100k records, all processes of the side, from the moment every shard delivered
   * its first record (every shard process booted) to the last record.
   */
  cpuSecondsPer100k: number | undefined;
  /** The part of `cpuSecondsPer100k` spent in this (the consuming) process. */
  mainCpuSecondsPer100k: number | undefined;
  /** CPU seconds until every shard delivered its first record (start-up: processes, SDK loading, leases). */
  startupCpuSeconds: number | undefined;
}

async function drainLibrary(
  emu: Emulators,
  stream: string,
  count: number,
  shards: number,
  runner: RunnerKind,
): Promise<DrainFigures> {
  const consumer = new KinesisConsumer({
    streamName: stream,
    runner,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: emu.kinesisConfig,
    consumerGroup: `drain-${runner}`,
  });
  const shardCpu = (): number | undefined => {
    if (runner !== 'process') return 0;
    let sum = 0;
    for (const pid of Object.values(consumer.shardProcessIds)) {
      const cpu = processCpuSeconds(pid);
      if (cpu === undefined) return undefined;
      sum += cpu;
    }
    return sum;
  };
  const cpu = (): number | undefined => {
    const children = shardCpu();
    return children === undefined ? undefined : ownCpuSeconds(cpu0) + children;
  };
  let readStart = 0;
  consumer.once('shardStarted', () => {
    readStart = performance.now();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  let firstAt = 0;
  const seen = new Set<string>();
  let window: { n: number; cpu: number | undefined; main: number } | undefined;
  let end: { at: number; cpu: number | undefined; main: number } | undefined;
  for await (const record of consumer) {
    if (record.data.byteLength === 0) throw new Error('empty record');
    if (++n === 1) firstAt = performance.now();
    if (window === undefined && !seen.has(record.shardId)) {
      seen.add(record.shardId);
      if (seen.size === shards) window = { n, cpu: cpu(), main: ownCpuSeconds(cpu0) };
    }
    if (n === count) {
      end = { at: performance.now(), cpu: cpu(), main: ownCpuSeconds(cpu0) };
      break; // closes the consumer
    }
  }
  await consumer.close();
  if (end === undefined || window === undefined) throw new Error(`${runner}: read ${n} of ${count}`);
  return {
    recordsPerSecond: count / ((end.at - readStart) / 1000),
    wholeRunRecordsPerSecond: count / ((end.at - t0) / 1000),
    leaseSeconds: (readStart - t0) / 1000,
    firstRecordSeconds: (firstAt - t0) / 1000,
    cpuSecondsPer100k:
      window.cpu === undefined || end.cpu === undefined || count === window.n
        ? undefined
        : ((end.cpu - window.cpu) / (count - window.n)) * 100_000,
    mainCpuSecondsPer100k:
      count === window.n ? undefined : ((end.main - window.main) / (count - window.n)) * 100_000,
    startupCpuSeconds: window.cpu,
  };
}

async function drainBaseline(emu: Emulators, stream: string, count: number): Promise<DrainFigures> {
  const kinesis = emu.kinesis();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  const { firstRecordAt, lastRecordAt } = await bareGetRecordsLoop(kinesis, stream, count, (data) => {
    bytes += data.byteLength;
  });
  const cpu = ownCpuSeconds(cpu0);
  kinesis.destroy();
  if (bytes === 0) throw new Error('baseline read nothing');
  const seconds = (lastRecordAt - t0) / 1000;
  return {
    recordsPerSecond: count / seconds,
    wholeRunRecordsPerSecond: count / seconds,
    leaseSeconds: 0,
    firstRecordSeconds: (firstRecordAt - t0) / 1000,
    // Whole run: the bare loop has no start-up worth separating (one client, already loaded).
    cpuSecondsPer100k: (cpu / count) * 100_000,
    mainCpuSecondsPer100k: (cpu / count) * 100_000,
    startupCpuSeconds: 0,
  };
}

/** The best of several runs: highest records/s, lowest CPU per record. */
function best(runs: DrainFigures[]): DrainFigures {
  const top = runs.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
  const cpus = runs.map((r) => r.cpuSecondsPer100k).filter((c): c is number => c !== undefined);
  const mains = runs.map((r) => r.mainCpuSecondsPer100k).filter((c): c is number => c !== undefined);
  return {
    ...top,
    cpuSecondsPer100k: cpus.length > 0 ? Math.min(...cpus) : undefined,
    mainCpuSecondsPer100k: mains.length > 0 ? Math.min(...mains) : undefined,
  };
}

export async function consumerDrain(options: DrainOptions): Promise<BenchResult> {
  const started = performance.now();
  const emu = await startEmulators();
  try {
    const kinesis = emu.kinesis();
    const stream = await newStream(kinesis, options.shards, 'drain');
    const fillStart = performance.now();
    await fillStream(kinesis, stream, options.records, options.recordSize);
    const fillSeconds = (performance.now() - fillStart) / 1000;
    // A warm-up read (JIT, emulator caches), then `rounds` rounds of every side in turn; each side's
    // figure is its best round (the machine is shared: noise only ever slows a run down).
    const warmUp = await drainBaseline(emu, stream, options.records);
    const runs: Record<'baseline' | RunnerKind, DrainFigures[]> = {
      baseline: [],
      process: [],
      thread: [],
      inline: [],
    };
    for (let round = 0; round < options.rounds; round++) {
      runs.baseline.push(await drainBaseline(emu, stream, options.records));
      for (const runner of ['process', 'thread', 'inline'] as const) {
        runs[runner].push(await drainLibrary(emu, stream, options.records, options.shards, runner));
      }
    }
    const baseline = best(runs.baseline);
    const process_ = best(runs.process);
    const thread = best(runs.thread);
    const inline = best(runs.inline);
    const side = (label: string, kind: Side['kind'], f: DrainFigures): Side => ({
      label,
      kind,
      figures: { ...f },
    });
    const processRatio = process_.recordsPerSecond / baseline.recordsPerSecond;
    const cpuRatio =
      process_.cpuSecondsPer100k !== undefined && inline.cpuSecondsPer100k !== undefined
        ? process_.cpuSecondsPer100k / inline.cpuSecondsPer100k
        : undefined;
    return {
      name: 'consumer-drain',
      inputs: {
        ...options,
        figures: `best of ${options.rounds} rounds`,
        fillSeconds: Number(fillSeconds.toFixed(2)),
        state: 'memory',
        checkpointEvery: '1000 records / 5 s',
        emulator: 'kinesalite 3.3.3 (own process)',
      },
      sides: [
        side('bare GetRecords loop', 'baseline', baseline),
        side('process runner', 'library', process_),
        side('thread runner', 'library', thread),
        side('inline runner', 'library', inline),
      ],
      ratio: processRatio,
      ratioNote:
        'process runner records/s ÷ bare GetRecords loop records/s, from the first shard reader start to the last record',
      ratios: {
        'process runner ÷ baseline, whole run (lease takes and process start included)':
          process_.wholeRunRecordsPerSecond / baseline.wholeRunRecordsPerSecond,
        'thread runner ÷ baseline': thread.recordsPerSecond / baseline.recordsPerSecond,
        'inline runner ÷ baseline': inline.recordsPerSecond / baseline.recordsPerSecond,
        'process runner CPU per record ÷ inline runner CPU per record': cpuRatio,
        'slowest ÷ fastest baseline round (noise)':
          Math.min(...runs.baseline.map((r) => r.recordsPerSecond)) / baseline.recordsPerSecond,
        'warm-up baseline ÷ baseline (cold start, not used)':
          warmUp.recordsPerSecond / baseline.recordsPerSecond,
      },
      target: {
        text: 'process runner ≥ 0.9 × baseline records/s; process runner CPU per record ≤ 1.3 × inline',
        met: processRatio >= 0.9 && (cpuRatio === undefined ? undefined : cpuRatio <= 1.3),
      },
      notes: [
        'kinesalite runs in its own process and uses about one core for GetRecords: it bounds every side.',
        'records/s: the library from its first shard reader start (after the lease scan; shard process boot included) to the last record; the baseline from its first GetShardIterator. wholeRun adds the lease scan and takes.',
        'CPU per 100k: library from the moment every shard delivered a record (all shard processes booted) to the last record, this process plus the shard processes (/proc); baseline over its whole run. Start-up CPU is reported separately.',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}
