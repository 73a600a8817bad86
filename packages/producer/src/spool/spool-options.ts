/**
 * Options of the producer's disk spool, their defaults and validation.
 */

import { assertKnownOptions, ErrorCode, type OptionKeys, ValidationError } from '@kinesis-ts/core';

/** The `spool` option of {@link KinesisProducer}: an append-only write-ahead log on local disk. */
export interface SpoolOptions {
  /** Directory of the spool (created if missing). One producer per directory: a lock refuses a second. */
  dir: string;
  /**
   * Most bytes the spool's files may take. When full, records wait (backpressure) until Kinesis
   * acknowledged enough older ones. Default 256 MiB; at least 4 segments.
   */
  maxBytes?: number;
  /**
   * `'batch'` (default): each write reaches the operating system before `accepted()` covers it
   * (survives a kill -9 of the app and of its host) and is fsynced within `syncInterval`;
   * `'always'`: fsynced before `accepted()` covers it (also survives a power cut).
   */
  fsync?: 'batch' | 'always';
  /** Size at which a segment file is closed and a new one started, in bytes. Default 8 MiB (at most maxBytes / 4). */
  segmentBytes?: number;
  /** With `fsync: 'batch'`: the longest time written data stays unsynced, in ms. Default 1,000. */
  syncInterval?: number;
}

/** Spool options after defaults and validation. */
export interface ResolvedSpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly fsync: 'batch' | 'always';
  readonly segmentBytes: number;
  readonly syncInterval: number;
}

const SPOOL_KEYS: OptionKeys<SpoolOptions> = {
  dir: true,
  maxBytes: true,
  fsync: true,
  segmentBytes: true,
  syncInterval: true,
};

function fail(option: string, message: string, value: unknown): never {
  throw new ValidationError(ErrorCode.INVALID_ARGUMENT, `KinesisProducer option spool.${option} ${message}`, {
    context: { option: `spool.${option}`, value },
  });
}

function int(option: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    fail(option, `must be an integer >= ${minimum}`, value);
  }
  return value;
}

/** Validates the `spool` option (throws {@link ValidationError}); `undefined` when not given. */
export function resolveSpoolOptions(spool: SpoolOptions | undefined): ResolvedSpoolOptions | undefined {
  if (spool === undefined) return undefined;
  if (spool === null || typeof spool !== 'object') fail('(spool)', 'must be an object', spool);
  assertKnownOptions(spool, SPOOL_KEYS, { subject: 'KinesisProducer option', path: 'spool.' });
  if (typeof spool.dir !== 'string' || spool.dir.length === 0)
    fail('dir', 'must be a non-empty path', spool.dir);
  const fsync = spool.fsync ?? 'batch';
  if (fsync !== 'batch' && fsync !== 'always') fail('fsync', "must be 'batch' or 'always'", fsync);
  const maxBytes = int('maxBytes', spool.maxBytes, 256 * 1024 * 1024, 64 * 1024);
  const segmentBytes = int(
    'segmentBytes',
    spool.segmentBytes,
    Math.min(8 * 1024 * 1024, Math.floor(maxBytes / 4)),
    4096,
  );
  if (segmentBytes > maxBytes / 4) fail('segmentBytes', 'must be at most maxBytes / 4', segmentBytes);
  return {
    dir: spool.dir,
    maxBytes,
    fsync,
    segmentBytes,
    syncInterval: int('syncInterval', spool.syncInterval, 1000, 1),
  };
}
