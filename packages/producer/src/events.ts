/**
 * What the producer reports about its work, for metrics and logs.
 */

import type { SpoolEvent } from './spool/spool-events.js';

/**
 * Something the producer did: emitted as the event named by its `type` (`producer.on('putRecords', e => ...)`)
 * and passed to the `onEvent` option.
 */
export type ProducerEvent =
  | {
      /** A PutRecords request completed (successfully or not). */
      readonly type: 'putRecords';
      /** Kinesis records (entries) in the request. */
      readonly entries: number;
      /** User records they carried. */
      readonly records: number;
      /** Data + partition key bytes sent. */
      readonly bytes: number;
      /** Entries that failed and will be retried (or expired). */
      readonly retried: number;
      /** Of those, entries failed by throttling. */
      readonly throttled: number;
      /** The request got no answer within its timeout (`requestTimeout`, or the records' `recordTtl`). */
      readonly timedOut: boolean;
      /**
       * User records whose outcome is unknown: no answer came back (timeout, connection reset), so
       * they may have been written; they are retried and may land twice (never lost).
       */
      readonly outcomeUnknown: number;
      /** Request duration in milliseconds. */
      readonly durationMs: number;
    }
  | {
      /** Records were given up after `recordTtl`; their promises rejected with `RECORD_EXPIRED`. */
      readonly type: 'expired';
      /** How many user records expired. */
      readonly records: number;
    }
  | {
      /** The shard map was reloaded. */
      readonly type: 'shardMapRefreshed';
      /** Open shards after the refresh. */
      readonly openShards: number;
      /** Why: the periodic `shardMapRefreshInterval`, or a record landed on an unexpected shard (resharding). */
      readonly reason: 'interval' | 'unexpectedShard';
    }
  | SpoolEvent;

/**
 * The producer's events as a Node `EventEmitter` event map: the event named `type` carries the
 * {@link ProducerEvent} of that type (`const [e] = await once(producer, 'putRecords')`).
 */
export type ProducerEventMap = { [E in ProducerEvent as E['type']]: [event: E] };

/** Running totals the producer keeps from its events. */
export interface ProducerStats {
  /** `put()` calls accepted. */
  readonly recordsPut: number;
  /** Records acknowledged by Kinesis. */
  readonly recordsAcknowledged: number;
  /** Records whose promise rejected after acceptance (expired or failed for good). */
  readonly recordsFailed: number;
  /** PutRecords requests completed. */
  readonly requests: number;
  /** Kinesis records (entries) sent, counting retries. */
  readonly entriesSent: number;
  /** Entries retried. */
  readonly retried: number;
  /** Entries throttled. */
  readonly throttled: number;
  /** PutRecords requests that got no answer within their timeout. */
  readonly requestsTimedOut: number;
  /**
   * User records sent in a request whose outcome is unknown (timeout, connection reset), counted per
   * attempt: each may be in the stream more than once.
   */
  readonly recordsOutcomeUnknown: number;
}
