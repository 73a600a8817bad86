import { describe, expect, it } from 'vitest';
import { abortable } from './abortable.js';

describe('abortable', () => {
  it('settles as the promise does and removes its listener', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(abortable(Promise.resolve(3), controller.signal, () => calls++)).resolves.toBe(3);
    await expect(abortable(Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('boom');
    controller.abort(new Error('late'));
    expect(calls).toBe(0);
  });

  it('rejects with the reason when the signal aborts first, calling onAbort once', async () => {
    const controller = new AbortController();
    let calls = 0;
    const waiting = abortable(new Promise<never>(() => {}), controller.signal, () => calls++);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(calls).toBe(1);
    const already = AbortSignal.abort(new Error('gone'));
    await expect(abortable(Promise.resolve(1), already, () => calls++)).rejects.toThrow('gone');
    expect(calls).toBe(2);
  });
});
