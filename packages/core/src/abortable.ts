/**
 * Waiting on a promise under a caller's `AbortSignal`: what `start({ signal })`, `flush({ signal })` and
 * similar calls share.
 */

/**
 * Settles as `promise` does, or rejects with `signal.reason` as soon as `signal` aborts first (at once
 * when it already has). `onAbort` runs once, before the rejection, when the abort wins. The listener is
 * removed when `promise` settles; `promise` itself goes on (a late result is ignored).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => {
      onAbort?.();
      reject(signal.reason);
    };
    if (signal.aborted) {
      aborted();
      return;
    }
    signal.addEventListener('abort', aborted, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(error);
      },
    );
  });
}
