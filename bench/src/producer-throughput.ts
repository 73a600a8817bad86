/**
 * producer-throughput: user records/s for 100 B records with random partition keys: KinesisProducer
 * with aggregation, against a naive one-PutRecord-per-record loop and hand-batched PutRecords; and
 * Kinesis records per user record.
 */
import { randomUUID } from 'node:crypto';
import { type KinesisClient, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { deleteStream } from '@kinesis-ts/integration';
import { KinesisProducer } from '@kinesis-ts/producer';
import { type Emulators, startEmulators } from './lib/emulators.js';
import { startMeter } from './lib/meter.js';
import type { BenchResult, Side } from './lib/result.js';
import { newStream, payload } from './lib/stream.js';

/** Requests the baselines keep in flight: as many as the producer does (8 per default). */
const BASELINE_CONCURRENCY = 8;

export interface ProducerOptions {
  /** Records the library and the hand-batched loop write. */
  readonly records: number;
  /** Seconds the naive loop runs (it is slow; a time box keeps the run short). */
  readonly naiveSeconds: number;
  readonly recordSize: number;
  readonly shards: number;
}

interface ProducerFigures {
  recordsPerSecond: number;
  kinesisRecordsPerUserRecord: number;
  records: number;
  /**
   * CPU seconds per 100k records of every process of the side: for the library, from construction
   * through start() (background process boot) to close() done, its background process included.
   */
  cpuSecondsPer100k: number;
  /** This process's part of it. */
  mainCpuSecondsPer100k: number;
  /** Seconds `start()` took (the library; 0 for the baselines). */
  startSeconds: number;
}

async function library(
  emu: Emulators,
  stream: string,
  options: ProducerOptions,
  aggregation: boolean,
  rateLimit: boolean,
): Promise<ProducerFigures> {
  const meter = await startMeter([emu.pid]);
  const constructed = performance.now();
  const producer = new KinesisProducer({
    streamName: stream,
    aggregation,
    clientConfig: emu.kinesisConfig,
    ...(rateLimit ? {} : { rateLimit: false }),
    // kinesalite rejects PutRecords requests over 5 MiB (the producer's default allows 10 MiB).
    maxBatchBytes: 5 * 1024 * 1024,
  });
  // start() (the background process and the shard map) is outside the records/s window but inside CPU.
  await producer.start();
  const startSeconds = (performance.now() - constructed) / 1000;
  const data = payload(options.recordSize);
  const t0 = performance.now();
  const puts: Promise<unknown>[] = new Array(options.records);
  for (let i = 0; i < options.records; i++) puts[i] = producer.put(data, { partitionKey: randomUUID() });
  await producer.flush(); // send the last partial aggregates now instead of after bufferTime
  const results = await Promise.allSettled(puts);
  const seconds = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => r.status === 'rejected').length;
  const stats = producer.stats();
  await producer.close();
  // The background process's CPU counts once it exited and was reaped (cutime): wait for it, bounded.
  let cpu = meter.cpuSeconds();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const next = meter.cpuSeconds();
    if (next === cpu && i >= 5) break;
    cpu = next;
  }
  const main = meter.mainCpuSeconds();
  await meter.stop();
  if (failed > 0) {
    const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
    throw new Error(`library (aggregation ${aggregation}): ${failed} records failed, e.g. ${reason.message}`);
  }
  return {
    recordsPerSecond: options.records / seconds,
    kinesisRecordsPerUserRecord: stats.entriesSent / options.records,
    records: options.records,
    cpuSecondsPer100k: (cpu / options.records) * 100_000,
    mainCpuSecondsPer100k: (main / options.records) * 100_000,
    startSeconds,
  };
}

