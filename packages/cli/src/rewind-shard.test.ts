import { type Checkpoint, type Lease, ManualClock, TRIM_HORIZON_CHECKPOINT } from '@kinesis-ts/core';
import { MemoryState } from '@kinesis-ts/state-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { planRewind } from './plan-rewind.js';
import { type RewindShardContext, rewindShard } from './rewind-shard.js';

const scope = { consumerGroup: 'g', streamName: 's' };
const SHARD = 'shardId-000000000000';
const ME = 'kinesis-ts-cli-test';
const RECORD: Checkpoint = {
  sequenceNumber: '49590000000000000000000000000000000000000000000000000042',
  subSequenceNumber: 0,
};

/** A consumer instance as the state sees it: renews on every tick; may answer a handoff request. */
class FakeOwner {
  fence: { owner: string; leaseCounter: number };
  renewing = true;
  constructor(
    readonly adapter: MemoryState,
    held: Lease,
    readonly answersHandoff: boolean,
  ) {
    this.fence = { owner: held.owner as string, leaseCounter: held.leaseCounter };
  }

  async tick(): Promise<void> {
    if (!this.renewing) return;
    const lease = await this.adapter.renewLease(scope, SHARD, this.fence);
    this.fence = { owner: this.fence.owner, leaseCounter: lease.leaseCounter };
    if (lease.pendingOwner !== null && this.answersHandoff) {
      // What a consumer does: checkpoint what it processed, release to the requester.
      await this.adapter.checkpoint(scope, SHARD, this.fence, RECORD);
      await this.adapter.releaseLease(scope, SHARD, this.fence, { handoff: true });
      this.renewing = false;
    }
  }
}

const adapters: MemoryState[] = [];
afterEach(async () => {
  for (const adapter of adapters.splice(0)) await adapter.close();
});

async function lease(
  owner: string | null,
  fields: { ended?: boolean } = {},
): Promise<{ adapter: MemoryState; lease: Lease }> {
  const adapter = new MemoryState();
  adapters.push(adapter);
  await adapter.start();
  let current = await adapter.createLease(scope, SHARD);
  if (owner !== null || fields.ended) {
    const taker = owner ?? 'finisher';
    current = await adapter.takeLease(
      scope,
      SHARD,
      { owner: null, leaseCounter: current.leaseCounter },
      taker,
    );
    current = await adapter.checkpoint(
      scope,
      SHARD,
      { owner: taker, leaseCounter: current.leaseCounter },
      RECORD,
    );
    if (fields.ended) {
      current = await adapter.markShardEnded(scope, SHARD, {
        owner: taker,
        leaseCounter: current.leaseCounter,
      });
      current = await adapter.releaseLease(scope, SHARD, {
        owner: taker,
        leaseCounter: current.leaseCounter,
      });
    }
  }
  return { adapter, lease: current };
}

function context(
  adapter: MemoryState,
  options: {
    handoff: boolean;
    tick?: () => Promise<void>;
    abort?: AbortController;
    handoffTimeoutMs?: number;
  },
): RewindShardContext & { clock: ManualClock; lines: string[] } {
  const clock = new ManualClock(1_000_000);
  const lines: string[] = [];
  return {
    adapter,
    scope,
    me: ME,
    handoff: options.handoff,
    handoffTimeoutMs: options.handoffTimeoutMs ?? 5000,
    failoverTimeMs: 3000,
    pollMs: 250,
    signal: (options.abort ?? new AbortController()).signal,
    clock,
    lines,
    sleep: async (ms) => {
      clock.advance(ms);
      await options.tick?.();
    },
    progress: (text) => lines.push(text),
  };
}

function entryOf(current: Lease, handoff: boolean) {
  const plan = planRewind([current], { type: 'shard', shardId: SHARD }, handoff);
  if (!plan.ok) throw new Error(plan.reason);
  return plan.entries[0]!;
}

