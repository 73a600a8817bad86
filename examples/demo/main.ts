/**
 * `pnpm demo`: a producer and two consumer instances on a 4-shard stream, one instance killed with
 * SIGKILL halfway, and a check that every record produced was consumed.
 *
 * Everything is real: embedded emulators (kinesalite, dynalite) answer real SDK calls on loopback
 * ports, the producer batches and aggregates in its background process, each consumer instance is
 * its own OS process with one more process per shard, and leases and checkpoints live in DynamoDB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Lease } from '@kinesis-ts/core';
import { KinesisProducer } from '@kinesis-ts/producer';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { cliHints } from './cli-hints.js';
import { type Environment, prepareEnvironment } from './environment.js';
import { type DemoOptions, parseOptions, USAGE, UsageError } from './options.js';
import { type InstanceConfig, type InstanceMessage, recordPayload } from './protocol.js';
import { int, table, View } from './view.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SCAN_MS = 1000;
const CHECKPOINT_RECORDS = 500;
const CHECKPOINT_MS = 1000;
const INSTANCE_SCRIPT = fileURLToPath(new URL('./consumer-instance.ts', import.meta.url));
const EXAMPLES_DIR = fileURLToPath(new URL('..', import.meta.url));

/** One consumer instance (an OS process) as the demo sees it. */
class Instance {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  owned: string[] = [];
  shardPids: Record<string, number> = {};
  /** Every shard process id this instance ever reported. */
  readonly allShardPids = new Set<number>();
  lag: Record<string, number> = {};
  foreign = 0;
  started = false;
  closed = false;
  killed = false;
  alive = true;
  readonly errors: string[] = [];

