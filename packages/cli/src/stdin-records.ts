/**
 * `put` input: one record per line. The line (without its newline) is the data; the partition key
 * is fixed (`--partition-key`), read from a JSON field of the line (`--key-field`), or random.
 */
import { CliUsageError } from './cli-error.js';

/** How lines become records. */
export interface LineRecordOptions {
  /** A JSON field whose value is the partition key (`--key-field`); the line must be a JSON object. */
  readonly keyField?: string | undefined;
  /** One partition key for every record (`--partition-key`). */
  readonly partitionKey?: string | undefined;
}

/** A record parsed from a line: data and, when known, the partition key. */
export interface LineRecord {
  readonly data: string;
  readonly partitionKey: string | undefined;
}

/**
 * The record for `line` (1-based `lineNumber` for messages), or `null` for an empty line (skipped).
 * @throws CliUsageError when `--key-field` is set and the line is not a JSON object with that field
 *   as a non-empty string or a number.
 */
export function lineToRecord(
  line: string,
  lineNumber: number,
  options: LineRecordOptions,
): LineRecord | null {
  const data = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (data === '') return null;
  if (options.keyField === undefined) return { data, partitionKey: options.partitionKey };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new CliUsageError(
      `line ${lineNumber} is not JSON (--key-field ${options.keyField} needs JSON lines)`,
      'put',
    );
  }
  const value =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[options.keyField]
      : undefined;
  if (!((typeof value === 'string' && value !== '') || typeof value === 'number')) {
    throw new CliUsageError(
      `line ${lineNumber} has no "${options.keyField}" field with a non-empty string or number (--key-field)`,
      'put',
    );
  }
  return { data, partitionKey: String(value) };
}
