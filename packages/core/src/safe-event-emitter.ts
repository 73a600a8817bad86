/**
 * SafeEventEmitter: a Node `EventEmitter` (typed with an event map) whose listeners cannot break the
 * library that emits. The consumer and the producer extend it, so `events.once(consumer, 'leaseAcquired')`
 * and `for await (const [event] of on(producer, 'putRecords'))` work as with any emitter.
 */
import { EventEmitter } from 'node:events';

/**
 * A typed `EventEmitter` with two differences, both so that user code cannot break the emitter's owner:
 *
 * - A listener that throws (or returns a promise that rejects) does not stop the emit: the other
 *   listeners still run, and the error goes to {@link SafeEventEmitter.listenerFailed} (the consumer and
 *   producer log it through their logger).
 * - Emitting `error` without a listener does not throw (a plain `EventEmitter` throws it): the owner
 *   logs such errors; add an `error` listener (or use `events.once`/`events.on`, which add one) to
 *   handle them. `EventEmitter.errorMonitor` listeners are called first, as by Node.
 *
 * Everything else (`on`, `once`, `off`, `prependListener`, `listenerCount`, max-listener warnings,
 * `newListener`/`removeListener` events) is Node's own.
 */
export class SafeEventEmitter<T extends Record<keyof T, unknown[]>> extends EventEmitter<T> {
  /**
   * Called with what a listener threw (or its promise rejected with) and the event it was called for.
   * Default: ignores the error; owners override it to log.
   */
  protected listenerFailed(_error: unknown, _event: string | symbol): void {}

  static {
    // Replaces Node's `emit` on the prototype, so the method keeps Node's typed signature (generic over
    // the event map) while this body works on the untyped view. Same contract: calls every listener of
    // `event` synchronously, in order, and returns whether it had listeners; but a failing listener is
    // reported to `listenerFailed` and the next one still runs.
    Object.defineProperty(SafeEventEmitter.prototype, 'emit', {
      configurable: true,
      writable: true,
      value: function emit(this: SafeEventEmitter<never>, event: string | symbol, ...args: unknown[]) {
        if (event === 'error') this.#call(EventEmitter.errorMonitor, args);
        return this.#call(event, args);
      },
    });
  }

  #call(event: string | symbol, args: unknown[]): boolean {
    const listeners = (this as EventEmitter).rawListeners(event) as ((...a: unknown[]) => unknown)[];
    if (listeners.length === 0) return false;
    for (const listener of listeners) {
      try {
        const result = Reflect.apply(listener, this, args);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.#failed(error, event));
      } catch (error) {
        this.#failed(error, event);
      }
    }
    return true;
  }

  #failed(error: unknown, event: string | symbol): void {
    try {
      this.listenerFailed(error, event);
    } catch {
      // A failing error handler must not break the emit either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
