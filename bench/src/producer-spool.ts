/**
 * producer-spool: what the opt-in disk spool costs. The same producer without a spool (the baseline,
 * in the same run), with `fsync: 'batch'` and with `fsync: 'always'`: user records/s when putting as
 * fast as possible, and put() latency (p50, p99: from the call to Kinesis' acknowledgement) and
 * accepted() latency at a steady, paced rate.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteStream } from '@kinesis-ts/integration';
import { KinesisProducer, type KinesisProducerOptions } from '@kinesis-ts/producer';
import { type Emulators, startEmulators } from './lib/emulators.js';
import { median, ownCpuSeconds, sleep } from './lib/measure.js';
import type { BenchResult, Side } from './lib/result.js';
import { newStream, payload } from './lib/stream.js';

export interface ProducerSpoolOptions {
  /** Records of the as-fast-as-possible run. */
  readonly records: number;
  readonly recordSize: number;
  readonly shards: number;
  /** Paced run: records per second, in ticks of 10 ms. */
  readonly pacedRate: number;
  /** Paced run: seconds. */
  readonly pacedSeconds: number;
  /** Rounds; the sides run interleaved in each round and each figure is the median over rounds. */
  readonly rounds: number;
}

type Mode = 'none' | 'batch' | 'always';

interface SpoolFigures {
  recordsPerSecond: number;
  mainCpuSecondsPer100k: number;
  pacedRecords: number;
  putP50Ms: number;
  putP99Ms: number;
  acceptedP99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function makeProducer(emu: Emulators, stream: string, mode: Mode, dir: string): KinesisProducer {
  const options: KinesisProducerOptions = {
    streamName: stream,
    clientConfig: emu.kinesisConfig,
    aggregation: true,
    rateLimit: false,
    bufferTime: 50,
    maxBatchBytes: 5 * 1024 * 1024,
  };
  if (mode !== 'none') options.spool = { dir, fsync: mode, maxBytes: 1024 * 1024 * 1024 };
  return new KinesisProducer(options);
}

async function side(
  emu: Emulators,
  stream: string,
  mode: Mode,
  options: ProducerSpoolOptions,
): Promise<SpoolFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const data = payload(options.recordSize);
  try {
    // As fast as possible.
    let producer = makeProducer(emu, stream, mode, dir);
    await producer.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const puts: Promise<unknown>[] = new Array(options.records);
    for (let i = 0; i < options.records; i++) puts[i] = producer.put(data, { partitionKey: randomUUID() });
    await producer.flush();
    await Promise.all(puts);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = ownCpuSeconds(cpu0);
    await producer.close();

    // Paced: one batch of puts every 10 ms, then accepted().
    producer = makeProducer(emu, stream, mode, dir);
    await producer.start();
    const perTick = Math.max(1, Math.round(options.pacedRate / 100));
    const ticks = Math.round(options.pacedSeconds * 100);
    const putLatencies: number[] = [];
    const acceptedLatencies: number[] = [];
    const settled: Promise<void>[] = [];
    const start = performance.now();
    for (let tick = 0; tick < ticks; tick++) {
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now();
      for (let i = 0; i < perTick; i++) {
        settled.push(
          producer.put(data, { partitionKey: randomUUID() }).then(() => {
            putLatencies.push(performance.now() - at);
          }),
        );
      }
      void producer.accepted().then(() => acceptedLatencies.push(performance.now() - at));
    }
    await Promise.all(settled);
    await producer.close();
    putLatencies.sort((a, b) => a - b);
    acceptedLatencies.sort((a, b) => a - b);
    return {
      recordsPerSecond: options.records / seconds,
      mainCpuSecondsPer100k: (cpu / options.records) * 100_000,
      pacedRecords: putLatencies.length,
      putP50Ms: percentile(putLatencies, 50),
      putP99Ms: percentile(putLatencies, 99),
      acceptedP99Ms: percentile(acceptedLatencies, 99),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function producerSpool(options: ProducerSpoolOptions): Promise<BenchResult> {
  const started = performance.now();
  const emu = await startEmulators();
  try {
    const kinesis = emu.kinesis();
    const onNewStream = async <T>(fn: (stream: string) => Promise<T>): Promise<T> => {
      const stream = await newStream(kinesis, options.shards, 'spool');
      try {
        return await fn(stream);
      } finally {
        await deleteStream(kinesis, stream);
      }
    };
    // Warm-up (JIT, emulator), not reported.
    await onNewStream((s) => side(emu, s, 'batch', { ...options, records: 5000, pacedSeconds: 0.5 }));
    const runs: Record<Mode, SpoolFigures[]> = { none: [], batch: [], always: [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of ['none', 'batch', 'always'] as const)
        runs[mode].push(await onNewStream((s) => side(emu, s, mode, options)));
    }
    const medianOf = (figures: SpoolFigures[]): SpoolFigures => {
      const out = {} as SpoolFigures;
      for (const key of Object.keys(figures[0]!) as (keyof SpoolFigures)[])
        out[key] = median(figures.map((f) => f[key]));
      return out;
    };
    const none = medianOf(runs.none);
    const batch = medianOf(runs.batch);
    const always = medianOf(runs.always);
    const toSide = (label: string, kind: Side['kind'], f: SpoolFigures): Side => ({
      label,
      kind,
      figures: { ...f },
    });
    return {
      name: 'producer-spool',
      inputs: {
        ...options,
        aggregation: true,
        bufferTime: 50,
        emulator: 'kinesalite 3.3.3 (own process)',
        spoolDir: tmpdir(),
      },
      sides: [
        toSide('KinesisProducer, no spool', 'baseline', none),
        toSide("KinesisProducer, spool fsync 'batch'", 'library', batch),
        toSide("KinesisProducer, spool fsync 'always'", 'library', always),
      ],
      ratio: batch.recordsPerSecond / none.recordsPerSecond,
      ratioNote: "records/s with spool fsync 'batch' ÷ without a spool",
      ratios: {
        "records/s with spool fsync 'always' ÷ without a spool":
          always.recordsPerSecond / none.recordsPerSecond,
        "put() p99 with spool fsync 'batch' ÷ without": batch.putP99Ms / none.putP99Ms,
        "put() p99 with spool fsync 'always' ÷ without": always.putP99Ms / none.putP99Ms,
      },
      target: { text: 'none (reports the cost of the spool)', met: undefined },
      notes: [
        `Each figure is the median of ${options.rounds} rounds; in each round the three sides run one after the other on fresh streams.`,
        'Latencies come from the paced run (a batch of puts every 10 ms); put() latency runs from the call to the acknowledgement, so it includes bufferTime (50 ms here).',
        "With fsync 'always' each group of batches written together costs one fdatasync before the records are handed over; with 'batch' the data is fsynced at most every second.",
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}
