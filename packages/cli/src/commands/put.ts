/**
 * `put <stream>`: records from stdin, one per line, through `KinesisProducer`, with progress on
 * stderr and a non-zero exit when any record failed.
 */
import { createInterface } from 'node:readline';
import { KinesisProducer } from '@kinesis-ts/producer';
import { kinesisClientConfig } from '../aws-settings.js';
import { CliUsageError, ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import { explainError } from '../explain-error.js';
import { flag, integerOption, stringOption } from '../option-values.js';
import { formatProgress, type PutCounters } from '../put-progress.js';
import { type LineRecordOptions, lineToRecord } from '../stdin-records.js';

const NAME = 'put';
/** Hand records to the producer in slices this large, so memory stays bounded by its limits. */
const ADMIT_EVERY = 500;
/** Bad lines reported one by one; past this only counted. */
const MAX_LINE_WARNINGS = 10;

async function run({ args, values, aws, out, stdin, signal }: CommandContext): Promise<number> {
  const streamName = args.stream as string;
  const lineOptions: LineRecordOptions = {
    keyField: stringOption(values, 'key-field'),
    partitionKey: stringOption(values, 'partition-key'),
  };
  if (lineOptions.keyField !== undefined && lineOptions.partitionKey !== undefined) {
    throw new CliUsageError('give --key-field or --partition-key, not both', NAME);
  }
  const bufferTime = integerOption(values, 'buffer-ms', NAME, 100, 0, 60_000);
  const recordTtl = integerOption(values, 'record-ttl-ms', NAME, 30_000, 1000);
  const producer = new KinesisProducer({
    streamName,
    runner: 'inline',
    clientConfig: kinesisClientConfig(aws),
    aggregation: flag(values, 'aggregate'),
    bufferTime,
    recordTtl,
  });
  const counters: PutCounters = { read: 0, acknowledged: 0, failed: 0 };
  let firstFailure: unknown;
  const startedAt = Date.now();
  let lastProgressLine = 0;
  const progress = (final: boolean): void => {
    const text = formatProgress(counters, Date.now() - startedAt);
    if (out.errorInteractive) out.progress(`\r${text}\u001b[K${final ? '\n' : ''}`);
    else if (final || Date.now() - lastProgressLine >= 5000) {
      lastProgressLine = Date.now();
      out.progress(`${text}\n`);
    }
  };
  const ticker = setInterval(() => progress(false), 1000);
  let lines: ReturnType<typeof createInterface> | undefined;
  const onAbort = () => lines?.close();
  signal.addEventListener('abort', onAbort, { once: true });
  let badLines = 0;
  try {
    await producer.start();
    // Created only now: readline drops lines emitted before its async iterator exists.
    lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber += 1;
      let record: ReturnType<typeof lineToRecord>;
      try {
        record = lineToRecord(line, lineNumber, lineOptions);
      } catch (error) {
        badLines += 1;
        counters.failed += 1;
        if (badLines <= MAX_LINE_WARNINGS) out.warn(explainError(error).message);
        continue;
      }
      if (record === null) continue;
      counters.read += 1;
      producer
        .put(
          record.data,
          record.partitionKey === undefined ? undefined : { partitionKey: record.partitionKey },
        )
        .then(
          () => {
            counters.acknowledged += 1;
          },
          (error: unknown) => {
            counters.failed += 1;
            firstFailure ??= error;
          },
        );
      if (counters.read % ADMIT_EVERY === 0) await producer.accepted();
      if (signal.aborted) break;
    }
    // Ctrl-C stops reading; what was read is still sent (close() flushes, bounded by --record-ttl-ms).
    await producer.flush();
  } finally {
    signal.removeEventListener('abort', onAbort);
    lines?.close();
    await producer.close();
    clearInterval(ticker);
  }
  progress(true);
  if (badLines > MAX_LINE_WARNINGS)
    out.warn(`${badLines} lines could not be read (first ${MAX_LINE_WARNINGS} shown)`);
  if (firstFailure !== undefined) out.error(`first failed record: ${explainError(firstFailure).message}`);
  if (out.json) {
    const elapsedMs = Date.now() - startedAt;
    out.jsonLine({
      streamName,
      read: counters.read,
      acknowledged: counters.acknowledged,
      failed: counters.failed,
      badLines,
      elapsedMs,
      interrupted: signal.aborted,
    });
  }
  if (signal.aborted) return ExitCode.INTERRUPTED;
  return counters.failed > 0 ? ExitCode.FAILURE : ExitCode.OK;
}

/** `put <stream>`. */
export const putCommand: CommandSpec = {
  name: NAME,
  summary: 'Write records from stdin (one per line) through the kinesis-ts producer',
  positionals: ['stream'],
  options: {
    'key-field': {
      type: 'string',
      short: 'k',
      valueName: '<field>',
      description: 'Lines are JSON objects; this field is the partition key (the whole line is the data)',
    },
    'partition-key': {
      type: 'string',
      valueName: '<key>',
      description: 'One partition key for every record',
    },
    aggregate: {
      type: 'boolean',
      description: 'KPL aggregation (consumers must deaggregate, as kinesis-ts does)',
    },
    'buffer-ms': {
      type: 'string',
      valueName: '<ms>',
      description: 'Longest wait to batch a record (default 100)',
    },
    'record-ttl-ms': {
      type: 'string',
      valueName: '<ms>',
      description: 'Give a record up (counted as failed) when not acknowledged in this time (default 30000)',
    },
  },
  details: `
Each non-empty line is one record (a trailing CR is dropped). Without --key-field or --partition-key
every record gets a random partition key, so records spread over the shards.
Progress (read, acknowledged, failed, records/s) goes to stderr; with --json a summary goes to stdout.
Exit 0 when every record was acknowledged, 1 when any failed (or a line could not be read),
130 after Ctrl-C: reading stops, what was read is still sent and counted, nothing is left half-written.

Examples:
  seq 1 10000 | kinesis-ts put orders
  kinesis-ts put orders --key-field customerId < orders.jsonl`,
  run,
};
