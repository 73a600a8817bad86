/**
 * Checkpoints that are not a record: `TRIM_HORIZON`, `LATEST` and a timestamp.
 *
 * An operator who rewinds or resets a consumer group (`kinesis-ts rewind --to ...`) moves its
 * checkpoints to a position no record marks. Such a position is stored as a {@link Checkpoint} whose
 * `sequenceNumber` is a sentinel, as the KCL stores `TRIM_HORIZON`, `LATEST` and `AT_TIMESTAMP` in
 * its lease table, so every adapter that keeps the sequence number as a string keeps them unchanged:
 *
 * | sentinel `sequenceNumber`   | a consumer that takes the lease reads from |
 * | --------------------------- | ------------------------------------------ |
 * | `TRIM_HORIZON`              | the oldest record still in the shard       |
 * | `LATEST`                    | records put after it starts reading        |
 * | `AT_TIMESTAMP:<epoch ms>`   | the first record that arrived at or after the time |
 *
 * Their `subSequenceNumber` is always `0`. A consumer writes record checkpoints only; a sentinel is
 * replaced by the first record checkpoint written after it.
 */
import type { Checkpoint } from './records.js';

/** `TRIM_HORIZON`, `LATEST`, or `AT_TIMESTAMP:` and a time in epoch milliseconds (0 to 16 digits). */
export const SENTINEL_SEQUENCE_NUMBER_PATTERN: RegExp =
  /^(TRIM_HORIZON|LATEST|AT_TIMESTAMP:(0|[1-9][0-9]{0,15}))$/;

const AT_TIMESTAMP_PREFIX = 'AT_TIMESTAMP:';

/** The last time a `Date` holds (+275760-09-13): the largest timestamp a sentinel may carry. */
const MAX_TIME_MS = 8_640_000_000_000_000;

/** The timestamp of an `AT_TIMESTAMP:<ms>` sentinel, or `null` when `value` is not one. */
function sentinelTimestamp(value: string): number | null {
  if (!value.startsWith(AT_TIMESTAMP_PREFIX) || !SENTINEL_SEQUENCE_NUMBER_PATTERN.test(value)) return null;
  const ms = Number(value.slice(AT_TIMESTAMP_PREFIX.length));
  return ms <= MAX_TIME_MS ? ms : null;
}

/**
 * True when `value` is a sentinel sequence number: `TRIM_HORIZON`, `LATEST`, or `AT_TIMESTAMP:<ms>`
 * with a time a `Date` holds.
 */
export function isSentinelSequenceNumber(value: string): boolean {
  return value === 'TRIM_HORIZON' || value === 'LATEST' || sentinelTimestamp(value) !== null;
}

/** Where a checkpoint puts a consumer that takes the lease. */
export type CheckpointPosition =
  /** Strictly after this record (sub-sequence number included). */
  | { readonly type: 'AFTER'; readonly checkpoint: Checkpoint }
  /** The oldest record still in the shard. */
  | { readonly type: 'TRIM_HORIZON' }
  /** Records put after reading starts. */
  | { readonly type: 'LATEST' }
  /** The first record that arrived at or after `timestamp` (epoch milliseconds). */
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: number };

/** The checkpoint that makes a consumer read a shard from its oldest record. */
export const TRIM_HORIZON_CHECKPOINT: Checkpoint = Object.freeze({
  sequenceNumber: 'TRIM_HORIZON',
  subSequenceNumber: 0,
});

/** The checkpoint that makes a consumer read a shard from the records put after it starts reading. */
export const LATEST_CHECKPOINT: Checkpoint = Object.freeze({
  sequenceNumber: 'LATEST',
  subSequenceNumber: 0,
});

/**
 * The checkpoint that makes a consumer read a shard from the first record that arrived at or after
 * `timestamp` (Kinesis' `ApproximateArrivalTimestamp`, so the clock that counts is Kinesis').
 * @throws RangeError when `timestamp` is not a valid time at or after 1970-01-01.
 */
export function atTimestampCheckpoint(timestamp: Date | number): Checkpoint {
  const ms = typeof timestamp === 'number' ? timestamp : timestamp.getTime();
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
    throw new RangeError(
      `a checkpoint timestamp must be a time at or after 1970-01-01, got ${String(timestamp)}`,
    );
  }
  return { sequenceNumber: `${AT_TIMESTAMP_PREFIX}${ms}`, subSequenceNumber: 0 };
}

/**
 * True when the checkpoint is a record's position (a decimal sequence number), false for a sentinel.
 * Checks one character: it assumes a checkpoint that passed `validateCheckpoint`.
 */
export function isRecordCheckpoint(checkpoint: Checkpoint): boolean {
  const first = checkpoint.sequenceNumber.charCodeAt(0);
  return first >= 48 && first <= 57;
}

/** Where a (valid) checkpoint puts a consumer: after its record, or at the sentinel's position. */
export function checkpointPosition(checkpoint: Checkpoint): CheckpointPosition {
  if (isRecordCheckpoint(checkpoint)) return { type: 'AFTER', checkpoint };
  const { sequenceNumber } = checkpoint;
  if (sequenceNumber === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (sequenceNumber === 'LATEST') return { type: 'LATEST' };
  const timestamp = sentinelTimestamp(sequenceNumber);
  if (timestamp !== null) return { type: 'AT_TIMESTAMP', timestamp };
  throw new RangeError(
    `${JSON.stringify(sequenceNumber)} is neither a sequence number nor a checkpoint sentinel`,
  );
}

/** A checkpoint for humans: `seq/sub`, `TRIM_HORIZON`, `LATEST`, or `AT_TIMESTAMP <ISO time>`. */
export function formatCheckpoint(checkpoint: Checkpoint | null): string {
  if (checkpoint === null) return '-';
  const position = checkpointPosition(checkpoint);
  switch (position.type) {
    case 'AFTER':
      return `${checkpoint.sequenceNumber}/${checkpoint.subSequenceNumber}`;
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP ${new Date(position.timestamp).toISOString()}`;
    default:
      return position.type;
  }
}
