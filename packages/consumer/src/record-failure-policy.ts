/**
 * The failure policy for iterator mode: one record at a time, inside the `for await` loop body, through
 * the same retry loop as `run()` (`retryBatch` with a batch of one record). Created by
 * `consumer.failurePolicy(options)`.
 */
import { type Clock, ErrorCode, type KinesisRecord, LifecycleError } from '@kinesis-ts/core';
import { type BatchRetrierObserver, retryBatch } from './batch-retrier.js';
import type { ResolvedFailurePolicy } from './failure-policy.js';

/** What a {@link RecordFailurePolicy} needs. */
export interface RecordFailurePolicyDeps {
  readonly policy: ResolvedFailurePolicy;
  readonly streamName: string;
  readonly consumerGroup: string;
  readonly clock: Clock;
  readonly wallNow: () => number;
  /** Aborted when the record's shard stops here (lease lost, consumer closing): a backoff ends at once. */
  readonly signal: (record: KinesisRecord) => AbortSignal;
  readonly observer?: (shardId: string) => BatchRetrierObserver;
}

/**
 * Applies a failure policy to one record in an iterator loop:
 *
 * ```ts
 * const policy = consumer.failurePolicy({ maxRetryAttempts: 3, destination });
 * for await (const record of consumer) await policy.handle(record, (r) => save(r));
 * ```
 *
 * `handle` calls `fn` until it resolves, retrying with backoff, and gives the record to the destination
 * when retries run out or it is older than `maxRecordAgeMs` after a failure. It resolves once the record
 * was processed or accepted by the destination: the loop then asks for the next record, which is what
 * makes the record count as processed (checkpointed). `bisectOnError` has nothing to split here.
 */
export class RecordFailurePolicy {
  readonly #d: RecordFailurePolicyDeps;

  constructor(deps: RecordFailurePolicyDeps) {
    this.#d = deps;
  }

  /**
   * Processes `record` with `fn` under the policy. Resolves `'processed'` or `'sent'` (to the
   * destination). Rejects with `FAILURE_DESTINATION_FAILED` after `destinationMaxAttempts`, or with a
   * `LifecycleError` (`CLOSED`) when the consumer closed or the record's lease was lost meanwhile
   * (retrying stops at once); either way the record is not checkpointed (after a lost lease, the
   * loop may go on with other shards' records).
   */
  async handle(record: KinesisRecord, fn: (record: KinesisRecord) => unknown): Promise<'processed' | 'sent'> {
    const d = this.#d;
    let sent = false;
    const observer = d.observer?.(record.shardId) ?? {};
    const outcome = await retryBatch([record], {
      policy: d.policy,
      streamName: d.streamName,
      consumerGroup: d.consumerGroup,
      shardId: record.shardId,
      clock: d.clock,
      wallNow: d.wallNow,
      signal: d.signal(record),
      invoke: async ([one]) => {
        await fn(one!);
        return undefined;
      },
      progress: () => {},
      observer: {
        ...observer,
        sent: (failed) => {
          sent = true;
          observer.sent?.(failed);
        },
      },
    });
    if (outcome.type === 'failed') throw outcome.error;
    if (outcome.type === 'stopped') {
      throw new LifecycleError(
        ErrorCode.CLOSED,
        'the consumer closed (or the lease was lost) while a record was being retried',
        {
          context: { shardId: record.shardId, sequenceNumber: record.sequenceNumber },
        },
      );
    }
    return sent ? 'sent' : 'processed';
  }
}
