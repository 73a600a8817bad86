import { EventEmitter, on, once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProducerEvent } from './events.js';
import { KinesisProducer } from './producer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

async function settle<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 1000 && !done; i++) await vi.advanceTimersByTimeAsync(10);
  return promise;
}

function logger() {
  const errors: Record<string, unknown>[] = [];
  return {
    errors,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message: string, context?: Record<string, unknown>) => errors.push({ message, ...context }),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer events (a Node EventEmitter)', () => {
  it('for await (const [e] of on(producer, "putRecords")) sees every request; events.once works', async () => {
    const fake = new FakeKinesis();
    const producer = new KinesisProducer({
      streamName: 'stream',
      runner: 'inline',
      kinesisApi: fake,
      rateLimit: false,
    });
    expect(producer).toBeInstanceOf(EventEmitter);
    const first = once(producer, 'putRecords');
    const ac = new AbortController();
    let records = 0;
    const requests: number[] = [];
    const loop = (async () => {
      try {
        for await (const [e] of on(producer, 'putRecords', { signal: ac.signal })) {
          const event = e as Extract<ProducerEvent, { type: 'putRecords' }>;
          requests.push(event.entries);
          records += event.records;
          if (records === 1200) ac.abort();
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    })();
    const puts = Array.from({ length: 1200 }, (_, i) => producer.put(`r${i}`));
    await settle(producer.flush());
    await settle(Promise.all(puts));
    await settle(loop);
    expect(requests).toEqual([500, 500, 200]);
    const [firstEvent] = await first;
    expect(firstEvent).toMatchObject({ type: 'putRecords', entries: 500, records: 500, retried: 0 });
    expect(producer.listenerCount('putRecords')).toBe(0);
    await settle(producer.close());
  });

  it('a throwing listener or onEvent hook does not break delivery; onEvent sees the same events first', async () => {
    const fake = new FakeKinesis();
    const log = logger();
    const order: string[] = [];
    const producer = new KinesisProducer({
      streamName: 'stream',
      runner: 'inline',
      kinesisApi: fake,
      rateLimit: false,
      logger: log,
      onEvent: (e) => {
        order.push(`hook ${e.type}`);
        throw new Error('hook bug');
      },
    });
    producer.on('putRecords', () => {
      throw new Error('listener bug');
    });
    producer.on('putRecords', async () => {
      throw new Error('async listener bug');
    });
    producer.on('putRecords', (e) => order.push(`listener ${e.type} ${e.records}`));
    const results = await settle(Promise.all(Array.from({ length: 10 }, (_, i) => producer.put(`r${i}`))));
    expect(results).toHaveLength(10);
    expect(fake.stored).toHaveLength(10);
    expect(order).toEqual(['hook putRecords', 'listener putRecords 10']);
    expect(producer.stats()).toMatchObject({ recordsAcknowledged: 10, requests: 1 });
    expect(log.errors.map((e) => (e.error as Error).message).sort()).toEqual([
      'async listener bug',
      'hook bug',
      'listener bug',
    ]);
    expect(log.errors.every((e) => e.event === 'putRecords')).toBe(true);
    await settle(producer.close());
  });
});
