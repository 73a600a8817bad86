/**
 * PutRecords collection: per-shard queues of entries, and the choice of the next request (count and
 * size limits, buffer time, retry backoff, per-shard token buckets, ordered mode).
 */

import type { PutEntry } from './entries.js';
import type { TokenBucket } from './token-bucket.js';

/** Limits and modes of a {@link Batcher}. */
export interface BatcherOptions {
  /** Most entries per request (Kinesis: 500). */
  readonly maxCount: number;
  /** Most data + partition key bytes per request (Kinesis: 10 MiB). */
  readonly maxBytes: number;
  /**
   * Ordered mode: an entry is sent only when no entry sharing one of its partition keys is in flight
   * (or held), in the same request, or waiting before it in any shard's queue (e.g. in retry backoff,
   * or queued for a shard predicted before resharding).
   */
  readonly ordered: boolean;
  /** The token bucket of a shard, or `undefined` for no rate limit. */
  readonly bucket: (shardId: string) => TokenBucket | undefined;
}

/** What {@link Batcher.next} decided. */
export interface NextBatch {
  /** Entries of the request to send now (empty: nothing to send now). */
  readonly batch: PutEntry[];
  /** Entries that passed their deadline while waiting; the caller rejects their records. */
  readonly expired: PutEntry[];
  /** When to ask again (clock ms), or `undefined` when only an outside event can help. */
  readonly wakeAt: number | undefined;
}

/** Shortest pause of a shard whose token bucket ran dry (ms). */
const THROTTLE_PAUSE_MS = 50;

/** Inserts by `seq`, keeping the queue sorted (appends are the common case). */
function insertSorted(queue: PutEntry[], entry: PutEntry): void {
  let i = queue.length;
  while (i > 0 && queue[i - 1]!.seq > entry.seq) i--;
  queue.splice(i, 0, entry);
}

const min = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/**
 * Entries waiting to be put, per predicted shard, in record order. Requests are formed when an entry
 * is due (its buffer time elapsed or its retry backoff ended), when a full request is available, or
 * when the caller forces a flush.
 */
export class Batcher {
  readonly #options: BatcherOptions;
  readonly #queues = new Map<string, PutEntry[]>();
  readonly #inFlightKeys = new Map<string, number>();
  /** Ordered mode: the `seq`s of waiting entries per partition key, ascending (across shard queues). */
  readonly #waitingByKey = new Map<string, number[]>();
  /** Shards whose token bucket ran dry, with when to look at them again. */
  readonly #throttledUntil = new Map<string, number>();
  #size = 0;
  #round = 0;

  constructor(options: BatcherOptions) {
    this.#options = options;
  }

  /** Entries waiting (not in flight). */
  get size(): number {
    return this.#size;
  }