/** A competent user's naive loop: one PutRecord per record, `BASELINE_CONCURRENCY` calls in flight. */
async function naive(
  emu: Emulators,
  kinesis: KinesisClient,
  stream: string,
  options: ProducerOptions,
): Promise<ProducerFigures> {
  const data = payload(options.recordSize);
  const meter = await startMeter([emu.pid]);
  const t0 = performance.now();
  const deadline = t0 + options.naiveSeconds * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && n < options.records) {
      n++;
      await kinesis.send(
        new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: randomUUID() }),
      );
    }
  };
  await Promise.all(Array.from({ length: BASELINE_CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.cpuSeconds();
  await meter.stop();
  return {
    recordsPerSecond: n / seconds,
    kinesisRecordsPerUserRecord: 1,
    records: n,
    cpuSecondsPer100k: (cpu / n) * 100_000,
    mainCpuSecondsPer100k: (cpu / n) * 100_000,
    startSeconds: 0,
  };
}

/**
 * Hand-batched PutRecords: 500 records per call, `BASELINE_CONCURRENCY` calls in flight, failed
 * entries retried.
 */
async function handBatched(
  emu: Emulators,
  kinesis: KinesisClient,
  stream: string,
  options: ProducerOptions,
): Promise<ProducerFigures> {
  const data = payload(options.recordSize);
  const meter = await startMeter([emu.pid]);
  const t0 = performance.now();
  let entries = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.records) {
      const n = Math.min(500, options.records - next);
      next += n;
      let batch = Array.from({ length: n }, () => ({ Data: data, PartitionKey: randomUUID() }));
      while (batch.length > 0) {
        entries += batch.length;
        const result = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: batch }));
        batch = batch.filter((_, i) => result.Records?.[i]?.ErrorCode !== undefined); // retry failed entries
      }
    }
  };
  await Promise.all(Array.from({ length: BASELINE_CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.cpuSeconds();
  await meter.stop();
  return {
    recordsPerSecond: options.records / seconds,
    kinesisRecordsPerUserRecord: entries / options.records,
    records: options.records,
    cpuSecondsPer100k: (cpu / options.records) * 100_000,
    mainCpuSecondsPer100k: (cpu / options.records) * 100_000,
    startSeconds: 0,
  };
}

export async function producerThroughput(options: ProducerOptions): Promise<BenchResult> {
  const started = performance.now();
  const emu = await startEmulators();
  try {
    const kinesis = emu.kinesis();
    // A stream per side, so no side writes into a shard another side already filled.
    // A fresh stream per side, so no side writes into shards another side filled (kinesalite allows
    // 10 shards in all: each stream is deleted after its side).
    const onNewStream = async <T>(fn: (stream: string) => Promise<T>): Promise<T> => {
      const stream = await newStream(kinesis, options.shards, 'produce');
      try {
        return await fn(stream);
      } finally {
        await deleteStream(kinesis, stream);
      }
    };
    // Warm-up: JIT of the SDK and the emulator.
    await onNewStream((s) => handBatched(emu, kinesis, s, { ...options, records: 2000 }));
    const aggregated = await onNewStream((s) => library(emu, s, options, true, false));
    const aggregatedLimited = await onNewStream((s) => library(emu, s, options, true, true));
    const plain = await onNewStream((s) => library(emu, s, options, false, false));
    const naiveLoop = await onNewStream((s) => naive(emu, kinesis, s, options));
    const batched = await onNewStream((s) => handBatched(emu, kinesis, s, options));
    const side = (label: string, kind: Side['kind'], f: ProducerFigures): Side => ({
      label,
      kind,
      figures: { ...f },
    });
    const vsNaive = aggregated.recordsPerSecond / naiveLoop.recordsPerSecond;
    const vsBatched = aggregated.recordsPerSecond / batched.recordsPerSecond;
    return {
      name: 'producer-throughput',
      inputs: {
        ...options,
        partitionKeys: 'random UUID per record',
        emulator: 'kinesalite 3.3.3 (own process)',
      },
      sides: [
        side(`naive PutRecord loop (${BASELINE_CONCURRENCY} in flight)`, 'baseline', naiveLoop),
        side(
          `hand-batched PutRecords (500 per call, ${BASELINE_CONCURRENCY} calls in flight)`,
          'baseline',
          batched,
        ),
        side('KinesisProducer, aggregation, no shard rate limits', 'library', aggregated),
        side('KinesisProducer, aggregation, default shard rate limits', 'library', aggregatedLimited),
        side('KinesisProducer, no aggregation, no shard rate limits', 'library', plain),
      ],
      ratio: vsNaive,
      ratioNote: 'aggregating producer records/s ÷ naive PutRecord loop records/s',
      ratios: {
        'aggregating producer ÷ hand-batched PutRecords': vsBatched,
        'aggregating producer with default shard rate limits ÷ hand-batched PutRecords':
          aggregatedLimited.recordsPerSecond / batched.recordsPerSecond,
        'non-aggregating producer ÷ hand-batched PutRecords':
          plain.recordsPerSecond / batched.recordsPerSecond,
        'Kinesis records per user record with aggregation': aggregated.kinesisRecordsPerUserRecord,
        'aggregating producer CPU per record ÷ hand-batched CPU per record (all processes, start() included)':
          aggregated.cpuSecondsPer100k / batched.cpuSecondsPer100k,
      },
      target: {
        text: 'aggregation ≥ 20 × naive and ≥ 3 × hand-batched',
        met: vsNaive >= 20 && vsBatched >= 3,
      },
      notes: [
        `Baselines as a competent user writes them: ${BASELINE_CONCURRENCY} requests in flight, as the producer keeps by default.`,
        'CPU: every process of the side, the producer from construction through start() to close() done, its background process included (cutime once reaped); emulators excluded. records/s starts after start().',
        'The headline compares on equal footing: the baselines ignore the Kinesis shard limits and kinesalite never throttles, so the library runs with rateLimit: false. Otherwise library defaults: background process runner, bufferTime 500 ms, 50 KiB aggregates.',
        'With its default per-shard limits (1,000 Kinesis records/s and 1 MiB/s per shard, as AWS enforces) the aggregating producer is capped near 4 MiB/s on 4 shards; on AWS the non-aggregating baselines would be capped at 1,000 records/s per shard (4,000/s here) and throttled beyond.',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}
