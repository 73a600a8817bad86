import { type KinesisRecord, recordText } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisConsumer } from './consumer.js';
import type { FailedRecords } from './failure-destination.js';
import { itemIdentifier } from './item-identifier.js';
import type { KinesisConsumerOptions } from './options.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { until } from './test-support/fake-time.js';

const scope = { consumerGroup: 'default', streamName: 's' };

function consumer(fake: FakeKinesis, store: MemoryStateStore, options: Partial<KinesisConsumerOptions> = {}) {
  return new KinesisConsumer({
    streamName: 's',
    runner: 'inline',
    kinesisApi: fake,
    initialPosition: 'TRIM_HORIZON',
    failoverTimeMs: 3000,
    clientConfig: { region: 'us-east-1' },
    state: new MemoryState({ store }),
    maxRecordsPerCall: 25,
    ...options,
  });
}

/** `shards` shards of `perShard` records each; data `<shard>:<i>`. */
function fill(fake: FakeKinesis, shards: number, perShard: number): void {
  for (const shard of fake.createStream('s', shards))
    for (let i = 0; i < perShard; i++)
      fake.put('s', shard.shardId, `${shard.shardId}:${i}`, `${shard.shardId}:${i}`);
}

async function checkpoints(store: MemoryStateStore): Promise<Map<string, string | undefined>> {
  const state = new MemoryState({ store });
  await state.start();
  const leases = await state.listLeases(scope);
  return new Map(leases.map((l) => [l.shardId, l.checkpoint?.sequenceNumber]));
}