  /** Queues an entry (new, or back from a failed attempt: it keeps its place by `seq`). */
  push(entry: PutEntry): void {
    let queue = this.#queues.get(entry.shardId);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(entry.shardId, queue);
    }
    insertSorted(queue, entry);
    this.#size++;
    if (this.#options.ordered) {
      for (const key of new Set(entry.keys)) {
        let seqs = this.#waitingByKey.get(key);
        if (seqs === undefined) {
          seqs = [];
          this.#waitingByKey.set(key, seqs);
        }
        let i = seqs.length;
        while (i > 0 && seqs[i - 1]! > entry.seq) i--;
        seqs.splice(i, 0, entry.seq);
      }
    }
  }

  /** Ordered mode: drops a no-longer-waiting entry from the per-key order. */
  #forget(entry: PutEntry): void {
    if (!this.#options.ordered) return;
    for (const key of new Set(entry.keys)) {
      const seqs = this.#waitingByKey.get(key);
      if (seqs === undefined) continue;
      const i = seqs.indexOf(entry.seq);
      if (i >= 0) seqs.splice(i, 1);
      if (seqs.length === 0) this.#waitingByKey.delete(key);
    }
  }

  /** Ordered mode: true when `entry` is the earliest waiting entry of each of its keys. */
  #isFirstOfItsKeys(entry: PutEntry): boolean {
    for (const key of entry.keys) {
      const seqs = this.#waitingByKey.get(key);
      if (seqs !== undefined && seqs[0]! < entry.seq) return false;
    }
    return true;
  }

  /**
   * Ordered mode: treats `keys` as in flight until {@link releaseKeys} (records of an aggregate that
   * landed on an unexpected shard and wait to be re-sent: later records of their keys must wait too).
   */
  holdKeys(keys: readonly string[]): void {
    if (!this.#options.ordered) return;
    for (const key of keys) this.#inFlightKeys.set(key, (this.#inFlightKeys.get(key) ?? 0) + 1);
  }

  /** Ordered mode: undoes one {@link holdKeys} (or one in-flight use) of each key. */
  releaseKeys(keys: readonly string[]): void {
    if (!this.#options.ordered) return;
    for (const key of keys) {
      const n = (this.#inFlightKeys.get(key) ?? 0) - 1;
      if (n <= 0) this.#inFlightKeys.delete(key);
      else this.#inFlightKeys.set(key, n);
    }
  }

  /** Removes and returns every waiting entry. */
  takeAll(): PutEntry[] {
    const all: PutEntry[] = [];
    for (const queue of this.#queues.values()) all.push(...queue);
    this.#queues.clear();
    this.#waitingByKey.clear();
    this.#size = 0;
    return all;
  }

  /** Marks a sent request's entries as no longer in flight (call once its outcome is known). */
  settle(entries: readonly PutEntry[]): void {
    if (!this.#options.ordered) return;
    for (const entry of entries) this.releaseKeys(entry.keys);
  }

  /** Decides the next request at `now`; `force` sends whatever is eligible without waiting. */
  next(now: number, force: boolean): NextBatch {
    const { maxCount, maxBytes } = this.#options;
    // Deadlines grow with `seq` inside a shard (arrival order), so expired entries form a prefix.
    const expired: PutEntry[] = [];
    for (const [shardId, queue] of this.#queues) {
      let k = 0;
      while (k < queue.length && now > queue[k]!.deadline) k++;
      if (k === 0) continue;
      const gone = queue.splice(0, k);
      for (const entry of gone) this.#forget(entry);
      expired.push(...gone);
      if (queue.length === 0) this.#queues.delete(shardId);
    }
    this.#size -= expired.length;
    let eligibleCount = 0;
    let eligibleBytes = 0;
    let dueAt: number | undefined;
    let retryAt: number | undefined;
    let due = false;
    // Stops as soon as a request is due, so a large backlog is not rescanned on every call.
    scan: for (const queue of this.#queues.values()) {
      for (const entry of queue) {
        if (entry.notBefore > now) {
          retryAt = min(retryAt, entry.notBefore);
          continue;
        }
        eligibleCount++;
        eligibleBytes += entry.size;
        const at = entry.attempts > 0 ? entry.notBefore : entry.dueAt;
        dueAt = min(dueAt, at);
        if (force || at <= now || eligibleCount >= maxCount || eligibleBytes >= maxBytes) {
          due = true;
          break scan;
        }
      }
    }
    if (!due) return { batch: [], expired, wakeAt: min(dueAt, retryAt) };
    return this.#take(now, expired, retryAt);
  }

  #take(now: number, expired: PutEntry[], retryAt: number | undefined): NextBatch {
    const { maxCount, maxBytes, ordered } = this.#options;
    const batch: PutEntry[] = [];
    let bytes = 0;
    let wakeAt = retryAt;
    const takenKeys = new Set<string>();
    const shardIds = [...this.#queues.keys()];
    const start = this.#round++ % Math.max(1, shardIds.length);
    let full = false;
    for (let s = 0; s < shardIds.length && !full; s++) {
      const shardId = shardIds[(start + s) % shardIds.length]!;
      const queue = this.#queues.get(shardId)!;
      const bucket = this.#options.bucket(shardId);
      const until = this.#throttledUntil.get(shardId);
      if (until !== undefined) {
        if (until > now) {
          wakeAt = min(wakeAt, until);
          continue;
        }
        this.#throttledUntil.delete(shardId);
      }
      const blocked = ordered ? new Set<string>() : undefined;
      const taken = new Set<PutEntry>();
      for (const entry of queue) {
        if (batch.length >= maxCount || (batch.length > 0 && bytes + entry.size > maxBytes)) {
          full = true;
          break;
        }
        if (
          blocked !== undefined &&
          (this.#conflicts(entry, blocked, takenKeys) || !this.#isFirstOfItsKeys(entry))
        ) {
          for (const key of entry.keys) blocked.add(key);
          continue;
        }
        if (entry.notBefore > now) {
          if (blocked !== undefined) for (const key of entry.keys) blocked.add(key);
          continue;
        }
        if (bucket !== undefined && !bucket.tryTake(1, entry.size)) {
          // Let the bucket refill for a while, so the shard's next records leave in one request
          // rather than one tiny request per refilled token.
          const until = now + Math.max(THROTTLE_PAUSE_MS, bucket.waitTime(1, entry.size));
          this.#throttledUntil.set(shardId, until);
          wakeAt = min(wakeAt, until);
          break;
        }
        taken.add(entry);
        this.#forget(entry);
        batch.push(entry);
        bytes += entry.size;
        if (ordered) {
          for (const key of entry.keys) {
            takenKeys.add(key);
            this.#inFlightKeys.set(key, (this.#inFlightKeys.get(key) ?? 0) + 1);
          }
        }
      }
      if (taken.size > 0) {
        let prefix = 0;
        while (prefix < queue.length && taken.has(queue[prefix]!)) prefix++;
        let rest = queue;
        if (prefix === taken.size) queue.splice(0, prefix);
        else rest = queue.filter((e) => !taken.has(e));
        if (rest.length === 0) this.#queues.delete(shardId);
        else this.#queues.set(shardId, rest);
      }
    }
    this.#size -= batch.length;
    return { batch, expired, wakeAt: batch.length > 0 ? now : wakeAt };
  }

  #conflicts(entry: PutEntry, blocked: Set<string>, takenKeys: Set<string>): boolean {
    for (const key of entry.keys) {
      if (blocked.has(key) || takenKeys.has(key) || this.#inFlightKeys.has(key)) return true;
    }
    return false;
  }
}