describe('rewindShard', () => {
  it('an unowned lease: take, checkpoint, release (the counter moves by two), at once', async () => {
    const { adapter, lease: current } = await lease(null);
    const c = context(adapter, { handoff: false });
    const result = await rewindShard(c, entryOf(current, false), TRIM_HORIZON_CHECKPOINT);
    expect(result).toEqual({
      shardId: SHARD,
      action: 'write-now',
      outcome: 'rewound',
      dryRun: false,
      before: { owner: null, leaseCounter: current.leaseCounter, checkpoint: null },
      after: { owner: null, leaseCounter: current.leaseCounter + 2, checkpoint: TRIM_HORIZON_CHECKPOINT },
      reason: null,
    });
    expect(c.clock.now()).toBe(1_000_000);
    expect((await adapter.getLease(scope, SHARD))?.checkpoint).toEqual(TRIM_HORIZON_CHECKPOINT);
  });

  it('an ended lease is skipped and never written', async () => {
    const { adapter, lease: current } = await lease(null, { ended: true });
    const c = context(adapter, { handoff: true });
    const result = await rewindShard(c, entryOf(current, true), TRIM_HORIZON_CHECKPOINT);
    expect(result.outcome).toBe('skipped');
    expect(result.after).toBeNull();
    expect(await adapter.getLease(scope, SHARD)).toEqual(current);
  });

  it('without --handoff, a live owner (its counter moves) is refused and nothing is written', async () => {
    const { adapter, lease: current } = await lease('instance-a');
    const owner = new FakeOwner(adapter, current, true);
    const c = context(adapter, { handoff: false, tick: () => owner.tick() });
    const result = await rewindShard(c, entryOf(current, false), TRIM_HORIZON_CHECKPOINT);
    expect(result.outcome).toBe('refused');
    expect(result.reason).toMatch(/is held by a live instance \(instance-a/);
    const after = await adapter.getLease(scope, SHARD);
    expect(after).toMatchObject({ owner: 'instance-a', checkpoint: RECORD, pendingOwner: null });
  });

  it('a dead owner (its counter stands still for failoverTimeMs) is taken as an expired lease', async () => {
    const { adapter, lease: current } = await lease('instance-a');
    for (const handoff of [false, true]) {
      const start = (await adapter.getLease(scope, SHARD)) as Lease;
      const c = context(adapter, { handoff, handoffTimeoutMs: 60_000 });
      const result = await rewindShard(c, entryOf(start, handoff), TRIM_HORIZON_CHECKPOINT);
      expect(result.outcome).toBe('rewound');
      // Strictly longer than failoverTimeMs on the CLI's clock, not a poll more.
      expect(c.clock.now() - 1_000_000).toBeGreaterThan(3000);
      expect(c.clock.now() - 1_000_000).toBeLessThanOrEqual(3250);
      // Put it back under a silent owner for the second round.
      const again = await adapter.takeLease(
        scope,
        SHARD,
        { owner: null, leaseCounter: result.after!.leaseCounter },
        'instance-a',
      );
      expect(again.checkpoint).toEqual(TRIM_HORIZON_CHECKPOINT);
    }
    expect(current.owner).toBe('instance-a');
  });

  it('with --handoff, a live owner hands the lease over; the CLI checkpoints and releases it', async () => {
    const { adapter, lease: current } = await lease('instance-a');
    const owner = new FakeOwner(adapter, current, true);
    const c = context(adapter, { handoff: true, tick: () => owner.tick() });
    const result = await rewindShard(c, entryOf(current, true), TRIM_HORIZON_CHECKPOINT);
    expect(result).toMatchObject({
      action: 'handoff',
      outcome: 'rewound',
      after: { owner: null, checkpoint: TRIM_HORIZON_CHECKPOINT },
    });
    expect(await adapter.getLease(scope, SHARD)).toMatchObject({
      owner: null,
      pendingOwner: null,
      checkpoint: TRIM_HORIZON_CHECKPOINT,
    });
    expect(c.lines.join('')).toContain('asked instance-a to hand the lease over');
  });

  it('with --handoff, an owner that renews and ignores the request times out; the request stays', async () => {
    const { adapter, lease: current } = await lease('instance-a');
    const owner = new FakeOwner(adapter, current, false);
    const c = context(adapter, { handoff: true, handoffTimeoutMs: 2000, tick: () => owner.tick() });
    const result = await rewindShard(c, entryOf(current, true), TRIM_HORIZON_CHECKPOINT);
    expect(result.outcome).toBe('handoff-timeout');
    expect(result.reason).toMatch(/did not hand the lease over within 2\.0 s/);
    expect(result.reason).toMatch(/The request stays pending/);
    expect(c.clock.now() - 1_000_000).toBeGreaterThanOrEqual(2000);
    expect(c.clock.now() - 1_000_000).toBeLessThan(2500);
    expect(await adapter.getLease(scope, SHARD)).toMatchObject({
      owner: 'instance-a',
      pendingOwner: ME,
      checkpoint: RECORD,
    });
  });

  it("waits for another instance's pending handoff, then asks the new owner", async () => {
    const { adapter, lease: current } = await lease('instance-a');
    await adapter.requestHandoff(
      scope,
      SHARD,
      { owner: 'instance-a', leaseCounter: current.leaseCounter },
      'instance-b',
    );
    const a = new FakeOwner(adapter, current, true);
    let b: FakeOwner | null = null;
    const c = context(adapter, {
      handoff: true,
      tick: async () => {
        if (a.renewing) await a.tick();
        else {
          const now = (await adapter.getLease(scope, SHARD)) as Lease;
          if (b === null && now.owner === 'instance-b') b = new FakeOwner(adapter, now, true);
          await b?.tick();
        }
      },
    });
    const start = (await adapter.getLease(scope, SHARD)) as Lease;
    const result = await rewindShard(c, entryOf(start, true), TRIM_HORIZON_CHECKPOINT);
    expect(result.outcome).toBe('rewound');
    expect(b).not.toBeNull();
    expect(c.lines.join('')).toContain('asked instance-b to hand the lease over');
    expect(c.lines.join('')).not.toContain('asked instance-a');
  });

  it('Ctrl-C while waiting: nothing written; a lease handed over meanwhile is still rewound and released', async () => {
    const first = await lease('instance-a');
    const ignoring = new FakeOwner(first.adapter, first.lease, false);
    const abort = new AbortController();
    let ticks = 0;
    const c = context(first.adapter, {
      handoff: true,
      abort,
      tick: async () => {
        await ignoring.tick();
        if (++ticks === 3) abort.abort();
      },
    });
    const interrupted = await rewindShard(c, entryOf(first.lease, true), TRIM_HORIZON_CHECKPOINT);
    expect(interrupted.outcome).toBe('interrupted');
    expect(interrupted.reason).toMatch(/the request stays pending/);
    expect((await first.adapter.getLease(scope, SHARD))?.checkpoint).toEqual(RECORD);

    const second = await lease('instance-a');
    const answering = new FakeOwner(second.adapter, second.lease, true);
    const abort2 = new AbortController();
    const c2 = context(second.adapter, {
      handoff: true,
      abort: abort2,
      tick: async () => {
        await answering.tick();
        abort2.abort();
      },
    });
    const finished = await rewindShard(c2, entryOf(second.lease, true), TRIM_HORIZON_CHECKPOINT);
    expect(finished.outcome).toBe('rewound');
    expect(await second.adapter.getLease(scope, SHARD)).toMatchObject({
      owner: null,
      checkpoint: TRIM_HORIZON_CHECKPOINT,
    });
  });

  it('Ctrl-C before the first write: an unowned lease is not touched', async () => {
    const { adapter, lease: current } = await lease(null);
    const abort = new AbortController();
    abort.abort();
    const result = await rewindShard(
      context(adapter, { handoff: false, abort }),
      entryOf(current, false),
      TRIM_HORIZON_CHECKPOINT,
    );
    expect(result.outcome).toBe('interrupted');
    expect(await adapter.getLease(scope, SHARD)).toEqual(current);
  });
});
