/**
 * Keeping a `LATEST` start from skipping records when a shard's reading is restarted before its
 * first record arrived.
 *
 * `LATEST` means "records put after this reader started". A reader that has returned no record yet
 * has no sequence number to resume after, so re-creating its iterator at `LATEST` again (expired
 * iterator, crashed worker) would skip everything put in between. Instead, the first `LATEST` start
 * is pinned to the wall-clock time just before it, and every later start of the same reading uses
 * `AT_TIMESTAMP` of that time. Kinesis compares the timestamp with its own arrival timestamps, so
 * the pin is moved back by {@link LATEST_PIN_MARGIN_MS} to cover a local clock running ahead of
 * Kinesis: records put up to that long before the first start may be delivered too (at-least-once,
 * never a gap, unless the local clock is ahead by more than the margin).
 */
import type { StartPosition } from './record-source.js';

/** How far before the first `LATEST` start a restart resumes: covers local clock skew. */
export const LATEST_PIN_MARGIN_MS = 5000;

/**
 * The position a restarted reading resumes from when it returned no record yet: `position` itself,
 * except that `LATEST` becomes `AT_TIMESTAMP` of `firstStartWallMs - LATEST_PIN_MARGIN_MS`.
 * @param firstStartWallMs wall-clock time (`Date.now()`) taken just before the first start.
 */
export function pinLatest(position: StartPosition, firstStartWallMs: number): StartPosition {
  if (position.type !== 'LATEST') return position;
  return { type: 'AT_TIMESTAMP', timestamp: firstStartWallMs - LATEST_PIN_MARGIN_MS };
}
