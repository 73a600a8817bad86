import { getEventListeners } from 'node:events';
import { ErrorCode, ValidationError } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProducerRecordError } from './errors.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { inlineProducer as make } from './test-support/inline-producer.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

/** A gate that holds every PutRecords call until opened. */
function hold(fake: FakeKinesis): () => void {
  let open!: () => void;
  fake.gate = new Promise((resolve) => {
    open = resolve;
  });
  return () => {
    fake.gate = undefined;
    open();
  };
}

/** Records how a promise settled, without awaiting it. */
function outcome<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer with an AbortSignal', () => {
  it('put({ signal }): a record still waiting for room rejects with the reason and is never sent; the others are', async () => {
    const { producer, fake } = make({ bufferTime: 0, maxOutstandingRecords: 2 });
    const open = hold(fake);
    const sent = [producer.put('r0'), producer.put('r1')];
    const head = new AbortController();
    const middle = new AbortController();
    const waiting = [
      outcome(producer.put('r2', { signal: head.signal })),
      outcome(producer.put('r3', { signal: middle.signal })),
      outcome(producer.put('r4')),
    ];
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls.map((c) => c.entries.length)).toEqual([2]); // r2..r4 wait for room
    const reason = new Error('caller gave up');
    head.abort(reason);
    middle.abort('timeout');
    await vi.advanceTimersByTimeAsync(0);
    expect(waiting[0]).toMatchObject({ settled: true, error: reason });
    expect(waiting[1]).toMatchObject({ settled: true, error: 'timeout' });
    expect(waiting[2]!.settled).toBe(false);
    open();
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(sent);
    expect(waiting[2]!.settled).toBe(true);
    expect(waiting[2]!.error).toBeUndefined();
    expect(fake.stored.map((r) => text(r.data)).sort()).toEqual(['r0', 'r1', 'r4']);
    expect(producer.stats()).toMatchObject({ recordsPut: 5, recordsAcknowledged: 3, recordsFailed: 2 });
    // No listener stays on a signal once its put settled.
    expect(getEventListeners(head.signal, 'abort')).toHaveLength(0);
    await producer.flush(); // not held up by the aborted records
    await producer.close();
  });

  it('put({ signal }) with an aborted signal rejects with the reason before anything starts', async () => {
    const { producer, fake } = make();
    await expect(producer.put('x', { signal: AbortSignal.abort('stop') })).rejects.toBe('stop');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls).toHaveLength(0);
    expect(producer.stats().recordsPut).toBe(0);
    await producer.close();
  });

  it('put({ signal }) while the producer is still starting: the record is dropped from the queue, later ones go out', async () => {
    const fake = new FakeKinesis();
    let described!: () => void;
    fake.describeGate = new Promise((resolve) => {
      described = resolve;
    });
    const { producer } = make({ bufferTime: 0 }, fake);
    const controller = new AbortController();
    const first = outcome(producer.put('first', { signal: controller.signal }));
    const second = producer.put('second');
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(first.settled).toBe(true);
    expect((first.error as Error).name).toBe('AbortError');
    described();
    await vi.advanceTimersByTimeAsync(10);
    await expect(second).resolves.toMatchObject({ shardId: expect.any(String) });
    expect(fake.stored.map((r) => text(r.data))).toEqual(['second']);
    await producer.close();
  });

  it('put({ signal }) after hand-over: rejects at once with ABORTED (maybeWritten), and the record is still written', async () => {
    const { producer, fake } = make({ bufferTime: 0 });
    const open = hold(fake);
    const controller = new AbortController();
    const put = outcome(producer.put('in flight', { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toHaveLength(1); // handed over: the request is on its way
    const reason = new Error('no longer needed');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(put.settled).toBe(true);
    expect(put.error).toBeInstanceOf(ProducerRecordError);
    expect(put.error).toMatchObject({
      code: ErrorCode.ABORTED,
      cause: reason,
      context: { maybeWritten: true },
      record: { data: 'in flight' },
    });
    open();
    await vi.advanceTimersByTimeAsync(10);
    await producer.flush();
    expect(fake.stored.map((r) => text(r.data))).toEqual(['in flight']);
    expect(producer.stats()).toMatchObject({ recordsAcknowledged: 1, recordsFailed: 0 });
    await producer.close();
  });

  it('flush({ signal }): rejects with the reason when aborted; the records keep going and settle', async () => {
    const { producer, fake } = make({ bufferTime: 60_000 });
    const open = hold(fake);
    const put = producer.put('a');
    const controller = new AbortController();
    const flushing = outcome(producer.flush({ signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(100);
    expect(flushing.settled).toBe(false);
    controller.abort('enough');
    await vi.advanceTimersByTimeAsync(0);
    expect(flushing).toMatchObject({ settled: true, error: 'enough' });
    await expect(producer.flush({ signal: AbortSignal.abort('now') })).rejects.toBe('now');
    open();
    await vi.advanceTimersByTimeAsync(10);
    await expect(put).resolves.toMatchObject({ shardId: expect.any(String) });
    const done = new AbortController();
    await producer.flush({ signal: done.signal });
    expect(getEventListeners(done.signal, 'abort')).toHaveLength(0);
    await producer.close();
  });

  it('rejects a signal that is not an AbortSignal, and an unknown flush() option, with ValidationError', async () => {
    const { producer, fake } = make();
    await expect(producer.put('x', { signal: 'soon' as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(producer.flush({ signal: {} as never })).rejects.toThrow(/signal must be an AbortSignal/);
    await expect(producer.flush({ sigal: AbortSignal.abort() } as never)).rejects.toThrow(/signal/);
    await expect(producer.flush(null as never)).rejects.toBeInstanceOf(ValidationError);
    expect(fake.calls).toHaveLength(0);
    await producer.close();
  });
});
