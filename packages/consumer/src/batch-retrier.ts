/**
 * The failure policy applied to one batch of one shard: calls the handler, retries with backoff,
 * bisects, sends records that exhausted the policy to the destination, and reports progress strictly in
 * shard order. Independent of the consumer (everything comes in through {@link BatchRetrierDeps}).
 *
 * Every handler call covers `records[pos..end)`, where `pos` is the first record not yet done, so the
 * records done always form a prefix of the batch and `progress` can checkpoint them in order:
 *
 * - success: the call's records are done; if a bisected half succeeded, the failure is in the other
 *   half, which is split again without being called whole;
 * - partial response (`batchItemFailures`): the records before the earliest failed one are done; the
 *   rest is retried from it, and that record alone goes to the destination when its retries run out;
 * - thrown error: with `bisectOnError`, a failing range of more than one record is split in halves (no
 *   retry is used up, no delay); otherwise the range is retried after a backoff, and goes to the
 *   destination when its retries run out. Once a range was given up, the rest of the batch is called
 *   again as one range, so isolating one bad record among `n` takes about `log2(n) + 2` calls;
 * - before each retry, failed records older than `maxRecordAgeMs` go to the destination.
 *
 * An aborted `signal` (lease lost, handed over, consumer closing) or a `LeaseLostError` from the
 * handler stops the loop at once: backoff sleeps end, nothing more is marked done.
 */
import {
  type Clock,
  ErrorCode,
  type KinesisRecord,
  KinesisTsError,
  LeaseLostError,
  sleep,
  type TimerHandle,
} from '@kinesis-ts/core';
import type { FailedRecords, FailureCondition } from './failure-destination.js';
import { type ResolvedFailurePolicy, retryDelayMs } from './failure-policy.js';
import { readBatchResponse } from './item-identifier.js';

/** What the retrier reports while it works (events and counters). */
export interface BatchRetrierObserver {
  /** A handler call failed (not counting calls stopped by the signal or a lost lease). */
  handlerFailed?(info: { records: number; error: unknown }): void;
  /** A failing range is split in two. */
  bisected?(info: { records: number; left: number; right: number }): void;
  /** Records will be called again after `delayMs`; `retry` counts retries of the same records. */
  retrying?(info: { records: number; retry: number; delayMs: number; error: unknown }): void;
  /** The destination accepted records. */
  sent?(failed: FailedRecords): void;
  /** A destination call failed; `attempt` counts calls for the same records. */
  destinationFailed?(info: { error: KinesisTsError; attempt: number; records: number }): void;
}

/** What {@link retryBatch} needs. */
export interface BatchRetrierDeps {
  readonly policy: ResolvedFailurePolicy;
  readonly streamName: string;
  readonly consumerGroup: string;
  readonly shardId: string;
  /** Backoff timers. */
  readonly clock: Clock;
  /** Wall-clock time in epoch ms (record ages compare with `approximateArrivalTimestamp`). */
  readonly wallNow: () => number;
  /** Aborted when the shard stops here. */
  readonly signal: AbortSignal;
  /** Calls the handler with `records` (`attempt`: 1 on a first call, then failed calls of these records + 1). */
  readonly invoke: (records: KinesisRecord[], attempt: number) => Promise<unknown>;
  /** `records[from..to)` of the batch are done (processed, or accepted by the destination). */
  readonly progress: (from: number, to: number) => void;
  readonly observer?: BatchRetrierObserver;
  /** Jitter source (tests). */
  readonly random?: () => number;
}

/** How a batch ended. */
export type BatchOutcome =
  /** Every record is done. */
  | { readonly type: 'done' }
  /** The shard stopped here (signal, lost lease): the records from `pos` on are not done. */
  | { readonly type: 'stopped' }
  /** The destination failed `destinationMaxAttempts` times: the consumer must stop; nothing more is done. */
  | { readonly type: 'failed'; readonly error: KinesisTsError };

interface FailedCall {
  readonly start: number;
  readonly end: number;
}

