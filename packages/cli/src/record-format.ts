/**
 * How `tail` prints a user record: a text line, a JSON line or a hex line, each with shard, partition
 * key and sequence number.
 */
import type { KinesisRecord } from '@kinesis-ts/core';

/** Output formats of `tail`. */
export type RecordFormat = 'text' | 'json' | 'hex';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The data as UTF-8 text, or `null` when it is not valid UTF-8. */
export function utf8OrNull(data: Uint8Array): string | null {
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

/** The JSON document `tail --json` prints for a record (one line each). */
export interface RecordJson {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly aggregated: boolean;
  readonly explicitHashKey?: string;
  readonly approximateArrivalTimestamp: string;
  /** The data as UTF-8, or `null` when it is not valid UTF-8 (then read `dataBase64`). */
  readonly data: string | null;
  /** The data, base64. */
  readonly dataBase64: string;
}

/** A record as {@link RecordJson}. */
export function recordToJson(record: KinesisRecord): RecordJson {
  const bytes = Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
  return {
    shardId: record.shardId,
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    aggregated: record.aggregated,
    ...(record.explicitHashKey === undefined ? {} : { explicitHashKey: record.explicitHashKey }),
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    data: utf8OrNull(record.data),
    dataBase64: bytes.toString('base64'),
  };
}

/** Control characters (newlines included) escaped so one record stays one line. */
function escapeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point.
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\t'
        ? '\\t'
        : c === '\r'
          ? '\\r'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * One line for `record` (without the newline). `style` colours the header on a terminal.
 * - text: `shardId seq/sub key=<pk> <data>` (invalid UTF-8 falls back to hex with a `hex:` prefix)
 * - json: {@link RecordJson}
 * - hex: the header, then the data as hex
 */
export function formatRecord(
  record: KinesisRecord,
  format: RecordFormat,
  style: (text: string) => string = (text) => text,
): string {
  if (format === 'json') return JSON.stringify(recordToJson(record));
  const header = style(
    `${record.shardId} ${record.sequenceNumber}/${record.subSequenceNumber} key=${JSON.stringify(record.partitionKey)}`,
  );
  const bytes = Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
  if (format === 'hex') return `${header} ${bytes.toString('hex')}`;
  const text = utf8OrNull(record.data);
  return `${header} ${text === null ? `hex:${bytes.toString('hex')}` : escapeControls(text)}`;
}