async function advanceUntil(done: () => boolean, maxMs = 120_000): Promise<void> {
  for (let t = 0; t < maxMs && !done(); t += 50) await vi.advanceTimersByTimeAsync(50);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('run(handler, { failure })', () => {
  it('processes every good record, sends each poison record to the destination, checkpoints the end of every shard', async () => {
    const fake = new FakeKinesis();
    fill(fake, 3, 60);
    const store = new MemoryStateStore();
    const c = consumer(fake, store);
    const poison = new Set(['shardId-000000000000:7', 'shardId-000000000001:33', 'shardId-000000000001:34']);
    const processed = new Set<string>();
    const sent: FailedRecords[] = [];
    const events: string[] = [];
    c.on('sentToDestination', (e) => events.push(`${e.shardId}:${e.condition}:${e.records}`));
    const running = c.run(
      async (records) => {
        if (records.some((r) => poison.has(recordText(r)))) throw new Error('poison');
        for (const r of records) processed.add(recordText(r));
      },
      {
        failure: {
          bisectOnError: true,
          maxRetryAttempts: 2,
          destination: (failed) => {
            sent.push(failed);
          },
        },
      },
    );
    running.catch(() => {});
    await advanceUntil(() => processed.size === 177 && sent.length === 3);
    expect(processed.size).toBe(177);
    for (const key of poison) expect(processed.has(key)).toBe(false);
    expect(sent.map((s) => recordText(s.records[0]!)).sort()).toEqual([...poison].sort());
    expect(sent.every((s) => s.records.length === 1 && s.condition === 'RetryAttemptsExhausted')).toBe(true);
    expect(sent.every((s) => s.attempts >= 3 && (s.error as Error).message === 'poison')).toBe(true);
    const stats = c.stats();
    expect(stats.recordsSentToDestination).toBe(3);
    expect(stats.retries).toBe(6); // 2 per poison record
    expect(stats.bisections).toBeGreaterThan(0);
    expect(events).toHaveLength(3);
    await until(c.close());
    await running;
    const at = await checkpoints(store);
    for (const shard of fake.streams.get('s')!) {
      expect(at.get(shard.shardId)).toBe(shard.records[shard.records.length - 1]!.sequenceNumber);
    }
  });

  it('a partial batch response checkpoints the records before the first failure; the rest comes again in order', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 20);
    const store = new MemoryStateStore();
    const c = consumer(fake, store, { maxRecordsPerCall: 20, checkpointInterval: { records: 1 } });
    const calls: string[][] = [];
    const checkpointed: string[] = [];
    c.on('checkpoint', (e) => checkpointed.push(e.sequenceNumber));
    let failOnce = true;
    const running = c.run(
      (records) => {
        calls.push(records.map((r) => recordText(r).split(':')[1]!));
        const bad = records.find((r) => recordText(r).endsWith(':12'));
        if (bad !== undefined && failOnce) {
          failOnce = false;
          return { batchItemFailures: [{ itemIdentifier: itemIdentifier(bad) }] };
        }
        return undefined;
      },
      { failure: { retryBaseDelayMs: 1000, retryMaxDelayMs: 1000 } },
    );
    running.catch(() => {});
    await advanceUntil(() => calls.length >= 2);
    const records = fake.shard('s', 'shardId-000000000000').records;
    // Before the retry ran, the checkpoint reached record 11 (the one before the failed record 12).
    expect(calls[0]).toHaveLength(20);
    expect(calls[1]).toEqual(Array.from({ length: 8 }, (_, i) => String(12 + i)));
    expect(checkpointed).toContain(records[11]!.sequenceNumber);
    expect(checkpointed.indexOf(records[11]!.sequenceNumber)).toBe(0);
    await until(c.close());
    await running;
    expect((await checkpoints(store)).get('shardId-000000000000')).toBe(records[19]!.sequenceNumber);
  });

  it('while the destination fails, that shard waits at its poison record (never skipped); other shards go on', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 30);
    const store = new MemoryStateStore();
    const c = consumer(fake, store, { maxRecordsPerCall: 30, checkpointInterval: { records: 1 } });
    let destinationUp = false;
    const sent: FailedRecords[] = [];
    const processed = new Set<string>();
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    const running = c.run(
      (records) => {
        if (records.some((r) => recordText(r) === 'shardId-000000000000:10')) throw new Error('poison');
        for (const r of records) processed.add(recordText(r));
      },
      {
        failure: {
          bisectOnError: true,
          maxRetryAttempts: 0,
          retryBaseDelayMs: 100,
          retryMaxDelayMs: 1000,
          destination: (failed) => {
            if (!destinationUp) throw new Error('destination down');
            sent.push(failed);
          },
        },
      },
    );
    running.catch(() => {});
    await advanceUntil(() => processed.size >= 40 && errors.length >= 3);
    // Shard 1 done; shard 0 processed up to the poison record and waits there.
    expect(processed.size).toBe(40);
    const shard0 = fake.shard('s', 'shardId-000000000000').records;
    await vi.advanceTimersByTimeAsync(5000);
    expect(processed.size).toBe(40);
    expect(errors.every((code) => code === 'FAILURE_DESTINATION_FAILED')).toBe(true);
    expect(c.stats().destinationFailures).toBeGreaterThanOrEqual(3);
    const before = await checkpoints(store);
    expect(before.get('shardId-000000000000')).toBe(shard0[9]!.sequenceNumber);
    destinationUp = true;
    await advanceUntil(() => processed.size === 59);
    expect(sent.map((s) => recordText(s.records[0]!))).toEqual(['shardId-000000000000:10']);
    await until(c.close());
    await running;
    expect((await checkpoints(store)).get('shardId-000000000000')).toBe(shard0[29]!.sequenceNumber);
  });

  it('close() ends a retry backoff at once; the failed batch is not checkpointed', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const store = new MemoryStateStore();
    const c = consumer(fake, store);
    let calls = 0;
    const running = c.run(
      () => {
        calls += 1;
        throw new Error('always');
      },
      { failure: { retryBaseDelayMs: 600_000, retryMaxDelayMs: 600_000 } },
    );
    running.catch(() => {});
    await advanceUntil(() => calls === 1);
    const started = Date.now();
    await until(c.close(), 10_000);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(running).resolves.toBeUndefined();
    expect(calls).toBe(1);
    expect((await checkpoints(store)).get('shardId-000000000000')).toBeUndefined();
  });

  it('a lease lost during a retry backoff stops retrying at once; nothing of the batch is checkpointed or sent', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const store = new MemoryStateStore();
    const c = consumer(fake, store, { instanceId: 'A' });
    let acquired = 0;
    c.on('leaseAcquired', () => {
      acquired += 1;
    });
    const calls: string[] = [];
    const signals: AbortSignal[] = [];
    const sent: FailedRecords[] = [];
    const lost: string[] = [];
    c.on('leaseLost', (e) => lost.push(e.shardId));
    const running = c.run(
      (_records, ctx) => {
        calls.push(`${acquired}:${ctx.attempt}`);
        signals.push(ctx.signal);
        throw new Error('always');
      },
      {
        failure: {
          maxRetryAttempts: 100,
          retryBaseDelayMs: 60_000,
          retryMaxDelayMs: 60_000,
          destination: (failed) => {
            sent.push(failed);
          },
        },
      },
    );
    running.catch(() => {});
    await advanceUntil(() => calls.length === 1);
    // Another instance takes the lease (as after an expiry it saw); A's next renewal finds out.
    const other = new MemoryState({ store });
    await other.start();
    const shard = 'shardId-000000000000';
    const current = (await other.getLease(scope, shard))!;
    await other.takeLease(scope, shard, { owner: 'A', leaseCounter: current.leaseCounter }, 'B');
    await advanceUntil(() => lost.length > 0, 10_000);
    expect(lost).toEqual([shard]);
    // B never renews: A takes the expired lease again later and starts over from the checkpoint
    // (none), attempt 1. The first holder's retry (due 60 s after its call) never ran.
    await vi.advanceTimersByTimeAsync(200_000);
    expect(acquired).toBeGreaterThanOrEqual(2);
    expect(calls.filter((call) => call.startsWith('1:'))).toEqual(['1:1']);
    // Only one call ever ran under the first holder's signal, which the loss aborted.
    expect(signals[0]!.aborted).toBe(true);
    expect(signals.filter((signal) => signal === signals[0])).toHaveLength(1);
    expect(calls.filter((call) => call.startsWith('2:'))[0]).toBe('2:1');
    expect(sent).toEqual([]);
    expect((await other.getLease(scope, shard))!.checkpoint).toBeNull();
    await until(c.close());
    await running;
  });

  it('rejects an invalid policy before starting', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 1);
    const c = consumer(fake, new MemoryStateStore());
    await expect(c.run(() => {}, { failure: { maxRetryAttempts: 3 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await until(c.close());
  });
});

