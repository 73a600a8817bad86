import { EventEmitter, on, once } from 'node:events';
import { recordText } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';
import { inlineConsumer as consumer, fillStream as fill } from './test-support/inline-consumer.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisConsumer events (a Node EventEmitter)', () => {
  it('events.once(consumer, "leaseAcquired") resolves with the payload; events.on iterates lag events', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 5);
    const c = consumer(fake);
    expect(c).toBeInstanceOf(EventEmitter);
    const acquired = once(c, 'leaseAcquired');
    const ac = new AbortController();
    const lags: string[] = [];
    const lagLoop = (async () => {
      try {
        for await (const [event] of on(c, 'lag', { signal: ac.signal })) {
          lags.push((event as { shardId: string }).shardId);
          if (lags.length === 2) ac.abort();
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    })();
    const it = c[Symbol.asyncIterator]();
    const records = await take(it, 10);
    expect(records).toHaveLength(10);
    const [payload] = await acquired;
    expect(payload).toMatchObject({ leaseCounter: expect.any(Number), stolen: false });
    expect(['shardId-000000000000', 'shardId-000000000001']).toContain(payload.shardId);
    await until(lagLoop);
    expect(lags).toHaveLength(2);
    await until(c.close());
    expect(c.listenerCount('lag')).toBe(0);
  });

  it('a throwing or rejecting listener does not break delivery; it is logged with the event name', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 20);
    const logged: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (message: string, context?: Record<string, unknown>) => logged.push({ message, ...context }),
    };
    const c = consumer(fake, { logger, checkpointInterval: { records: 5 } });
    const checkpoints: string[] = [];
    c.on('lag', () => {
      throw new Error('listener bug');
    });
    c.on('checkpoint', async () => {
      throw new Error('async listener bug');
    });
    c.on('checkpoint', (e) => checkpoints.push(e.sequenceNumber));
    const handled: number[] = [];
    const running = c.run(async (records) => {
      for (const r of records) handled.push(Number(recordText(r)));
      if (handled.length === 20) setTimeout(() => void c.close(), 0);
    });
    await until(running);
    expect(handled).toEqual([...Array(20).keys()]);
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(c.stats().recordsProcessed).toBe(20);
    expect(logged).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('event listener threw'), event: 'lag' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('event listener threw'),
        event: 'checkpoint',
      }),
    );
  });

  it('counts records the iterator moved past in stats().recordsProcessed; off() removes a listener', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 6);
    const c = consumer(fake);
    const seen: string[] = [];
    const listener = (e: { shardId: string }): void => {
      seen.push(e.shardId);
    };
    expect(c.on('shardStarted', listener)).toBe(c);
    c.off('shardStarted', listener);
    await take(c[Symbol.asyncIterator](), 6);
    // The sixth record is in hand: processed once the loop asks for the next one.
    expect(c.stats().recordsProcessed).toBe(5);
    expect(seen).toEqual([]);
    await until(c.close());
  });
});