  constructor(
    readonly name: string,
    config: InstanceConfig,
    onMessage: (instance: Instance, message: InstanceMessage) => void,
  ) {
    // `--import tsx` runs the TypeScript script directly; stdin is a pipe whose end tells the
    // instance that the demo is gone.
    this.child = spawn(process.execPath, ['--import', 'tsx', INSTANCE_SCRIPT, JSON.stringify(config)], {
      cwd: EXAMPLES_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.alive = false;
        resolve(code);
      }),
    );
    let buffer = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        onMessage(this, JSON.parse(line) as InstanceMessage);
      }
    });
    let stderr = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    this.child.once('exit', (code, signal) => {
      if (!this.killed && !this.closed && stderr.trim() !== '') {
        this.errors.push(
          `exited (code ${String(code)}, signal ${String(signal)}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
        );
      }
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  kill(): void {
    this.killed = true;
    this.child.kill('SIGKILL');
  }

  /** Graceful stop: the instance flushes checkpoints and releases its leases. SIGKILL after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<number | null> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Per-shard figures for the view and the summary. */
interface ShardStats {
  consumed: number;
  byInstance: Map<string, number>;
  /** [time, records] of recent `records` messages, for records/s. */
  recent: [number, number][];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const shardNumber = (shardId: string): string =>
  String(Number.parseInt(shardId.replace(/^shardId-/, ''), 10));
const shortSeq = (seq: string): string => (seq.length > 12 ? `…${seq.slice(-10)}` : seq);

async function main(): Promise<number> {
  let options: DemoOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = options;
  const view = new View(!o.plain);
  view.event('kinesis-ts demo: starting the back-end');
  const env = await prepareEnvironment(o, (line) => view.event(line));
  const cleanup: (() => Promise<void>)[] = [() => env.close()];
  const instances: Instance[] = [];
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(o, env, view, instances, cleanup, () => interrupted);
  } finally {
    view.finish();
    for (const instance of instances) if (instance.alive) instance.kill();
    await Promise.all(instances.map((i) => i.exited));
    for (const step of cleanup.reverse()) await step().catch(() => {});
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function run(
  o: DemoOptions,
  env: Environment,
  view: View,
  instances: Instance[],
  cleanup: (() => Promise<void>)[],
  interrupted: () => boolean,
): Promise<number> {
  view.event(`back-end: ${env.description}`);
  const runId = randomBytes(6).toString('hex');
  const consumerGroup = `demo-${runId}`;
  const scope = { consumerGroup, streamName: env.streamName };
  const total = o.records;

  // --- ledger -------------------------------------------------------------------------------
  const acked = new Uint8Array(total);
  const ackedShard: string[] = new Array<string>(total);
  const consumedCount = new Uint16Array(total);
  const shards = new Map<string, ShardStats>();
  const shardStats = (shardId: string): ShardStats => {
    let s = shards.get(shardId);
    if (s === undefined) {
      s = { consumed: 0, byInstance: new Map(), recent: [] };
      shards.set(shardId, s);
    }
    return s;
  };
  let consumedTotal = 0;
  let consumedUnique = 0;
  let ackedTotal = 0;
  let putFailed = 0;
  const putErrors = new Map<string, number>();

  // --- lease table, read by the demo itself ---------------------------------------------------
  const { connection } = env;
  const leaseReader = new DynamoDBState({
    tableName: env.tableName,
    clientConfig: {
      region: connection.region,
      ...(connection.dynamodbEndpoint === undefined ? {} : { endpoint: connection.dynamodbEndpoint }),
      ...(connection.credentials === undefined ? {} : { credentials: connection.credentials }),
    },
  });
  await leaseReader.start();
  cleanup.push(() => leaseReader.close());
  let leases = new Map<string, Lease>();
  const readLeases = async (): Promise<void> => {
    const list = await leaseReader.listLeases(scope);
    leases = new Map(list.map((lease) => [lease.shardId, lease]));
  };

  // --- consumer instances ---------------------------------------------------------------------
  const names = new Map<string, string>();
  const onMessage = (instance: Instance, message: InstanceMessage): void => {
    switch (message.t) {
      case 'started':
        instance.started = true;
        view.event(`consumer ${instance.name} started (pid ${message.pid})`);
        break;
      case 'records': {
        const s = shardStats(message.shardId);
        s.consumed += message.ids.length;
        s.byInstance.set(instance.name, (s.byInstance.get(instance.name) ?? 0) + message.ids.length);
        s.recent.push([Date.now(), message.ids.length]);
        for (const id of message.ids) {
          if (id >= total) continue;
          if (consumedCount[id] === 0) consumedUnique++;
          if (consumedCount[id]! < 65535) consumedCount[id]!++;
        }
        consumedTotal += message.ids.length;
        break;
      }
      case 'status':
        instance.owned = message.owned;
        instance.shardPids = message.shardPids;
        for (const pid of Object.values(message.shardPids)) instance.allShardPids.add(pid);
        instance.lag = message.lag;
        instance.foreign = message.foreign;
        break;
      case 'lease':
        view.event(`consumer ${instance.name} ${message.event} ${message.shardId} (${message.detail})`);
        break;
      case 'error':
        instance.errors.push(`${message.code}: ${message.message}`);
        view.event(`consumer ${instance.name} error ${message.code}: ${message.message}`);
        break;
      case 'closed':
        instance.closed = true;
        break;
    }
  };
  const startInstance = (name: string): Instance => {
    const instanceId = `${name}-${runId}`;
    names.set(instanceId, name);
    const instance = new Instance(
      name,
      {
        connection,
        streamName: env.streamName,
        tableName: env.tableName,
        consumerGroup,
        instanceId,
        runId,
        failoverTimeMs: o.failoverMs,
        leaseScanIntervalMs: SCAN_MS,
        checkpointRecords: CHECKPOINT_RECORDS,
        checkpointMs: CHECKPOINT_MS,
      },
      onMessage,
    );
    instances.push(instance);
    return instance;
  };

  // --- the view -------------------------------------------------------------------------------
  const startedAt = Date.now();
  let produced = 0;
  let producing = false;
  let produceStart = 0;
  let produceEnd = 0;
  let stats = { recordsAcknowledged: 0, retried: 0, entriesSent: 0, throttled: 0, recordsFailed: 0 };
  const shardIds = (): string[] => [...new Set([...leases.keys(), ...shards.keys()])].sort();
  const rate = (s: ShardStats | undefined): number => {
    if (s === undefined) return 0;
    const since = Date.now() - 2000;
    while (s.recent.length > 0 && s.recent[0]![0] < since) s.recent.shift();
    return s.recent.reduce((n, [, count]) => n + count, 0) / 2;
  };
  const ownerOf = (shardId: string): string => {
    const owner = leases.get(shardId)?.owner;
    if (owner === undefined) return '-';
    if (owner === null) return 'none';
    return names.get(owner) ?? owner;
  };
  const lagOf = (shardId: string): string => {
    for (const instance of instances) {
      const lag = instance.alive ? instance.lag[shardId] : undefined;
      if (lag !== undefined) return `${int(lag)} ms`;
    }
    return '-';
  };
  const produceRate = (): number => {
    const elapsed = ((producing ? Date.now() : produceEnd) - produceStart) / 1000;
    return elapsed > 0 ? produced / elapsed : 0;
  };
  const producerLine = (): string =>
    `producer: ${int(produced)}/${int(total)} put (${int(produceRate())} records/s), ${int(stats.recordsAcknowledged)} acknowledged, ` +
    `${int(stats.retried)} retried, ${int(stats.entriesSent)} Kinesis records sent`;
  const instanceLine = (): string =>
    instances
      .map((i) => {
        const state = i.alive ? 'running' : i.killed ? 'KILLED' : 'exited';
        if (!i.alive) return `${i.name} pid ${i.pid} ${state}`;
        return `${i.name} pid ${i.pid} ${state}, owns [${i.owned.map(shardNumber).join(',')}] with ${Object.keys(i.shardPids).length} shard processes`;
      })
      .join(' · ');
  const frame = (): string[] => {
    const rows: string[][] = [['shard', 'owner', 'checkpoint', 'counter', 'lag', 'records/s', 'consumed']];
    for (const shardId of shardIds()) {
      const lease = leases.get(shardId);
      rows.push([
        shardId,
        ownerOf(shardId),
        lease?.checkpoint
          ? `${shortSeq(lease.checkpoint.sequenceNumber)}/${lease.checkpoint.subSequenceNumber}`
          : '-',
        lease ? String(lease.leaseCounter) : '-',
        lagOf(shardId),
        int(rate(shards.get(shardId))),
        int(shards.get(shardId)?.consumed ?? 0),
      ]);
    }
    return [
      '',
      `── stream ${env.streamName} · ${env.description}`,
      producerLine(),
      `consumers: ${instanceLine()}`,
      `consumed: ${int(consumedUnique)} unique of ${int(ackedTotal)} acknowledged, ${int(consumedTotal - consumedUnique)} duplicates`,
      ...table(rows, [22, 6, 16, 7, -9, -9, -9]),
    ];
  };
  const plainLine = (): string =>
    `${producerLine()} | consumed ${int(consumedUnique)} unique (${int(consumedTotal - consumedUnique)} dup) | ` +
    shardIds()
      .map((s) => `#${shardNumber(s)}:${ownerOf(s)}@${int(rate(shards.get(s)))}/s`)
      .join(' ');
  let refreshing = false;
  const refresh = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    readLeases()
      .catch(() => {})
      .finally(() => {
        refreshing = false;
        view.update(frame, plainLine);
      });
  }, 250);
  cleanup.push(async () => clearInterval(refresh));

  // --- 1. two consumer instances --------------------------------------------------------------
  const a = startInstance('A');
  const b = startInstance('B');
  const ready = Date.now();
  while (Date.now() - ready < 30_000 && !interrupted()) {
    const all = [...leases.values()];
    // Balanced: every lease owned, and each instance reads its share (the coordinator balances by handoff).
    const share = Math.floor(env.shardCount / 2);
    if (
      all.length >= env.shardCount &&
      all.every((l) => l.owner !== null) &&
      a.owned.length >= share &&
      b.owned.length >= share
    )
      break;
    if (!a.alive || !b.alive) break;
    await sleep(100);
  }
  if (!a.alive || !b.alive) {
    view.event(`a consumer instance exited early: ${[...a.errors, ...b.errors].join('; ') || 'no output'}`);
    return 1;
  }
  view.event(`shards balanced: A owns [${a.owned.join(', ')}], B owns [${b.owned.join(', ')}]`);

  // --- 2. the producer, and the SIGKILL halfway ----------------------------------------------------
  const producer = new KinesisProducer({
    streamName: env.streamName,
    aggregation: true,
    bufferTime: 100,
    clientConfig: {
      region: connection.region,
      ...(connection.kinesisEndpoint === undefined ? {} : { endpoint: connection.kinesisEndpoint }),
      ...(connection.credentials === undefined ? {} : { credentials: connection.credentials }),
    },
  });
  cleanup.push(() => producer.close());
  const durationMs = o.duration * 1000;
  producing = true;
  produceStart = Date.now();
  view.event(
    `producer started: ${int(total)} records of ${o.recordSize} B over ${o.duration} s, aggregation on, background process`,
  );
  const puts: Promise<void>[] = [];
  let killAt: number | undefined;
  let killedShards: string[] = [];
  let takeoverMs: number | undefined;
  while (produced < total && !interrupted()) {
    const elapsed = Date.now() - produceStart;
    const due = Math.min(total, Math.ceil((total * elapsed) / durationMs));
    for (; produced < due; produced++) {
      const id = produced;
      puts.push(
        producer.put(recordPayload(runId, id, o.recordSize)).then(
          (result) => {
            acked[id] = 1;
            ackedShard[id] = result.shardId;
            ackedTotal++;
          },
          (error: unknown) => {
            putFailed++;
            const code = (error as { code?: string }).code ?? String(error);
            putErrors.set(code, (putErrors.get(code) ?? 0) + 1);
          },
        ),
      );
    }
    stats = producer.stats();
    if (killAt === undefined && elapsed >= durationMs / 2) {
      killAt = Date.now();
      killedShards = [...a.owned];
      a.kill();
      view.event(
        `SIGKILL consumer A (pid ${a.pid}) while it owns [${killedShards.join(', ')}]; B should take them within ~${seconds(o.failoverMs + SCAN_MS)}`,
      );
    }
    if (killAt !== undefined && takeoverMs === undefined && b.owned.length >= env.shardCount) {
      takeoverMs = Date.now() - killAt;
      view.event(`B owns all ${env.shardCount} shards, ${seconds(takeoverMs)} after the SIGKILL`);
    }
    await sleep(20);
  }
  await producer.flush().catch(() => {});
  await Promise.all(puts);
  stats = producer.stats();
  producing = false;
  produceEnd = Date.now();
  await producer.close();
  view.event(
    `producer done: ${int(ackedTotal)} acknowledged, ${int(putFailed)} failed, ${int(stats.entriesSent)} Kinesis records`,
  );

  // --- 3. wait until everything acknowledged was consumed (or give up) -------------------------
  const drainDeadline = Date.now() + Math.max(20_000, 4 * o.failoverMs);
  while (Date.now() < drainDeadline && !interrupted()) {
    if (killAt !== undefined && takeoverMs === undefined && b.owned.length >= env.shardCount) {
      takeoverMs = Date.now() - killAt;
      view.event(`B owns all ${env.shardCount} shards, ${seconds(takeoverMs)} after the SIGKILL`);
    }
    if (consumedUnique >= ackedTotal && takeoverMs !== undefined) break;
    if (!b.alive) break;
    await sleep(100);
  }
  view.update(frame, plainLine, true);

  // --- 4. stop B gracefully, check A's shard processes, summary ---------------------------------
  const bExit = await b.stop(15_000);
  clearInterval(refresh);
  await readLeases().catch(() => {});
  const orphans = [...a.allShardPids].filter(isAlive);
  view.finish();
  return summary({
    o,
    env,
    consumerGroup,
    view,
    total,
    acked,
    ackedShard,
    consumedCount,
    ackedTotal,
    putFailed,
    putErrors,
    consumedTotal,
    consumedUnique,
    shards,
    leases,
    names,
    stats,
    produceMs: produceEnd - produceStart,
    elapsedMs: Date.now() - startedAt,
    killedShards,
    takeoverMs,
    bExit,
    orphans,
    instances,
    interrupted: interrupted(),
  });
}

interface SummaryInput {
  o: DemoOptions;
  env: Environment;
  view: View;
  total: number;
  acked: Uint8Array;
  ackedShard: string[];
  consumedCount: Uint16Array;
  ackedTotal: number;
  putFailed: number;
  putErrors: Map<string, number>;
  consumedTotal: number;
  consumedUnique: number;
  shards: Map<string, ShardStats>;
  leases: Map<string, Lease>;
  names: Map<string, string>;
  stats: { retried: number; entriesSent: number; throttled: number };
  produceMs: number;
  elapsedMs: number;
  killedShards: string[];
  takeoverMs: number | undefined;
  bExit: number | null;
  orphans: number[];
  instances: Instance[];
  interrupted: boolean;
  consumerGroup: string;
}

function summary(s: SummaryInput): number {
  const out = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  const lostByShard = new Map<string, number[]>();
  let duplicates = 0;
  const dupByShard = new Map<string, number>();
  for (let id = 0; id < s.total; id++) {
    const count = s.consumedCount[id]!;
    if (s.acked[id] === 1 && count === 0) {
      const shard = s.ackedShard[id] ?? '?';
      let list = lostByShard.get(shard);
      if (list === undefined) {
        list = [];
        lostByShard.set(shard, list);
      }
      list.push(id);
    }
    if (count > 1) {
      duplicates += count - 1;
      const shard = s.ackedShard[id] ?? '?';
      dupByShard.set(shard, (dupByShard.get(shard) ?? 0) + count - 1);
    }
  }
  const lost = [...lostByShard.values()].reduce((n, l) => n + l.length, 0);
  const dupOutside = [...dupByShard.keys()].filter((shard) => !s.killedShards.includes(shard));

  out('');
  out(
    `Summary (${(s.elapsedMs / 1000).toFixed(1)} s; stream ${s.env.streamName}, ${s.env.shardCount} shards; ${s.env.description})`,
  );
  const rows: string[][] = [
    [
      'shard',
      'acknowledged',
      'consumed',
      'by A',
      'by B',
      'duplicates',
      'lost',
      'final owner',
      'final checkpoint',
    ],
  ];
  const perShardAcked = new Map<string, number>();
  for (let id = 0; id < s.total; id++) {
    if (s.acked[id] === 1)
      perShardAcked.set(s.ackedShard[id]!, (perShardAcked.get(s.ackedShard[id]!) ?? 0) + 1);
  }
  const shardIds = [...new Set([...perShardAcked.keys(), ...s.shards.keys(), ...s.leases.keys()])].sort();
  for (const shardId of shardIds) {
    const st = s.shards.get(shardId);
    const lease = s.leases.get(shardId);
    rows.push([
      shardId,
      int(perShardAcked.get(shardId) ?? 0),
      int(st?.consumed ?? 0),
      int(st?.byInstance.get('A') ?? 0),
      int(st?.byInstance.get('B') ?? 0),
      int(dupByShard.get(shardId) ?? 0),
      int(lostByShard.get(shardId)?.length ?? 0),
      lease === undefined
        ? '-'
        : lease.owner === null
          ? 'none (released)'
          : (s.names.get(lease.owner) ?? lease.owner),
      lease?.checkpoint
        ? `${shortSeq(lease.checkpoint.sequenceNumber)}/${lease.checkpoint.subSequenceNumber}`
        : '-',
    ]);
  }
  for (const line of table(rows, [22, -12, -9, -8, -8, -10, -6, 15, 16])) out(`  ${line}`);
  out('');
  const perKinesis = s.stats.entriesSent > 0 ? s.ackedTotal / s.stats.entriesSent : 0;
  out(
    `  producer   ${int(s.ackedTotal)} of ${int(s.total)} records acknowledged in ${(s.produceMs / 1000).toFixed(1)} s ` +
      `(${int(s.ackedTotal / Math.max(0.001, s.produceMs / 1000))} records/s), ${int(s.putFailed)} failed` +
      `${s.putErrors.size > 0 ? ` (${[...s.putErrors].map(([c, n]) => `${c} ×${n}`).join(', ')})` : ''}; ` +
      `${int(s.stats.entriesSent)} Kinesis records (${perKinesis.toFixed(1)} user records each), ${int(s.stats.retried)} retried`,
  );
  out(`  consumers  ${int(s.consumedUnique)} unique records consumed (${int(s.consumedTotal)} deliveries)`);
  out(
    `  failover   A was SIGKILLed owning [${s.killedShards.join(', ')}]; ` +
      (s.takeoverMs === undefined
        ? 'B did NOT take all shards over'
        : `B owned all shards ${(s.takeoverMs / 1000).toFixed(1)} s later (failover time ${(s.o.failoverMs / 1000).toFixed(1)} s + lease scan ${(SCAN_MS / 1000).toFixed(1)} s)`),
  );
  out(
    `  duplicates ${int(duplicates)}` +
      (duplicates === 0
        ? ''
        : dupOutside.length === 0
          ? ` — all on shards A held when killed: records A processed after its last checkpoint, delivered again by B (at-least-once; window: ${CHECKPOINT_RECORDS} records or ${CHECKPOINT_MS} ms per shard)`
          : ` — also on shards A did not hold: ${dupOutside.join(', ')}`),
  );
  out(
    `  processes  A's shard processes ${s.orphans.length === 0 ? 'all exited with it' : `STILL RUNNING: ${s.orphans.join(', ')}`}; ` +
      `B closed gracefully (exit code ${String(s.bExit)}), releasing its leases`,
  );
  const [hintTitle, ...hints] = cliHints(
    {
      streamName: s.env.streamName,
      tableName: s.env.tableName,
      consumerGroup: s.consumerGroup,
      region: s.env.connection.region,
      kinesisEndpoint: s.env.connection.kinesisEndpoint,
      dynamodbEndpoint: s.env.connection.dynamodbEndpoint,
    },
    s.o,
  );
  out(`  inspect    ${hintTitle}`);
  for (const hint of hints) out(`             ${hint}`);
  const errors = s.instances.flatMap((i) => i.errors.map((e) => `${i.name}: ${e}`));
  if (errors.length > 0)
    out(
      `  errors     ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (+${errors.length - 5})` : ''}`,
    );
  out('');

  const problems: string[] = [];
  if (s.interrupted) problems.push('interrupted');
  if (lost > 0) {
    const detail = [...lostByShard]
      .map(([shard, ids]) => `${shard}: ${ids.length} (e.g. ids ${ids.slice(0, 5).join(', ')})`)
      .join('; ');
    problems.push(`LOST ${int(lost)} acknowledged records that no consumer delivered: ${detail}`);
  }
  if (s.putFailed > 0) problems.push(`${int(s.putFailed)} records could not be produced`);
  if (s.takeoverMs === undefined) problems.push('B never owned every shard after A was killed');
  if (s.orphans.length > 0)
    problems.push(`shard processes of the killed instance still run: ${s.orphans.join(', ')}`);
  if (s.bExit !== 0) problems.push(`B did not close cleanly (exit code ${String(s.bExit)})`);
  if (problems.length > 0) {
    out(`FAILED: ${problems.join('; ')}`);
    return 1;
  }
  out(`OK: every one of the ${int(s.ackedTotal)} records produced was consumed; nothing lost.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
