/**
 * failover: seconds from `kill -9` of one of two consumer instances (separate processes, DynamoDB
 * state on dynalite) until the other reads every shard, against the configured failover time.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createStateTable } from '@kinesis-ts/state-dynamodb';
import { type Emulators, onJsonLines, spawnTsx, startEmulators } from './lib/emulators.js';
import { sleep } from './lib/measure.js';
import type { BenchResult } from './lib/result.js';
import { fillStream, newStream } from './lib/stream.js';

export interface FailoverOptions {
  readonly shards: number;
  readonly failoverTimeMs: number;
  readonly leaseScanIntervalMs: number;
  readonly trials: number;
}

const SCRIPT = fileURLToPath(new URL('./failover-instance.ts', import.meta.url));

class Instance {
  readonly child: ChildProcess;
  owned: string[] = [];
  ownedAt = 0;
  readonly exited: Promise<void>;
  constructor(emu: Emulators, args: Record<string, unknown>) {
    this.child = spawnTsx(SCRIPT, [
      JSON.stringify({
        ...args,
        kinesisEndpoint: emu.kinesisEndpoint,
        dynamodbEndpoint: emu.dynamodbEndpoint,
      }),
    ]);
    this.child.stderr!.resume();
    onJsonLines(this.child, (value) => {
      this.owned = value.owned as string[];
      this.ownedAt = value.at as number;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export async function failover(options: FailoverOptions): Promise<BenchResult> {
  const started = performance.now();
  const emu = await startEmulators();
  const instances: Instance[] = [];
  try {
    const kinesis = emu.kinesis();
    const dynamo = emu.dynamo();
    const takeovers: number[] = [];
    for (let trial = 0; trial < options.trials; trial++) {
      const stream = await newStream(kinesis, options.shards, 'failover');
      await fillStream(kinesis, stream, 2000, 100);
      const table = `bench-failover-${process.pid}-${trial}`;
      await createStateTable(dynamo, { tableName: table, pollIntervalMs: 100 });
      const args = {
        stream,
        table,
        failoverTimeMs: options.failoverTimeMs,
        leaseScanIntervalMs: options.leaseScanIntervalMs,
      };
      const a = new Instance(emu, { ...args, instanceId: 'a' });
      const b = new Instance(emu, { ...args, instanceId: 'b' });
      instances.push(a, b);
      const half = Math.floor(options.shards / 2);
      await waitFor(
        () =>
          a.owned.length >= half &&
          b.owned.length >= half &&
          a.owned.length + b.owned.length === options.shards,
        60_000,
        'a balanced split',
      );
      // Let renewals settle into their rhythm, then kill -9 at a random point of the renew cycle.
      await sleep(1000 + Math.random() * options.failoverTimeMs);
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      await waitFor(() => b.owned.length === options.shards, 60_000, 'the survivor to own every shard');
      takeovers.push((b.ownedAt - killedAt) / 1000);
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    }
    const configured = options.failoverTimeMs / 1000;
    const bound = (options.failoverTimeMs + options.leaseScanIntervalMs) / 1000;
    const worst = Math.max(...takeovers);
    const mean = takeovers.reduce((s, t) => s + t, 0) / takeovers.length;
    return {
      name: 'failover',
      inputs: { ...options, state: 'DynamoDBState on dynalite 4.0.0', runner: 'process', instances: 2 },
      sides: [
        {
          label: 'kill -9 of one instance → survivor reads every shard',
          kind: 'library',
          figures: { meanSeconds: mean, worstSeconds: worst, bestSeconds: Math.min(...takeovers) },
        },
        {
          label: 'configured failover time (+ one lease scan interval)',
          kind: 'baseline',
          figures: { failoverTimeSeconds: configured, boundSeconds: bound },
        },
      ],
      ratio: worst / configured,
      ratioNote: 'worst takeover ÷ configured failover time (lower is better)',
      ratios: { 'worst takeover ÷ (failover time + one scan interval)': worst / bound },
      target: { text: 'takeover ≤ failover time + one scan interval', met: worst <= bound },
      notes: [
        `Takeovers in seconds: ${takeovers.map((t) => t.toFixed(2)).join(', ')}.`,
        'A lease counts as expired once an observer saw its counter unchanged for failoverTimeMs on its own clock (no clock sync); it is noticed at the next lease scan.',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    await emu.stop();
  }
}
