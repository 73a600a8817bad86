import { ValidationError } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { until } from './test-support/fake-time.js';
import { inlineConsumer as consumer, fillStream as fill } from './test-support/inline-consumer.js';

const scope = { consumerGroup: 'default', streamName: 's' };

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

async function leases(store: MemoryStateStore) {
  const state = new MemoryState({ store });
  await state.start();
  return state.listLeases(scope);
}

describe('KinesisConsumer with an AbortSignal', () => {
  it('start({ signal }): aborting during start-up retries rejects with the reason at once; close() resolves and nothing is left running', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const state = new MemoryState();
    const start = vi.spyOn(state, 'start').mockRejectedValue(new Error('store unreachable'));
    const c = consumer(fake, { state });
    const controller = new AbortController();
    const starting = c.start({ signal: controller.signal });
    starting.catch(() => {});
    await vi.advanceTimersByTimeAsync(3000);
    const attemptsBefore = start.mock.calls.length;
    expect(attemptsBefore).toBeGreaterThan(1); // still retrying (startTimeoutMs is 60 s)
    const reason = new Error('deploy cancelled');
    controller.abort(reason);
    // Rejects without any further time passing.
    await expect(starting).rejects.toBe(reason);
    await until(c.close());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(start.mock.calls.length).toBe(attemptsBefore); // no retry after the abort
    expect(vi.getTimerCount()).toBe(0);
    await expect(c.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('start({ signal }) with an aborted signal rejects without touching the store; after start resolved an abort does nothing', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const state = new MemoryState();
    const start = vi.spyOn(state, 'start');
    const c = consumer(fake, { state });
    await expect(c.start({ signal: AbortSignal.abort('no') })).rejects.toBe('no');
    expect(start).not.toHaveBeenCalled();
    await until(c.close());
    expect(vi.getTimerCount()).toBe(0);

    const store = new MemoryStateStore();
    const c2 = consumer(fake, { state: new MemoryState({ store }) });
    const controller = new AbortController();
    await until(c2.start({ signal: controller.signal }));
    controller.abort();
    const got: string[] = [];
    const running = c2.run(async (records) => {
      for (const r of records) got.push(r.sequenceNumber);
    });
    for (let i = 0; i < 100 && got.length < 5; i++) await vi.advanceTimersByTimeAsync(50);
    expect(got).toHaveLength(5);
    expect((await leases(store))[0]?.owner).toBe(c2.instanceId);
    await until(c2.close());
    await running;
  });

  it('run(handler, { signal }): aborting closes the consumer like close(): handlers finish, checkpoints flushed, leases released, run() resolves', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 20);
    const store = new MemoryStateStore();
    const c = consumer(fake, {
      state: new MemoryState({ store }),
      maxRecordsPerCall: 5,
      checkpointInterval: { records: 1000, ms: 60_000 },
    });
    const controller = new AbortController();
    let handled = 0;
    let inHandler = 0;
    let abortedWhileHandling = false;
    const running = c.run(
      async (records) => {
        inHandler += 1;
        if (handled >= 20) {
          controller.abort();
          abortedWhileHandling = true;
        }
        await new Promise<void>((resolve) => setTimeout(resolve, 200));
        handled += records.length;
        inHandler -= 1;
      },
      { signal: controller.signal },
    );
    let settled = false;
    void running.then(() => {
      settled = true;
    });
    await until(running);
    expect(settled).toBe(true);
    expect(abortedWhileHandling).toBe(true);
    expect(inHandler).toBe(0); // the batch in hand finished before run() resolved
    const after = await leases(store);
    expect(after.map((l) => l.owner)).toEqual([null, null]);
    // Every processed batch is checkpointed (the 60 s interval never came: close() flushed them).
    const checkpointed = after.reduce((n, lease) => {
      const records = fake.shard('s', lease.shardId).records;
      const at = records.findIndex((r) => r.sequenceNumber === lease.checkpoint?.sequenceNumber);
      return n + at + 1;
    }, 0);
    expect(checkpointed).toBe(handled);
    expect(vi.getTimerCount()).toBe(0);
    await expect(c.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('run(handler, { signal }): a signal aborted from outside (a timer) stops a caught-up consumer; a restart resumes after the checkpoint', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 12);
    const store = new MemoryStateStore();
    const c = consumer(fake, {
      state: new MemoryState({ store }),
      checkpointInterval: { records: 1000, ms: 60_000 },
    });
    const first: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 5000);
    await until(
      c.run(
        async (records) => {
          for (const r of records) first.push(r.sequenceNumber);
        },
        { signal: controller.signal },
      ),
    );
    expect(first).toHaveLength(12);
    const [lease] = await leases(store);
    expect(lease?.owner).toBeNull();
    expect(lease?.checkpoint?.sequenceNumber).toBe(first[11]);
    fake.put('s', lease!.shardId, 'k', 'after');
    const again = consumer(fake, { state: new MemoryState({ store }) });
    const second: string[] = [];
    const stop = new AbortController();
    const running = again.run(
      async (records) => {
        for (const r of records) second.push(r.sequenceNumber);
        stop.abort();
      },
      { signal: stop.signal },
    );
    await until(running);
    expect(second).toHaveLength(1); // only the record put after the checkpoint
    expect(vi.getTimerCount()).toBe(0);
  });

  it('run(handler, { signal }) with an aborted signal closes at once: no handler call, the store is never started', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const state = new MemoryState();
    const start = vi.spyOn(state, 'start');
    const c = consumer(fake, { state });
    const handler = vi.fn();
    await until(c.run(handler, { signal: AbortSignal.abort() }));
    expect(handler).not.toHaveBeenCalled();
    expect(start).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a signal that is not an AbortSignal, and a misspelled option, naming them', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 1);
    const c = consumer(fake);
    await expect(c.start({ signal: 'stop' as never })).rejects.toThrow(/signal must be an AbortSignal/);
    await expect(c.start({ signl: new AbortController().signal } as never)).rejects.toThrow(/signal/);
    await expect(c.start(null as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(c.run(() => {}, { signal: {} as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(c.run(() => {}, { sigal: AbortSignal.abort() } as never)).rejects.toThrow(/signal/);
    // Nothing started: the consumer is still usable.
    const controller = new AbortController();
    const running = c.run(() => {}, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    await until(running);
    expect(vi.getTimerCount()).toBe(0);
  });
});
