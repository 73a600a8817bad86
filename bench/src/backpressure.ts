/**
 * backpressure: peak RSS of the consuming process while a deliberately slow loop (1 ms per record)
 * consumes a backlog 20 times the consumer's buffer bounds, at two backlog sizes, against a bare
 * GetRecords loop that queues whatever it fetches. Each side runs in a fresh process.
 */
import { runSide } from './lib/child.js';
import { startEmulators } from './lib/emulators.js';
import type { BenchResult, Side } from './lib/result.js';
import { fillStream, newStream } from './lib/stream.js';

export interface BackpressureOptions {
  readonly shards: number;
  readonly recordSize: number;
  /** `maxBufferedRecords` of the tuned consumer side (per shard); the headline side uses the defaults. */
  readonly maxBufferedRecords: number;
  /** Backlogs as multiples of the total buffer bound (shards × maxBufferedRecords). */
  readonly multiples: readonly number[];
}

interface SideFigures {
  peakRssMiB: number;
  startRssMiB: number;
  consumed: number;
  fetched: number | null;
  shardPeakRssMiB: number;
}

export async function backpressure(options: BackpressureOptions): Promise<BenchResult> {
  const started = performance.now();
  const emu = await startEmulators();
  try {
    const kinesis = emu.kinesis();
    const stream = await newStream(kinesis, options.shards, 'backpressure');
    const bound = options.shards * options.maxBufferedRecords;
    const sides: Side[] = [];
    const library: number[] = [];
    const tuned: number[] = [];
    const baseline: number[] = [];
    let filled = 0;
    for (const multiple of options.multiples) {
      const backlog = bound * multiple;
      await fillStream(kinesis, stream, backlog - filled, options.recordSize);
      filled = backlog;
      // Long enough for the bare loop to fetch the whole backlog (kinesalite serves ~15k records/s).
      const seconds = Math.max(4, Math.ceil(backlog / 8000) + 2);
      const common = {
        kinesisEndpoint: emu.kinesisEndpoint,
        dynamodbEndpoint: emu.dynamodbEndpoint,
        stream,
        backlog,
        seconds,
      };
      const lib = await runSide<SideFigures>('backpressure-side.ts', {
        ...common,
        side: 'library',
        runner: 'process',
      });
      const libTuned = await runSide<SideFigures>('backpressure-side.ts', {
        ...common,
        side: 'library',
        runner: 'process',
        maxBufferedRecords: options.maxBufferedRecords,
      });
      const bare = await runSide<SideFigures>('backpressure-side.ts', { ...common, side: 'baseline' });
      library.push(lib.peakRssMiB);
      tuned.push(libTuned.peakRssMiB);
      baseline.push(bare.peakRssMiB);
      const mib = (backlog * options.recordSize) / 2 ** 20;
      const label = `backlog ${backlog.toLocaleString('en-US')} records (${mib.toFixed(0)} MiB, ${multiple}× the bound)`;
      sides.push(
        {
          label: `KinesisConsumer (process runner, default settings), ${label}`,
          kind: 'library',
          figures: {
            peakRssMiB: lib.peakRssMiB,
            startRssMiB: lib.startRssMiB,
            shardProcessesPeakRssMiB: lib.shardPeakRssMiB,
            consumed: lib.consumed,
            seconds,
          },
        },
        {
          label: `KinesisConsumer (process runner, maxBufferedRecords ${options.maxBufferedRecords}), ${label}`,
          kind: 'library',
          figures: {
            peakRssMiB: libTuned.peakRssMiB,
            startRssMiB: libTuned.startRssMiB,
            shardProcessesPeakRssMiB: libTuned.shardPeakRssMiB,
            consumed: libTuned.consumed,
            seconds,
          },
        },
        {
          label: `bare GetRecords loop + queue, ${label}`,
          kind: 'baseline',
          figures: {
            peakRssMiB: bare.peakRssMiB,
            startRssMiB: bare.startRssMiB,
            consumed: bare.consumed,
            fetched: bare.fetched ?? undefined,
            seconds,
          },
        },
      );
    }
    const growth = library[library.length - 1]! / library[0]!;
    const baselineGrowth = baseline[baseline.length - 1]! / baseline[0]!;
    return {
      name: 'backpressure',
      inputs: {
        ...options,
        totalBufferBound: `${bound} (tuned side; the backlogs are multiples of it)`,
        defaults: 'maxBufferedRecords 10,000 and maxBufferedBytes 32 MiB per shard',
        slowLoop: '1 ms per record (setTimeout)',
        runner: 'process',
      },
      sides,
      ratio: library[library.length - 1]! / baseline[baseline.length - 1]!,
      ratioNote:
        'library (default settings) main-process peak RSS ÷ bare loop peak RSS at the largest backlog (lower is better)',
      ratios: {
        'library (default settings) peak RSS, largest ÷ smallest backlog (flat = 1)': growth,
        [`library (maxBufferedRecords ${options.maxBufferedRecords}) peak RSS ÷ bare loop, largest backlog`]:
          tuned[tuned.length - 1]! / baseline[baseline.length - 1]!,
        [`library (maxBufferedRecords ${options.maxBufferedRecords}) peak RSS, largest ÷ smallest backlog`]:
          tuned[tuned.length - 1]! / tuned[0]!,
        'bare loop peak RSS, largest ÷ smallest backlog': baselineGrowth,
      },
      target: {
        text: 'with default settings, main-process peak RSS < 150 MiB and flat as the backlog grows (within 10 %)',
        met: growth <= 1.1 && library[library.length - 1]! < 150,
      },
      notes: [
        'Each side runs in a fresh process; peak RSS is sampled every 10 ms (main process) and read from /proc VmHWM (shard processes).',
        'The process runner keeps fetched records in the shard processes and this process, both bounded by maxBufferedRecords/maxBufferedBytes per shard (plus at most one GetRecords batch).',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await emu.stop();
  }
}
