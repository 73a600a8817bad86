import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { LATEST_CHECKPOINT, type Lease, TRIM_HORIZON_CHECKPOINT } from '@kinesis-ts/core';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putKeys } from '../fixtures/consumer-helpers.js';
import { ConsumerInstance } from '../fixtures/consumer-process.js';
import { deliveriesOutsideTenures, leaseTenures, overlappingTenures } from '../fixtures/lease-tenures.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { isProcessAlive } from '../src/process-check.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';
import { cliGroupInstance, runKinesisTs, runKinesisTsJson } from './cli-helpers.js';

const FAILOVER_MS = 3000;

interface LeaseViewJson {
  leases: Array<{
    shardId: string;
    owner: string | null;
    leaseCounter: number;
    checkpoint: { sequenceNumber: string; subSequenceNumber: number } | null;
  }>;
}

interface RewindJson {
  shardId: string;
  action: string;
  outcome: string;
  dryRun: boolean;
  before: {
    owner: string | null;
    leaseCounter: number;
    checkpoint: { sequenceNumber: string; subSequenceNumber: number } | null;
  };
  after: {
    owner: string | null;
    leaseCounter: number;
    checkpoint: { sequenceNumber: string; subSequenceNumber: number };
  } | null;
  reason: string | null;
}

interface LagJson {
  caughtUp: boolean;
  shards: Array<{ shardId: string; status: string; oldestUnreadAgeMs: number | null }>;
}

const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';
const SHARD_2 = 'shardId-000000000002';