/** Applies the failure policy to one batch. Never rejects. */
export async function retryBatch(
  records: readonly KinesisRecord[],
  d: BatchRetrierDeps,
): Promise<BatchOutcome> {
  const { policy, signal, observer } = d;
  const n = records.length;
  let pos = 0;
  /** `[pos, suspectEnd)` is known (or inferred) to hold a failing record; `null`: nothing known. */
  let suspectEnd: number | null = null;
  /** True when the failing record is `records[pos]` itself (a partial response named it). */
  let headKnown = false;
  /** Failed calls of the current suspect range that used up a retry. */
  let failures = 0;
  let lastError: unknown = null;
  /** Failed calls since `pos` last moved past them (pruned as `pos` advances). */
  let failedCalls: FailedCall[] = [];

  const advance = (to: number): void => {
    pos = to;
    failures = 0;
    headKnown = false;
    if (suspectEnd !== null && pos >= suspectEnd) suspectEnd = null;
    if (failedCalls.length > 0) failedCalls = failedCalls.filter((call) => call.end > pos);
  };

  const giveUp = async (
    from: number,
    to: number,
    condition: FailureCondition,
  ): Promise<BatchOutcome | null> => {
    let attempts = 0;
    for (const call of failedCalls) if (call.start <= from && call.end >= to) attempts += 1;
    const failed: FailedRecords = {
      streamName: d.streamName,
      consumerGroup: d.consumerGroup,
      shardId: d.shardId,
      records: records.slice(from, to),
      condition,
      error: lastError,
      attempts,
      failedAt: new Date(d.wallNow()),
    };
    const outcome = await sendToDestination(failed, d);
    if (outcome !== null) return outcome;
    d.progress(from, to);
    observer?.sent?.(failed);
    advance(to);
    return null;
  };

  while (pos < n) {
    if (signal.aborted) return { type: 'stopped' };
    // Failed records too old to retry go to the destination (they lead the suspect range: a shard's
    // arrival times do not go back).
    if (suspectEnd !== null && Number.isFinite(policy.maxRecordAgeMs)) {
      const now = d.wallNow();
      let k = pos;
      while (
        k < suspectEnd &&
        now - records[k]!.approximateArrivalTimestamp.getTime() > policy.maxRecordAgeMs
      )
        k++;
      if (k > pos) {
        const stopped = await giveUp(pos, k, 'RecordAgeExceeded');
        if (stopped !== null) return stopped;
        continue;
      }
    }
    let end: number;
    if (suspectEnd === null) {
      end = n;
    } else if (policy.bisectOnError && !headKnown && suspectEnd - pos > 1) {
      end = pos + Math.ceil((suspectEnd - pos) / 2);
      observer?.bisected?.({ records: suspectEnd - pos, left: end - pos, right: suspectEnd - end });
    } else {
      end = suspectEnd;
    }
    const slice = records.slice(pos, end);
    let verdict: ReturnType<typeof readBatchResponse>;
    let error: unknown = null;
    try {
      verdict = readBatchResponse(await d.invoke(slice, failures + 1), slice);
      if (verdict.type === 'invalid') {
        error = new KinesisTsError(ErrorCode.BATCH_ITEM_FAILED, `batch handler response: ${verdict.reason}`, {
          context: { shardId: d.shardId, records: slice.length },
        });
      }
    } catch (thrown) {
      if (signal.aborted || thrown instanceof LeaseLostError) return { type: 'stopped' };
      verdict = { type: 'invalid', reason: 'threw' };
      error = thrown;
    }
    if (verdict.type === 'ok') {
      d.progress(pos, end);
      const stillSuspect = suspectEnd !== null && end < suspectEnd;
      const rest: number | null = suspectEnd;
      advance(end);
      // A bisected left half succeeded: the failure is in the right half (split again, not called whole).
      if (stillSuspect) suspectEnd = rest;
      continue;
    }
    if (signal.aborted) return { type: 'stopped' };
    if (verdict.type === 'partial') {
      const failedAt = pos + verdict.index;
      if (failedAt > pos) {
        d.progress(pos, failedAt);
        advance(failedAt);
      }
      const record = records[failedAt]!;
      error = new KinesisTsError(
        ErrorCode.BATCH_ITEM_FAILED,
        `the batch handler reported record ${record.sequenceNumber} (sub ${record.subSequenceNumber}) as failed`,
        {
          context: {
            shardId: d.shardId,
            sequenceNumber: record.sequenceNumber,
            subSequenceNumber: record.subSequenceNumber,
          },
        },
      );
      headKnown = true;
      suspectEnd = end;
    } else if (policy.bisectOnError && end - pos > 1) {
      // Splitting uses up no retry and waits for nothing.
      lastError = error;
      failedCalls.push({ start: pos, end });
      observer?.handlerFailed?.({ records: end - pos, error });
      suspectEnd = end;
      headKnown = false;
      continue;
    } else {
      suspectEnd = end;
      headKnown = false;
    }
    lastError = error;
    failedCalls.push({ start: pos, end: headKnown ? pos + 1 : end });
    observer?.handlerFailed?.({ records: end - pos, error });
    failures += 1;
    if (failures > policy.maxRetryAttempts) {
      const stopped = await giveUp(pos, headKnown ? pos + 1 : end, 'RetryAttemptsExhausted');
      if (stopped !== null) return stopped;
      continue;
    }
    const delayMs = retryDelayMs(policy, failures, d.random);
    observer?.retrying?.({ records: end - pos, retry: failures, delayMs, error });
    try {
      await sleep(delayMs, d.clock, signal);
    } catch {
      return { type: 'stopped' };
    }
  }
  return { type: 'done' };
}