describe('iterator mode: consumer.failurePolicy()', () => {
  it('retries a record in the loop body, sends it to the destination when exhausted, and checkpoints past it only then', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const store = new MemoryStateStore();
    const c = consumer(fake, store, { checkpointInterval: { records: 1 } });
    const sent: FailedRecords[] = [];
    const policy = c.failurePolicy({
      maxRetryAttempts: 2,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 100,
      destination: (failed) => {
        sent.push(failed);
      },
    });
    const attempts = new Map<string, number>();
    const outcomes: string[] = [];
    const loop = (async () => {
      for await (const record of c) {
        const key = recordText(record);
        const outcome = await policy.handle(record, () => {
          attempts.set(key, (attempts.get(key) ?? 0) + 1);
          if (key.endsWith(':4')) throw new Error('poison');
        });
        outcomes.push(`${key.split(':')[1]}=${outcome}`);
        if (outcomes.length === 10) break;
      }
    })();
    await until(loop);
    expect(outcomes[4]).toBe('4=sent');
    expect(outcomes.filter((o) => o.endsWith('=processed'))).toHaveLength(9);
    expect(attempts.get('shardId-000000000000:4')).toBe(3);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attempts).toBe(3);
    expect(c.stats()).toMatchObject({ retries: 2, recordsSentToDestination: 1, handlerFailures: 3 });
  });

  it('close() during a record backoff rejects handle() with CLOSED at once; the record is not checkpointed', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 3);
    const store = new MemoryStateStore();
    const c = consumer(fake, store, { checkpointInterval: { records: 1 } });
    const policy = c.failurePolicy({ retryBaseDelayMs: 600_000, retryMaxDelayMs: 600_000 });
    const iterator = c[Symbol.asyncIterator]();
    const first = await until(iterator.next());
    expect(first.done).toBe(false);
    const handled = policy.handle(first.value as KinesisRecord, () => {
      throw new Error('always');
    });
    handled.catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    await until(c.close(), 10_000);
    await expect(handled).rejects.toMatchObject({ code: 'CLOSED' });
    expect((await checkpoints(store)).get('shardId-000000000000')).toBeUndefined();
  });
});

describe('run(handler) without a failure policy (unchanged)', () => {
  it('a throwing handler stops the consumer; run() rejects with its error; the batch is not checkpointed', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const store = new MemoryStateStore();
    const c = consumer(fake, store);
    const boom = new Error('boom');
    let calls = 0;
    const running = c.run(() => {
      calls += 1;
      throw boom;
    });
    running.catch(() => {});
    await expect(until(running)).rejects.toBe(boom);
    expect(calls).toBe(1);
    expect((await checkpoints(store)).get('shardId-000000000000')).toBeUndefined();
    expect(c.stats()).toMatchObject({ retries: 0, recordsSentToDestination: 0 });
  });

  it('a non-empty batchItemFailures stops the consumer too (never checkpoints failed records)', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const store = new MemoryStateStore();
    const c = consumer(fake, store);
    const running = c.run((records: KinesisRecord[]) => ({
      batchItemFailures: [{ itemIdentifier: itemIdentifier(records[3]!) }],
    }));
    running.catch(() => {});
    await expect(until(running)).rejects.toMatchObject({ code: 'BATCH_ITEM_FAILED' });
    expect((await checkpoints(store)).get('shardId-000000000000')).toBeUndefined();
  });
});
