import { EventEmitter, on, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SafeEventEmitter } from './safe-event-emitter.js';

type Events = { tick: [{ n: number }]; error: [Error] };

class Ticker extends SafeEventEmitter<Events> {
  readonly failures: [unknown, string | symbol][] = [];
  protected override listenerFailed(error: unknown, event: string | symbol): void {
    this.failures.push([error, event]);
  }
}

describe('SafeEventEmitter', () => {
  it('is a Node EventEmitter: events.once and events.on work', async () => {
    const t = new Ticker();
    expect(t).toBeInstanceOf(EventEmitter);
    const first = once(t, 'tick');
    t.emit('tick', { n: 1 });
    expect(await first).toEqual([{ n: 1 }]);

    const seen: number[] = [];
    const ac = new AbortController();
    const loop = (async () => {
      try {
        for await (const [event] of on(t, 'tick', { signal: ac.signal })) {
          seen.push((event as { n: number }).n);
          if (seen.length === 3) ac.abort();
        }
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    })();
    for (let n = 1; n <= 3; n++) t.emit('tick', { n });
    await loop;
    expect(seen).toEqual([1, 2, 3]);
    expect(t.listenerCount('tick')).toBe(0);
  });

  it('keeps delivering when a listener throws or rejects, and reports the error', async () => {
    const t = new Ticker();
    const got: number[] = [];
    const boom = new Error('listener bug');
    t.on('tick', () => {
      throw boom;
    });
    t.on('tick', async () => {
      throw new Error('async bug');
    });
    t.once('tick', ({ n }) => got.push(n * 10));
    t.on('tick', ({ n }) => got.push(n));
    expect(t.emit('tick', { n: 1 })).toBe(true);
    t.emit('tick', { n: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([10, 1, 2]);
    expect(t.failures.filter(([e]) => e === boom)).toHaveLength(2);
    expect(t.failures.map(([e]) => (e as Error).message)).toContain('async bug');
    expect(t.failures.every(([, event]) => event === 'tick')).toBe(true);
  });

  it('does not throw for an error event without listeners; errorMonitor still sees it', () => {
    const t = new Ticker();
    const monitored: Error[] = [];
    (t as EventEmitter).on(EventEmitter.errorMonitor, (e: Error) => monitored.push(e));
    const error = new Error('x');
    expect(t.emit('error', error)).toBe(false);
    expect(monitored).toEqual([error]);
    const handled: Error[] = [];
    t.on('error', (e) => handled.push(e));
    expect(t.emit('error', error)).toBe(true);
    expect(handled).toEqual([error]);
  });

  it('rejects events.once when an error is emitted while waiting, as Node does', async () => {
    const t = new Ticker();
    const waiting = once(t, 'tick');
    t.emit('error', new Error('failed'));
    await expect(waiting).rejects.toThrow('failed');
  });

  it('survives a listenerFailed that throws itself', () => {
    class Fragile extends SafeEventEmitter<Events> {
      protected override listenerFailed(): void {
        throw new Error('logger broke');
      }
    }
    const f = new Fragile();
    const got: number[] = [];
    f.on('tick', () => {
      throw new Error('bug');
    });
    f.on('tick', ({ n }) => got.push(n));
    f.emit('tick', { n: 5 });
    expect(got).toEqual([5]);
  });
});