describe('kinesis-ts rewind (built binary)', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let stream: string;
  let table: string;
  const instances: ConsumerInstance[] = [];

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    stream = await createStream(kinesis, { shardCount: 2 });
    table = await createStateTable(dynamo, uniqueName('cli-rewind'));
  });
  afterAll(async () => {
    for (const instance of instances) if (isProcessAlive(instance.pid)) await instance.kill();
    await deleteStream(kinesis, stream);
    await deleteTable(dynamo, table);
    kinesis.destroy();
    dynamo.destroy();
  });

  it('refuses under a live owner; once the group stopped, moves the checkpoint and the group re-reads from there', async () => {
    const group = 'cli-rewind';
    const stateArgs = ['--group', group, '--table', table];
    const keys = Array.from({ length: 200 }, (_, i) => `k-${String(i).padStart(4, '0')}`);
    const placed = await putKeys(kinesis, stream, keys);
    const config = (instanceId: string) =>
      cliGroupInstance({ stream, table, group }, instanceId, FAILOVER_MS);
    const lagCaughtUp = async () =>
      (await runKinesisTsJson<{ caughtUp: boolean; shards: unknown[] }>(['lag', stream, ...stateArgs]))[0]
        ?.caughtUp === true;
    const a = new ConsumerInstance(config('instance-a'));
    instances.push(a);
    await waitFor(() => new Set(a.records.map((r) => r.k)).size === keys.length, {
      timeoutMs: 30_000,
      description: 'A delivers every record',
    });
    await waitFor(lagCaughtUp, { timeoutMs: 30_000, intervalMs: 500, description: 'checkpoints at the end' });

    const shard = 'shardId-000000000000';
    const inShard = placed.filter((p) => p.shardId === shard);
    expect(inShard.length).toBeGreaterThan(60);
    const pivot = inShard[49]!;
    const expected = inShard.slice(50).map((p) => p.key);
    const rewind = ['rewind', stream, ...stateArgs, '--shard', shard, '--after', pivot.sequenceNumber];
    const checkpointOf = async () =>
      (await runKinesisTsJson<LeaseViewJson>(['leases', stream, ...stateArgs]))[0]?.leases.find(
        (l) => l.shardId === shard,
      );
    const atEnd = await checkpointOf();
    expect(atEnd?.checkpoint?.sequenceNumber).toBe(inShard.at(-1)?.sequenceNumber);

    // A live owner renews: the command watches the counter move and refuses, writing nothing.
    const refused = await runKinesisTs([...rewind, '--failover-ms', String(FAILOVER_MS)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is held by a live instance');
    expect((await checkpointOf())?.checkpoint).toEqual(atEnd?.checkpoint);

    // Stopped gracefully, the group released its leases.
    expect(await a.stop()).toBe(0);
    const [dry] = await runKinesisTsJson<RewindJson>([...rewind, '--dry-run']);
    expect(dry).toMatchObject({
      dryRun: true,
      after: { checkpoint: { sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 } },
    });
    const unchanged = await checkpointOf();
    expect(unchanged?.checkpoint).toEqual(atEnd?.checkpoint);

    const [done] = await runKinesisTsJson<RewindJson>(rewind);
    expect(done).toMatchObject({
      dryRun: false,
      after: { owner: null, checkpoint: { sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 } },
    });
    const moved = await checkpointOf();
    expect(moved?.owner).toBeNull();
    expect(moved?.checkpoint).toEqual({ sequenceNumber: pivot.sequenceNumber, subSequenceNumber: 0 });
    // take + release: two fenced writes, the counter moved by two.
    expect(moved?.leaseCounter).toBe((unchanged?.leaseCounter ?? 0) + 2);

    // A new instance resumes strictly after the pivot in that shard, and nowhere else.
    const b = new ConsumerInstance(config('instance-b'));
    instances.push(b);
    await waitFor(() => b.records.length >= expected.length, {
      timeoutMs: 30_000,
      description: 'B re-reads the records after the pivot',
    });
    await waitFor(lagCaughtUp, { timeoutMs: 30_000, intervalMs: 500, description: 'B caught up' });
    expect(b.records.map((r) => r.k)).toEqual(expected);
    expect(await b.stop()).toBe(0);

    // An owner that died (kill -9) stops renewing: the command sees its counter stand still for the
    // failover time and takes the lease as any instance would, then rewinds it.
    const c = new ConsumerInstance(config('instance-c'));
    instances.push(c);
    await waitFor(() => c.owned.includes(shard), { timeoutMs: 20_000, description: 'C holds the shard' });
    await c.kill();
    const earlier = inShard[9]!;
    const [afterDeath] = await runKinesisTsJson<RewindJson>([
      'rewind',
      stream,
      ...stateArgs,
      '--shard',
      shard,
      '--after',
      earlier.sequenceNumber,
      '--failover-ms',
      String(FAILOVER_MS),
    ]);
    expect(afterDeath?.after).toEqual({
      owner: null,
      leaseCounter: expect.any(Number),
      checkpoint: { sequenceNumber: earlier.sequenceNumber, subSequenceNumber: 0 },
    });
    expect((await checkpointOf())?.owner).toBeNull();

    // A wrong position is refused before anything is touched.
    const foreign = placed.find((p) => p.shardId !== shard)!;
    const wrong = await runKinesisTs([
      'rewind',
      stream,
      ...stateArgs,
      '--shard',
      shard,
      '--after',
      foreign.sequenceNumber,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/not (a sequence number of|in) shardId-000000000000/);
  }, 120_000);
});

describe('kinesis-ts rewind --to / --all / --handoff (built binary)', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let state: DynamoDBState;
  let table: string;
  const streams: string[] = [];
  const instances: ConsumerInstance[] = [];

  beforeAll(async () => {
    kinesis = kinesisClient();
    dynamo = dynamoClient();
    table = await createStateTable(dynamo, uniqueName('cli-rewind-to'));
    state = new DynamoDBState({ tableName: table, client: dynamo });
    await state.start();
  });
  afterAll(async () => {
    for (const instance of instances) if (isProcessAlive(instance.pid)) await instance.kill();
    await state.close();
    for (const stream of streams) await deleteStream(kinesis, stream);
    await deleteTable(dynamo, table);
    kinesis.destroy();
    dynamo.destroy();
  });

  async function stream(shardCount: number): Promise<string> {
    const name = await createStream(kinesis, { shardCount });
    streams.push(name);
    return name;
  }

  it('on a stopped group: --dry-run writes nothing; --all --to trim-horizon / latest / <time> store the positions; ended leases are skipped; bad command lines exit 2', async () => {
    const name = await stream(3);
    const group = 'stopped';
    const scope = { consumerGroup: group, streamName: name };
    const cli = (...args: string[]) => ['rewind', name, '-g', group, '-t', table, ...args];
    const placed = await putKeys(
      kinesis,
      name,
      Array.from({ length: 60 }, (_, i) => `s-${i}`),
    );
    // Three leases as a stopped group leaves them: one checkpointed, one never read, one read to its end.
    for (const shard of [SHARD_0, SHARD_1, SHARD_2]) await state.createLease(scope, shard);
    const inShard0 = placed.filter((p) => p.shardId === SHARD_0);
    expect(inShard0.length).toBeGreaterThan(0);
    const record = { sequenceNumber: inShard0.at(-1)!.sequenceNumber, subSequenceNumber: 0 };
    const write = async (
      shard: string,
      f: (fence: { owner: string; leaseCounter: number }) => Promise<Lease>,
    ) => {
      const lease = (await state.getLease(scope, shard))!;
      const taken = await state.takeLease(
        scope,
        shard,
        { owner: null, leaseCounter: lease.leaseCounter },
        'old',
      );
      const done = await f({ owner: 'old', leaseCounter: taken.leaseCounter });
      await state.releaseLease(scope, shard, { owner: 'old', leaseCounter: done.leaseCounter });
    };
    await write(SHARD_0, (fence) => state.checkpoint(scope, SHARD_0, fence, record));
    await write(SHARD_2, (fence) => state.markShardEnded(scope, SHARD_2, fence, record));
    const leasesNow = async () =>
      Object.fromEntries((await state.listLeases(scope)).map((l) => [l.shardId, l] as const));
    const initial = await leasesNow();

    const dry = await runKinesisTsJson<RewindJson>(cli('--all', '--to', 'trim-horizon', '--dry-run'));
    expect(dry.map((r) => [r.shardId, r.action, r.outcome, r.after?.checkpoint ?? null])).toEqual([
      [SHARD_0, 'write-now', 'would-rewind', TRIM_HORIZON_CHECKPOINT],
      [SHARD_1, 'write-now', 'would-rewind', TRIM_HORIZON_CHECKPOINT],
      [SHARD_2, 'skip-ended', 'skipped', null],
    ]);
    expect(dry[2]?.reason).toMatch(/read to its end/);
    const text = await runKinesisTs(cli('--all', '--to', 'trim-horizon', '--dry-run'));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /shardId-000000000001\s+-\s+\d+\s+-\s+TRIM_HORIZON\s+write \(unowned\)\s+would-rewind/,
    );
    expect(text.stdout).toContain('dry run: nothing was written');
    expect(await leasesNow()).toEqual(initial);

    const done = await runKinesisTsJson<RewindJson>(cli('--all', '--to', 'trim-horizon'));
    expect(done.map((r) => [r.shardId, r.outcome])).toEqual([
      [SHARD_0, 'rewound'],
      [SHARD_1, 'rewound'],
      [SHARD_2, 'skipped'],
    ]);
    expect(done[0]?.before.checkpoint).toEqual(record);
    const rewound = await leasesNow();
    for (const shard of [SHARD_0, SHARD_1]) {
      expect(rewound[shard]).toMatchObject({
        owner: null,
        pendingOwner: null,
        checkpoint: TRIM_HORIZON_CHECKPOINT,
      });
      expect(rewound[shard]?.leaseCounter).toBe((initial[shard]?.leaseCounter ?? 0) + 2);
    }
    expect(rewound[SHARD_2]).toEqual(initial[SHARD_2]);

    // lag reads a TRIM_HORIZON checkpoint at TRIM_HORIZON: everything is unread, never a BigInt of it.
    const [lag] = await runKinesisTsJson<LagJson>(['lag', name, '-g', group, '-t', table]);
    expect(lag?.caughtUp).toBe(false);
    expect(lag?.shards.find((r) => r.shardId === SHARD_0)).toMatchObject({ status: 'rewound' });
    expect(lag?.shards.find((r) => r.shardId === SHARD_0)?.oldestUnreadAgeMs).toBeGreaterThan(0);
    const leasesText = await runKinesisTs(['leases', name, '-g', group, '-t', table]);
    expect(leasesText.code).toBe(0);
    expect(leasesText.stdout).toContain('TRIM_HORIZON');

    const [latest] = await runKinesisTsJson<RewindJson>(cli('--shard', SHARD_1, '--to', 'latest'));
    expect(latest).toMatchObject({
      shardId: SHARD_1,
      outcome: 'rewound',
      after: { checkpoint: LATEST_CHECKPOINT },
    });
    expect((await state.getLease(scope, SHARD_1))?.checkpoint).toEqual(LATEST_CHECKPOINT);
    const [lagLatest] = await runKinesisTsJson<LagJson>(['lag', name, '-g', group, '-t', table]);
    expect(lagLatest?.shards.find((r) => r.shardId === SHARD_1)).toMatchObject({
      status: 'rewound',
      oldestUnreadAgeMs: 0,
    });

    const time = new Date(Date.now() - 3_600_000);
    const atTime = await runKinesisTsJson<RewindJson>(cli('--all', '--to', time.toISOString()));
    expect(atTime.filter((r) => r.outcome === 'rewound').map((r) => r.shardId)).toEqual([SHARD_0, SHARD_1]);
    const sentinel = { sequenceNumber: `AT_TIMESTAMP:${time.getTime()}`, subSequenceNumber: 0 };
    for (const shard of [SHARD_0, SHARD_1])
      expect((await state.getLease(scope, shard))?.checkpoint).toEqual(sentinel);
    const epoch = time.getTime() - 1000;
    await runKinesisTsJson<RewindJson>(cli('--shard', SHARD_0, '--to', String(epoch)));
    expect((await state.getLease(scope, SHARD_0))?.checkpoint?.sequenceNumber).toBe(`AT_TIMESTAMP:${epoch}`);

    // An ended shard named alone: nothing to rewind, exit 1, not written.
    const ended = await runKinesisTs(cli('--shard', SHARD_2, '--to', 'latest'));
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('nothing to rewind: every selected shard is ended');
    expect(await state.getLease(scope, SHARD_2)).toEqual(initial[SHARD_2]);

    // Wrong command lines: exit 2 before anything is read.
    const before = await leasesNow();
    for (const [args, message] of [
      [cli('--all', '--to', 'soon'), '--to must be trim-horizon, latest, an ISO 8601 time'],
      [cli('--all', '--to', new Date(Date.now() + 3_600_000).toISOString()), 'is in the future'],
      [cli('--all', '--after', record.sequenceNumber), '--after needs --shard'],
      [cli('--to', 'latest'), 'give --shard <shardId> or --all'],
      [cli('--all'), 'give exactly one target'],
    ] as const) {
      const run = await runKinesisTs(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
    }
    expect(await leasesNow()).toEqual(before);
  }, 90_000);

  it('--handoff: an owner that renews but never hands over times out (exit 1, nothing written, the request stays); without --handoff it is refused', async () => {
    const name = await stream(1);
    const scope = { consumerGroup: 'stubborn', streamName: name };
    await state.createLease(scope, SHARD_0);
    const created = (await state.getLease(scope, SHARD_0))!;
    let fence = { owner: 'stubborn-owner', leaseCounter: 0 };
    fence.leaseCounter = (
      await state.takeLease(scope, SHARD_0, { owner: null, leaseCounter: created.leaseCounter }, fence.owner)
    ).leaseCounter;
    // Renews like a live consumer (every 300 ms) and ignores any handoff request.
    let renewing = true;
    const renewer = (async () => {
      while (renewing) {
        fence = { ...fence, leaseCounter: (await state.renewLease(scope, SHARD_0, fence)).leaseCounter };
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      const cli = ['rewind', name, '-g', 'stubborn', '-t', table, '--shard', SHARD_0, '--to', 'trim-horizon'];
      const timedOut = await runKinesisTs([
        ...cli,
        '--handoff',
        '--handoff-timeout-ms',
        '1500',
        '--failover-ms',
        '5000',
      ]);
      expect(timedOut.code).toBe(1);
      expect(timedOut.stderr).toContain(
        `${SHARD_0}: handoff-timeout: stubborn-owner did not hand the lease over within 1.5 s`,
      );
      expect(timedOut.stderr).toContain('The request stays pending');
      expect(timedOut.elapsedMs).toBeLessThan(15_000);
      const after = await state.getLease(scope, SHARD_0);
      expect(after?.owner).toBe('stubborn-owner');
      expect(after?.pendingOwner).toMatch(/^kinesis-ts-cli-/);
      expect(after?.checkpoint).toBeNull();

      // Ctrl-C while waiting (the earlier run's request is still pending): exit 130, nothing written.
      const interrupted = await runKinesisTs([...cli, '--handoff', '--failover-ms', '5000'], {
        interruptAfterMs: 1000,
      });
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toContain(
        `${SHARD_0}: interrupted: interrupted before anything was written`,
      );
      expect(interrupted.stderr).toContain('interrupted: rewound no shard; the others were not written');
      expect((await state.getLease(scope, SHARD_0))?.checkpoint).toBeNull();

      const refused = await runKinesisTs([...cli, '--failover-ms', '1000']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is held by a live instance (stubborn-owner');
      expect((await state.getLease(scope, SHARD_0))?.checkpoint).toBeNull();
    } finally {
      renewing = false;
      await renewer;
    }
  }, 60_000);

  it('rewind --all --to trim-horizon --handoff while two instances run: the group re-reads everything, no lease held by two instances at once', async () => {
    const name = await stream(2);
    const group = 'running';
    const stateArgs = ['-g', group, '-t', table];
    const first = Array.from({ length: 300 }, (_, i) => `r1-${String(i).padStart(4, '0')}`);
    await putKeys(kinesis, name, first);
    const config = (instanceId: string) =>
      cliGroupInstance({ stream: name, table, group }, instanceId, FAILOVER_MS);
    const a = new ConsumerInstance(config('instance-a'));
    const b = new ConsumerInstance(config('instance-b'));
    instances.push(a, b);
    const all = () => [...a.records, ...b.records];
    const counts = () => {
      const map = new Map<string, number>();
      for (const r of all()) map.set(r.k, (map.get(r.k) ?? 0) + 1);
      return map;
    };
    await waitFor(() => a.owned.length === 1 && b.owned.length === 1, {
      timeoutMs: 30_000,
      description: 'A and B hold one shard each',
    });
    await waitFor(() => first.every((k) => counts().has(k)), {
      timeoutMs: 30_000,
      description: 'first pass',
    });
    await waitFor(
      async () => (await runKinesisTsJson<LagJson>(['lag', name, ...stateArgs]))[0]?.caughtUp === true,
      { timeoutMs: 30_000, intervalMs: 500, description: 'checkpoints at the end of both shards' },
    );
    const rewindStarted = Date.now();

    const rewind = await runKinesisTsJson<RewindJson>(
      [
        'rewind',
        name,
        ...stateArgs,
        '--all',
        '--to',
        'trim-horizon',
        '--handoff',
        '--handoff-timeout-ms',
        '20000',
        '--failover-ms',
        String(FAILOVER_MS),
      ],
      { timeoutMs: 40_000 },
    );
    const rewindMs = Date.now() - rewindStarted;
    expect(rewind.map((r) => [r.shardId, r.action, r.outcome])).toEqual([
      [SHARD_0, 'handoff', 'rewound'],
      [SHARD_1, 'handoff', 'rewound'],
    ]);
    for (const r of rewind)
      expect(r.after).toMatchObject({ owner: null, checkpoint: TRIM_HORIZON_CHECKPOINT });
    const second = Array.from({ length: 100 }, (_, i) => `r2-${String(i).padStart(4, '0')}`);
    await putKeys(kinesis, name, second);

    await waitFor(
      () => {
        const c = counts();
        return first.every((k) => (c.get(k) ?? 0) >= 2) && second.every((k) => c.has(k));
      },
      { timeoutMs: 30_000, description: 'every first-pass record again, every later record once' },
    );
    await waitFor(
      async () => (await runKinesisTsJson<LagJson>(['lag', name, ...stateArgs]))[0]?.caughtUp === true,
      { timeoutMs: 30_000, intervalMs: 500, description: 'the group caught up again' },
    );
    // Re-read after the rewind: every first-pass record was delivered again after it.
    const reread = new Set(
      all()
        .filter((r) => r.at >= rewindStarted)
        .map((r) => r.k),
    );
    expect(first.filter((k) => !reread.has(k))).toEqual([]);

    const sources = [
      { name: 'instance-a', ...pick(a) },
      { name: 'instance-b', ...pick(b) },
    ];
    const tenures = leaseTenures(sources);
    const overlaps = overlappingTenures(tenures);
    expect(overlaps).toEqual([]);
    expect(deliveriesOutsideTenures(sources, tenures)).toEqual([]);
    expect([...a.lost, ...b.lost]).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    const handoffs = [...a.leaseEvents, ...b.leaseEvents].filter((e) => e.t === 'rel').length;
    const result = countDeliveries(
      'cli rewind to TRIM_HORIZON while two instances run',
      [...first, ...second],
      all().map((r) => r.k),
      {
        reread: first.filter((k) => reread.has(k)).length,
        rewindMs,
        unexpectedDuplicates: all().length - first.length * 2 - second.length,
        releases: handoffs,
        overlaps: overlaps.length,
      },
    );
    reportScenario(result);
    expect(result.missing).toBe(0);
    expect(result.duplicates).toBeGreaterThanOrEqual(first.length);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    // Stopped gracefully: every lease released, none left to the CLI.
    const [view] = await runKinesisTsJson<LeaseViewJson>(['leases', name, ...stateArgs]);
    expect(view?.leases.map((l) => l.owner)).toEqual([null, null]);
  }, 120_000);
});

describe('lease tenures (the check the running-group scenario relies on)', () => {
  it('finds two instances holding one shard at once, and a delivery outside a tenure', () => {
    const a = {
      name: 'a',
      leaseEvents: [
        { t: 'acq' as const, s: SHARD_0, at: 100 },
        { t: 'rel' as const, s: SHARD_0, at: 200 },
      ],
      lost: [],
      records: [{ s: SHARD_0, at: 150 }],
    };
    const b = {
      name: 'b',
      leaseEvents: [{ t: 'acq' as const, s: SHARD_0, at: 250 }],
      lost: [],
      records: [{ s: SHARD_0, at: 240 }],
    };
    const apart = leaseTenures([a, b]);
    expect(overlappingTenures(apart)).toEqual([]);
    expect(deliveriesOutsideTenures([a, b], apart)).toEqual([
      `b delivered a record of ${SHARD_0} at 240 without holding it`,
    ]);
    const early = { ...b, leaseEvents: [{ t: 'acq' as const, s: SHARD_0, at: 190 }] };
    expect(overlappingTenures(leaseTenures([a, early]))).toHaveLength(1);
    // A lost lease ends a tenure like a release.
    const lostAt = { ...a, leaseEvents: [a.leaseEvents[0]!], lost: [{ shardId: SHARD_0, at: 180 }] };
    expect(overlappingTenures(leaseTenures([lostAt, early]))).toEqual([]);
  });
});

function pick(instance: ConsumerInstance) {
  return { leaseEvents: instance.leaseEvents, lost: instance.lost, records: instance.records };
}
