/**
 * What the disk spool reports through the producer's events (and its `onEvent` hook).
 */

import type { ProducerRecordError } from '../errors.js';

/** Where a record replayed from the spool was written. */
export interface ReplayedRecordResult {
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number | undefined;
}

/** A spool event, emitted by the producer (and passed to its `onEvent` option). */
export type SpoolEvent =
  | {
      /** The spool was opened; it held records a previous producer had not seen acknowledged. */
      readonly type: 'spoolRecovered';
      readonly dir: string;
      /** Records to send again (before any new record). */
      readonly records: number;
      /** Segment files found. */
      readonly segments: number;
      /** Records not sent again because the previous producer's orphaned host marked them acknowledged. */
      readonly acknowledgedByHost: number;
      /** The pid whose stale lock was taken over, if any. */
      readonly staleLockPid: number | undefined;
    }
  | {
      /** Bytes failed their checksum (or a write was torn) and were skipped; the records in them are lost. */
      readonly type: 'spoolCorrupt';
      readonly file: string;
      readonly offset: number;
      readonly bytes: number;
      readonly reason: 'torn-tail' | 'checksum' | 'bad-header';
    }
  | {
      /** Outcomes of replayed records (their original `put()` promises are gone), batched. */
      readonly type: 'spoolReplaySettled';
      readonly acknowledged: readonly ReplayedRecordResult[];
      /** Records given up, each error carrying its record (as `put()` would have rejected). */
      readonly failed: readonly ProducerRecordError[];
    }
  | {
      /** Every replayed record has settled. */
      readonly type: 'spoolReplayDone';
      readonly acknowledged: number;
      readonly failed: number;
    }
  | {
      /** The spool reached `maxBytes`: new records wait until acknowledged ones free space. */
      readonly type: 'spoolFull';
      readonly bytes: number;
      readonly maxBytes: number;
    };
