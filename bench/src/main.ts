/**
 * `pnpm bench`: runs the benchmarks, prints a table per benchmark and writes one JSON object per
 * benchmark to bench/results.json. Benchmarks report; they never assert timings.
 *
 *   pnpm bench                      small sizes (a few minutes on 2 cores)
 *   pnpm bench --large              larger sizes and more rounds (several minutes more)
 *   pnpm bench --only codec,failover
 *   pnpm bench --records 160000     consumer-drain (and its variants) at another size
 *   pnpm bench --scaling            adds consumer-scaling: 1, 4, 16, 64 shards per runner (heavy)
 *   pnpm bench --shards 1,4         consumer-scaling's shard counts
 *   pnpm bench --compare-build /path/to/consumer/dist/index.mjs
 *                                   consumer-drain also runs every runner with that build (A/B in one run)
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

// Before the SDK loads (hence the dynamic imports below): Node 20 is what this repository targets.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { consumerDrain, consumerScaling, RUNNER_CONFIGS, withBuild } = await import('./consumer-drain.js');
const { producerThroughput } = await import('./producer-throughput.js');
const { producerSpool } = await import('./producer-spool.js');
const { codec } = await import('./codec.js');
const { getRecordsParse } = await import('./get-records-parse.js');
const { backpressure } = await import('./backpressure.js');
const { failover } = await import('./failover.js');
const { printResult } = await import('./lib/result.js');
type BenchResult = import('./lib/result.js').BenchResult;

const argv = process.argv.slice(2).filter((a) => a !== '--');
const large = argv.includes('--large');
const scaling = argv.includes('--scaling');
const flagValue = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const onlyValue = flagValue('--only');
const only = onlyValue === undefined ? undefined : new Set(onlyValue.split(','));
const recordsValue = flagValue('--records');
const drainRecords = recordsValue === undefined ? (large ? 300_000 : 60_000) : Number(recordsValue);
const shardCounts = (flagValue('--shards') ?? '1,4,16,64').split(',').map(Number);
const compareBuild = flagValue('--compare-build');
const valueFlags = ['--only', '--records', '--shards', '--compare-build'];
const known = new Set([
  '--large',
  '--scaling',
  ...valueFlags,
  ...valueFlags.map(flagValue).filter((v): v is string => v !== undefined),
]);
const unknown = argv.filter((a) => !known.has(a));
const invalid =
  !Number.isSafeInteger(drainRecords) ||
  drainRecords <= 0 ||
  shardCounts.some((n) => !Number.isSafeInteger(n) || n <= 0);
if (unknown.length > 0 || invalid || argv.includes('--help')) {
  console.error(
    'Usage: pnpm bench [--large] [--records N] [--compare-build PATH] [--scaling [--shards 1,4,16,64]] [--only consumer-drain,consumer-drain-kpl,consumer-drain-dynamodb,consumer-scaling,producer-throughput,producer-spool,codec,get-records-parse,backpressure,failover]',
  );
  process.exit(unknown.length > 0 || invalid ? 2 : 0);
}

const benchmarks: [string, () => Promise<BenchResult> | BenchResult][] = [
  [
    'consumer-drain',
    () =>
      consumerDrain({
        records: drainRecords,
        recordSize: 100,
        shards: 4,
        rounds: large ? 3 : 1,
        runners:
          compareBuild === undefined
            ? RUNNER_CONFIGS
            : [...RUNNER_CONFIGS, ...withBuild(RUNNER_CONFIGS, compareBuild)],
      }),
  ],
  [
    'consumer-drain-kpl',
    () =>
      consumerDrain({
        records: drainRecords,
        recordSize: 100,
        shards: 4,
        rounds: large ? 3 : 1,
        aggregated: true,
        runners: [RUNNER_CONFIGS[0]!, RUNNER_CONFIGS[2]!],
      }),
  ],
  [
    'consumer-drain-dynamodb',
    () =>
      consumerDrain({
        records: drainRecords,
        recordSize: 100,
        shards: 4,
        rounds: large ? 3 : 1,
        state: 'dynamodb',
        runners: [RUNNER_CONFIGS[0]!, RUNNER_CONFIGS[2]!],
      }),
  ],
  ...(scaling || only?.has('consumer-scaling')
    ? [
        [
          'consumer-scaling',
          () => consumerScaling({ shardCounts, records: large ? 128_000 : 32_000, recordSize: 100 }),
        ] as [string, () => Promise<BenchResult>],
      ]
    : []),
  [
    'producer-throughput',
    () =>
      producerThroughput({
        records: large ? 300_000 : 50_000,
        naiveSeconds: large ? 10 : 3,
        recordSize: 100,
        shards: 4,
      }),
  ],
  [
    'producer-spool',
    () =>
      producerSpool({
        records: large ? 100_000 : 30_000,
        recordSize: 512,
        shards: 4,
        pacedRate: large ? 5000 : 2000,
        pacedSeconds: large ? 6 : 3,
        rounds: large ? 5 : 3,
      }),
  ],
  ['codec', () => codec({ rounds: large ? 9 : 5, roundMs: large ? 300 : 150 })],
  ['get-records-parse', () => getRecordsParse({ rounds: large ? 9 : 5, roundMs: large ? 500 : 250 })],
  [
    'backpressure',
    () =>
      backpressure({
        shards: 4,
        recordSize: 1024,
        maxBufferedRecords: 250, // the tuned side; the headline side runs with the defaults
        multiples: large ? [20, 80] : [20, 40],
      }),
  ],
  [
    'failover',
    () => failover({ shards: 4, failoverTimeMs: 3000, leaseScanIntervalMs: 1000, trials: large ? 5 : 2 }),
  ],
];
if (only !== undefined) {
  for (const name of only) {
    if (!benchmarks.some(([n]) => n === name)) {
      console.error(`unknown benchmark ${name}; known: ${benchmarks.map(([n]) => n).join(', ')}`);
      process.exit(2);
    }
  }
}

const environment = {
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  size: large ? 'large' : 'small',
  argv: argv.join(' '),
  date: new Date().toISOString(),
};
console.log(
  `kinesis-ts benchmarks (${environment.size}): node ${environment.node}, ${environment.cpus} CPUs, load ${environment.loadAverageAtStart.join(' ')}`,
);

const results: (BenchResult & { environment: typeof environment })[] = [];
const out = fileURLToPath(new URL('../results.json', import.meta.url));
for (const [name, run] of benchmarks) {
  if (only !== undefined && !only.has(name)) continue;
  console.log(`\nrunning ${name}...`);
  const result = await run();
  printResult(result);
  results.push({ ...result, environment });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
}

console.log('\n## summary');
for (const r of results) {
  const verdict = r.target.met === undefined ? 'n/a' : r.target.met ? 'met' : 'NOT met';
  console.log(
    `${r.name.padEnd(20)} ratio ${r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2).padStart(6)}  target ${verdict.padEnd(7)} (${r.target.text})`,
  );
}
console.log(`\nwrote ${out}`);
