/**
 * What `rewind` was asked to do, read from its options before anything is touched: the target
 * position (`--to trim-horizon|latest|<time>` or `--after <seq[/sub]>`), which shards (`--shard S` or
 * `--all`), and how to treat a live owner (refuse, or `--handoff`).
 */
import {
  atTimestampCheckpoint,
  type Checkpoint,
  LATEST_CHECKPOINT,
  TRIM_HORIZON_CHECKPOINT,
} from '@kinesis-ts/core';
import { CliUsageError } from './cli-error.js';
import { parseAfter, parseTimestamp } from './commands/tail.js';
import { flag, integerOption, stringOption } from './option-values.js';
import type { OptionValues } from './parse-command-line.js';

const NAME = 'rewind';

/** Where `rewind` moves the checkpoints. */
export type RewindTarget =
  /** A sentinel checkpoint (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<ms>`), the same for every shard. */
  | { readonly type: 'POSITION'; readonly checkpoint: Checkpoint }
  /**
   * After a record of one shard: `subSequenceNumber` `null` means after the whole Kinesis record (its
   * last user record), which only a read of the record can tell.
   */
  | { readonly type: 'AFTER'; readonly sequenceNumber: string; readonly subSequenceNumber: number | null };

/** Which leases `rewind` touches. */
export type RewindSelection = { readonly type: 'shard'; readonly shardId: string } | { readonly type: 'all' };

/** A parsed `rewind` command line. */
export interface RewindOptions {
  readonly target: RewindTarget;
  readonly selection: RewindSelection;
  readonly dryRun: boolean;
  /** Ask live owners for a graceful handoff instead of refusing. */
  readonly handoff: boolean;
  /** How long a handoff may take before the shard is reported as not rewound, ms. */
  readonly handoffTimeoutMs: number;
  /** How long a held lease's counter must stand still before its owner counts as dead, ms. */
  readonly failoverTimeMs: number;
}

/** Default of `--handoff-timeout-ms`. */
export const DEFAULT_HANDOFF_TIMEOUT_MS = 30_000;
/** Default of `--failover-ms` (the consumer's default `failoverTimeMs`). */
export const DEFAULT_FAILOVER_MS = 10_000;

/**
 * Parses `--to`: `trim-horizon`, `latest` (any case, `_` or `-`), or a time (ISO 8601 or epoch
 * milliseconds) not after `now`.
 * @throws CliUsageError for anything else, a future time or a time before 1970.
 */
export function parseRewindTo(raw: string, now: number): Checkpoint {
  const word = raw.trim().toLowerCase().replace(/_/g, '-');
  if (word === 'trim-horizon') return TRIM_HORIZON_CHECKPOINT;
  if (word === 'latest') return LATEST_CHECKPOINT;
  let time: Date;
  try {
    time = parseTimestamp(raw.trim(), '--to', NAME);
  } catch {
    throw new CliUsageError(
      `--to must be trim-horizon, latest, an ISO 8601 time (2026-11-29T17:00:00Z) or epoch milliseconds, got ${JSON.stringify(raw)}`,
      NAME,
    );
  }
  if (time.getTime() > now) {
    throw new CliUsageError(
      `--to ${raw} is in the future (now is ${new Date(now).toISOString()}): a group cannot resume from records not written yet; use --to latest to skip to the tip`,
      NAME,
    );
  }
  try {
    return atTimestampCheckpoint(time);
  } catch {
    throw new CliUsageError(`--to ${raw} is before 1970-01-01: no Kinesis record is that old`, NAME);
  }
}

/**
 * Reads `rewind`'s options. `now` (epoch ms) decides what a future `--to` time is.
 * @throws CliUsageError unless exactly one of `--to` / `--after` and exactly one of `--shard` / `--all`
 *   is given, `--after` comes with `--shard`, and every value is well formed.
 */
export function parseRewindOptions(values: OptionValues, now: number): RewindOptions {
  const to = stringOption(values, 'to');
  const after = stringOption(values, 'after');
  const shardId = stringOption(values, 'shard');
  const all = flag(values, 'all');
  if ((to === undefined) === (after === undefined)) {
    throw new CliUsageError(
      'give exactly one target: --to trim-horizon|latest|<time>, or --after <seq[/sub]> with --shard',
      NAME,
    );
  }
  if (after !== undefined && shardId === undefined) {
    throw new CliUsageError('--after needs --shard: a sequence number belongs to one shard', NAME);
  }
  if (shardId !== undefined && all) {
    throw new CliUsageError('give either --shard <shardId> or --all, not both', NAME);
  }
  if (shardId === undefined && !all) {
    throw new CliUsageError(
      'give --shard <shardId> or --all: nothing is rewound unless you name which shards',
      NAME,
    );
  }
  if (shardId === '') throw new CliUsageError('--shard needs a shard id', NAME);
  let target: RewindTarget;
  if (after !== undefined) {
    const parsed = parseAfter(after, NAME);
    target = {
      type: 'AFTER',
      sequenceNumber: parsed.sequenceNumber,
      subSequenceNumber: parsed.subSequenceNumber,
    };
  } else {
    target = { type: 'POSITION', checkpoint: parseRewindTo(to as string, now) };
  }
  const handoff = flag(values, 'handoff');
  if (!handoff && stringOption(values, 'handoff-timeout-ms') !== undefined) {
    throw new CliUsageError('--handoff-timeout-ms only applies with --handoff', NAME);
  }
  return {
    target,
    selection: shardId === undefined ? { type: 'all' } : { type: 'shard', shardId },
    dryRun: flag(values, 'dry-run'),
    handoff,
    handoffTimeoutMs: integerOption(values, 'handoff-timeout-ms', NAME, DEFAULT_HANDOFF_TIMEOUT_MS, 1),
    failoverTimeMs: integerOption(values, 'failover-ms', NAME, DEFAULT_FAILOVER_MS, 1),
  };
}
