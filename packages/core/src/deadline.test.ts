import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { withDeadline } from './deadline.js';

const timeout = () => new Error('too slow');

describe('withDeadline', () => {
  it('rejects at the deadline with the given error and aborts the call, even if it never settles', async () => {
    const clock = new ManualClock();
    let seen: AbortSignal | undefined;
    const call = withDeadline({ clock, timeoutMs: 100, timeoutError: timeout }, (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    clock.advance(99);
    expect(seen?.aborted).toBe(false);
    clock.advance(1);
    await expect(call).rejects.toThrow('too slow');
    expect(seen?.reason).toEqual(new Error('too slow'));
    expect(clock.pendingTimers).toBe(0);
  });

  it('settles as the call does when it is in time, leaving no timer; a late answer is ignored', async () => {
    const clock = new ManualClock();
    await expect(withDeadline({ clock, timeoutMs: 100, timeoutError: timeout }, async () => 7)).resolves.toBe(
      7,
    );
    await expect(
      withDeadline({ clock, timeoutMs: 100, timeoutError: timeout }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(clock.pendingTimers).toBe(0);
    let late!: (value: number) => void;
    const call = withDeadline(
      { clock, timeoutMs: 10, timeoutError: timeout },
      () => new Promise<number>((resolve) => (late = resolve)),
    );
    clock.advance(10);
    late(1);
    await expect(call).rejects.toThrow('too slow');
  });

  it("passes the caller's abort on to the call", async () => {
    const clock = new ManualClock();
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    void withDeadline({ clock, timeoutMs: 100, timeoutError: timeout, signal: parent.signal }, (signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    }).catch(() => {});
    parent.abort(new Error('closing'));
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toEqual(new Error('closing'));
    const already = new AbortController();
    already.abort('gone');
    await withDeadline(
      { clock, timeoutMs: 100, timeoutError: timeout, signal: already.signal },
      async (signal) => {
        expect(signal.aborted).toBe(true);
      },
    );
  });
});