/**
 * Offers `failed` to the destination until it accepts: `null` when accepted, else how the batch ends.
 * Each call is bounded by `destinationTimeoutMs`; failed calls are spaced like retries.
 */
async function sendToDestination(failed: FailedRecords, d: BatchRetrierDeps): Promise<BatchOutcome | null> {
  const { policy, signal } = d;
  const destination = policy.destination;
  if (destination === null) {
    // resolveFailurePolicy makes this unreachable: nothing is given up without a destination.
    return {
      type: 'failed',
      error: new KinesisTsError(
        ErrorCode.FAILURE_DESTINATION_FAILED,
        'records exhausted the failure policy and no destination is set',
        {
          context: { shardId: d.shardId },
        },
      ),
    };
  }
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { type: 'stopped' };
    try {
      await withTimeout(destination.send(failed, signal), policy.destinationTimeoutMs, d.clock);
      return null;
    } catch (cause) {
      if (signal.aborted) return { type: 'stopped' };
      const first = failed.records[0]!;
      const error = new KinesisTsError(
        ErrorCode.FAILURE_DESTINATION_FAILED,
        `the failure destination did not accept ${failed.records.length} record(s) of ${d.shardId} (attempt ${attempt}): ${String((cause as Error)?.message ?? cause)}`,
        {
          cause,
          context: {
            shardId: d.shardId,
            firstSequenceNumber: first.sequenceNumber,
            records: failed.records.length,
            attempt,
          },
        },
      );
      d.observer?.destinationFailed?.({ error, attempt, records: failed.records.length });
      if (attempt >= policy.destinationMaxAttempts) return { type: 'failed', error };
      try {
        await sleep(retryDelayMs(policy, attempt, d.random), d.clock, signal);
      } catch {
        return { type: 'stopped' };
      }
    }
  }
}

function withTimeout(work: Promise<void>, ms: number, clock: Clock): Promise<void> {
  let timer: TimerHandle | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => reject(new KinesisTsError(ErrorCode.TIMEOUT, `no answer within destinationTimeoutMs (${ms} ms)`)),
      ms,
    );
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => {
    if (timer !== null) clock.clearTimeout(timer);
  });
}
