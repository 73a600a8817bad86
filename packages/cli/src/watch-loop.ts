/**
 * Refreshing a view every interval until Ctrl-C, and a sleep that Ctrl-C ends early.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Output } from './output.js';

/** Waits `ms`, or less when `signal` aborts. Never rejects. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => {});
}

/** ANSI: cursor home and clear screen (redraw in place on a terminal). */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/**
 * Calls `render` now and then every `intervalMs` until `signal` aborts. On a terminal each render
 * replaces the previous one; otherwise (a pipe, a file, `--json`) renders follow each other.
 */
export async function watchLoop(
  out: Output,
  intervalMs: number,
  signal: AbortSignal,
  render: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    if (out.interactive && !out.json) out.write(CLEAR_SCREEN);
    await render();
    if (!out.interactive && !out.json) out.line();
    await sleepUnlessAborted(intervalMs, signal);
  }
}
