/**
 * Injectable time. Everything in kinesis-ts that waits or measures elapsed time goes through a
 * {@link Clock}, so tests can drive leases and batching without sleeping.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Time source and timers. */
export interface Clock {
  /**
   * Milliseconds on a monotonic scale: only differences between two calls are meaningful. The system
   * clock never goes back and ignores wall-clock steps (NTP, a changed time zone or date), so a lease
   * deadline or expiry measured with it is not shortened or stretched by them.
   */
  now(): number;
  /**
   * Runs `callback` after `ms` milliseconds. Background timers created by the library never keep the
   * process alive (the system clock `unref()`s them).
   */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: monotonic time (`performance.timeOrigin + performance.now()`, close to the epoch in
 * milliseconds when the process starts but never stepped by wall-clock changes) and `unref()`'d global
 * timers. Globals are looked up on every call, so `vi.useFakeTimers()` drives it too (fake `performance`
 * as well as the timers). Long-lived objects that must keep the process alive hold a handle of their own
 * (see the consumer's and producer's `start()`), not these timers.
 */
export const systemClock: Clock = Object.freeze({
  now: () => globalThis.performance.timeOrigin + globalThis.performance.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle => {
    const handle = globalThis.setTimeout(callback, ms);
    if (typeof handle === 'object' && handle !== null && 'unref' in handle) handle.unref();
    return handle as unknown as TimerHandle;
  },
  clearTimeout: (handle: TimerHandle): void => {
    globalThis.clearTimeout(handle as unknown as ReturnType<typeof globalThis.setTimeout>);
  },
});

/**
 * Resolves after `ms` on `clock`; rejects with the signal's reason if `signal` aborts first.
 */
export function sleep(ms: number, clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A clock that only moves when told to: for tests and the conformance suite.
 * Timers fire synchronously inside {@link ManualClock.advance}, in due order.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { due: this.#now + Math.max(0, ms), callback });
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number } | undefined)?.id;
    if (id !== undefined) this.#timers.delete(id);
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { due: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].due <= target && (next === undefined || entry[1].due < next[1].due)) next = entry;
      }
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].due);
      next[1].callback();
    }
    this.#now = target;
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.size;
  }
}
