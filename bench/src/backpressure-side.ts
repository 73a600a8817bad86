/**
 * One side of the backpressure benchmark, in a fresh process so that its peak RSS is its own: a
 * deliberately slow loop (1 ms per record) consumes a backlog for a fixed time, reading with either
 * KinesisConsumer (bounded buffers) or a bare GetRecords loop feeding an unbounded queue.
 * Prints one JSON line: { peakRssMiB, startRssMiB, consumed, fetched, shardPeakRssMiB }.
 */
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { processPeakRssMiB, sampleRss, sleep } from './lib/measure.js';
import { startEmulatorsFromArgs } from './lib/side-args.js';

interface SideArgs {
  readonly side: 'library' | 'baseline';
  readonly stream: string;
  readonly backlog: number;
  readonly seconds: number;
  /** Absent: the consumer's default. */
  readonly maxBufferedRecords?: number;
  readonly runner: 'process' | 'thread' | 'inline';
}

const { args, kinesis, kinesisConfig } = startEmulatorsFromArgs<SideArgs>();
const startRssMiB = process.memoryUsage.rss() / 2 ** 20;
const rss = sampleRss(10);
const deadline = performance.now() + args.seconds * 1000;
let consumed = 0;
let fetched = 0;
let shardPeakRssMiB = 0;

/** The slow loop's work: 1 ms per record. */
const slowWork = (): Promise<void> => sleep(1);

if (args.side === 'library') {
  const consumer = new KinesisConsumer({
    streamName: args.stream,
    runner: args.runner,
    initialPosition: 'TRIM_HORIZON',
    clientConfig: kinesisConfig,
    ...(args.maxBufferedRecords === undefined ? {} : { maxBufferedRecords: args.maxBufferedRecords }),
  });
  const pids = new Set<number>();
  const watch = setInterval(() => {
    for (const pid of Object.values(consumer.shardProcessIds)) pids.add(pid);
  }, 100);
  for await (const record of consumer) {
    if (record.data.byteLength === 0) throw new Error('empty record');
    consumed++;
    if (performance.now() >= deadline) {
      for (const pid of Object.values(consumer.shardProcessIds)) pids.add(pid);
      for (const pid of pids) shardPeakRssMiB += processPeakRssMiB(pid) ?? 0;
      break;
    }
    await slowWork();
  }
  clearInterval(watch);
  fetched = Number.NaN;
} else {
  // The bare loop fetches as fast as GetRecords answers and queues everything for the slow loop.
  const queue: Uint8Array[] = [];
  let head = 0;
  let done = false;
  // Loaded here: the library side's process holds no stream helpers (nor the integration package).
  const { bareGetRecordsLoop } = await import('./lib/stream.js');
  void bareGetRecordsLoop(await kinesis(), args.stream, args.backlog, (data) => {
    queue.push(data);
    fetched++;
  }).finally(() => {
    done = true;
  });
  while (performance.now() < deadline) {
    if (head < queue.length) {
      if (queue[head]!.byteLength === 0) throw new Error('empty record');
      queue[head++] = new Uint8Array(0);
      consumed++;
      await slowWork();
    } else await sleep(done ? 50 : 1);
  }
}
const peakRssMiB = rss.stop();
process.stdout.write(`${JSON.stringify({ peakRssMiB, startRssMiB, consumed, fetched, shardPeakRssMiB })}\n`);
process.exit(0);
