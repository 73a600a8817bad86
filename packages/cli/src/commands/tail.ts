/**
 * `tail <stream>`: reads every shard of a stream from a position and prints the (deaggregated) user
 * records until Ctrl-C or `--max`.
 */
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  classifyKinesisError,
  listAllShards,
  type ShardInfo,
  ShardRecordDecoder,
  type StartPosition,
  sdkKinesisApi,
} from '@kinesis-ts/consumer';
import { SEQUENCE_NUMBER_PATTERN } from '@kinesis-ts/core';
import { createKinesis } from '../aws-settings.js';
import { CliUsageError, ExitCode } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import type { CommandSpec } from '../command-spec.js';
import { choiceOption, integerOption, stringOption, stringsOption } from '../option-values.js';
import type { OptionValues } from '../parse-command-line.js';
import { formatRecord, type RecordFormat } from '../record-format.js';
import { forStream } from '../stream-errors.js';
import { sleepUnlessAborted } from '../watch-loop.js';

const NAME = 'tail';
/** At most 5 GetRecords per second per shard (the Kinesis limit): 200 ms apart. */
const MIN_CALL_SPACING_MS = 200;

/** Where `tail` starts: the shard-independent part of the position. */
export type TailStart =
  | { readonly type: 'LATEST' }
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'AFTER'; readonly sequenceNumber: string; readonly subSequenceNumber: number | null };

/** Parses a time option (`--at`, rewind's `--to`): an ISO 8601 time, or epoch milliseconds. */
export function parseTimestamp(raw: string, option = '--at', command = NAME): Date {
  const date = /^\d+$/.test(raw) ? new Date(Number(raw)) : new Date(raw);
  if (Number.isNaN(date.getTime())) {
    throw new CliUsageError(
      `${option} must be an ISO 8601 time (2026-11-29T17:00:00Z) or epoch milliseconds, got ${JSON.stringify(raw)}`,
      command,
    );
  }
  return date;
}

/** Parses `--after SEQ` or `--after SEQ/SUB`. */
export function parseAfter(raw: string, command = NAME): Extract<TailStart, { type: 'AFTER' }> {
  const [sequenceNumber, sub, extra] = raw.split('/');
  const validSub = sub === undefined || /^\d+$/.test(sub);
  if (
    sequenceNumber === undefined ||
    !SEQUENCE_NUMBER_PATTERN.test(sequenceNumber) ||
    !validSub ||
    extra !== undefined
  ) {
    throw new CliUsageError(
      `--after must be a sequence number, optionally with /<subSequenceNumber> for a record inside a KPL aggregate, got ${JSON.stringify(raw)}`,
      command,
    );
  }
  return { type: 'AFTER', sequenceNumber, subSequenceNumber: sub === undefined ? null : Number(sub) };
}

/** The start position the options ask for. @throws CliUsageError for conflicting options. */
export function tailStart(values: OptionValues): TailStart {
  const from = stringOption(values, 'from');
  const at = stringOption(values, 'at');
  const after = stringOption(values, 'after');
  const given = [from, at, after].filter((v) => v !== undefined).length;
  if (given > 1) throw new CliUsageError('give at most one of --from, --at, --after', NAME);
  if (at !== undefined) return { type: 'AT_TIMESTAMP', timestamp: parseTimestamp(at) };
  if (after !== undefined) {
    if (stringsOption(values, 'shard').length !== 1) {
      throw new CliUsageError(
        '--after needs exactly one --shard: a sequence number belongs to one shard',
        NAME,
      );
    }
    return parseAfter(after);
  }
  const kind = choiceOption(values, 'from', NAME, ['latest', 'trim-horizon'], 'latest');
  return { type: kind === 'latest' ? 'LATEST' : 'TRIM_HORIZON' };
}

function iteratorInput(streamName: string, shardId: string, start: TailStart): GetShardIteratorCommandInput {
  const base = { StreamName: streamName, ShardId: shardId };
  switch (start.type) {
    case 'AT_TIMESTAMP':
      return { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: start.timestamp };
    case 'AFTER':
      return start.subSequenceNumber === null
        ? {
            ...base,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: start.sequenceNumber,
          }
        : { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: start.sequenceNumber };
    default:
      return { ...base, ShardIteratorType: start.type };
  }
}

/** The decoder's view of the position: only `SEQ/SUB` skips user records inside an aggregate. */
function decoderPosition(start: TailStart): StartPosition {
  if (start.type === 'AFTER' && start.subSequenceNumber !== null) {
    return {
      type: 'AFTER',
      checkpoint: { sequenceNumber: start.sequenceNumber, subSequenceNumber: start.subSequenceNumber },
    };
  }
  return { type: 'TRIM_HORIZON' };
}

interface TailState {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly format: RecordFormat;
  readonly max: number;
  readonly pollMs: number;
  readonly limit: number;
  readonly stop: AbortController;
  readonly write: (text: string) => void;
  /** Waits until stdout took what was written. */
  readonly drain: () => Promise<void>;
  readonly style: (text: string) => string;
  printed: number;
}

async function getIterator(
  state: TailState,
  input: GetShardIteratorCommandInput,
): Promise<string | undefined> {
  const output = await forStream(state.client, state.streamName, () =>
    state.client.send(new GetShardIteratorCommand(input), { abortSignal: state.stop.signal }),
  );
  return output.ShardIterator;
}

/** Reads one shard until it ends or the tail stops. Resolves `true` when the shard ended. */
async function tailShard(state: TailState, shard: ShardInfo, start: TailStart): Promise<boolean> {
  const { signal } = state.stop;
  const decoder = new ShardRecordDecoder({
    streamName: state.streamName,
    shardId: shard.shardId,
    hashKeyRange: shard.hashKeyRange,
    position: decoderPosition(start),
  });
  let lastSequenceNumber: string | null = null;
  const resumeInput = (): GetShardIteratorCommandInput =>
    lastSequenceNumber === null
      ? iteratorInput(state.streamName, shard.shardId, start)
      : {
          StreamName: state.streamName,
          ShardId: shard.shardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          StartingSequenceNumber: lastSequenceNumber,
        };
  let iterator = await getIterator(state, resumeInput());
  while (iterator !== undefined && !signal.aborted) {
    let output: GetRecordsCommandOutput;
    const calledAt = Date.now();
    try {
      output = await state.client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: state.limit }),
        {
          abortSignal: signal,
        },
      );
    } catch (error) {
      if (signal.aborted) return false;
      const kind = classifyKinesisError(error);
      if (kind === 'expired-iterator') {
        iterator = await getIterator(state, resumeInput());
        continue;
      }
      if (kind === 'throttled' || kind === 'transient') {
        await sleepUnlessAborted(1000, signal);
        continue;
      }
      throw error;
    }
    const decoded = decoder.decode(output.Records ?? []);
    if (decoded.lastSequenceNumber !== null) lastSequenceNumber = decoded.lastSequenceNumber;
    const lines: string[] = [];
    for (const record of decoded.records) {
      if (state.printed >= state.max) break;
      lines.push(formatRecord(record, state.format, state.style));
      state.printed += 1;
    }
    if (lines.length > 0) {
      state.write(`${lines.join('\n')}\n`);
      await state.drain();
    }
    if (state.printed >= state.max) {
      state.stop.abort();
      return false;
    }
    iterator = output.NextShardIterator ?? undefined;
    if (iterator === undefined) return true;
    const caughtUp = (output.Records ?? []).length === 0 || output.MillisBehindLatest === 0;
    const spacing = caughtUp ? state.pollMs : MIN_CALL_SPACING_MS;
    await sleepUnlessAborted(Math.max(0, spacing - (Date.now() - calledAt)), signal);
  }
  return false;
}

async function run({ args, values, aws, out, signal }: CommandContext): Promise<number> {
  const streamName = args.stream as string;
  const start = tailStart(values);
  const format: RecordFormat = out.json
    ? 'json'
    : choiceOption(values, 'format', NAME, ['text', 'json', 'hex'], 'text');
  const max = integerOption(values, 'max', NAME, Number.MAX_SAFE_INTEGER, 1);
  const pollMs = integerOption(values, 'poll-ms', NAME, 1000, MIN_CALL_SPACING_MS);
  const limit = integerOption(values, 'limit', NAME, 1000, 1, 10_000);
  const wanted = stringsOption(values, 'shard');
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const client = createKinesis(aws);
  const state: TailState = {
    client,
    streamName,
    format,
    max,
    pollMs,
    limit,
    stop,
    write: (text) => out.write(text),
    drain: () => out.drain(),
    style: (text) => out.style('cyan', text),
    printed: 0,
  };
  try {
    const api = sdkKinesisApi(client);
    const list = () => forStream(client, streamName, () => listAllShards(api, streamName, stop.signal));
    let shards = await list();
    if (wanted.length > 0) {
      const unknown = wanted.filter((id) => !shards.some((s) => s.shardId === id));
      if (unknown.length > 0) {
        throw new CliUsageError(
          `stream "${streamName}" has no shard ${unknown.join(', ')}: see \`kinesis-ts streams describe ${streamName}\``,
          NAME,
        );
      }
      shards = shards.filter((s) => wanted.includes(s.shardId));
    } else if (start.type === 'LATEST') {
      // Closed shards get no new records.
      shards = shards.filter((s) => !s.closed);
    }
    const started = new Set<string>();
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const launch = (shard: ShardInfo, from: TailStart): void => {
      started.add(shard.shardId);
      const task: Promise<void> = tailShard(state, shard, from)
        .then(async (ended) => {
          // A shard that ended was split or merged: follow its children (all shards when --shard
          // was not given), from their start.
          if (!ended || wanted.length > 0 || stop.signal.aborted) return;
          for (const child of await list()) {
            if (!started.has(child.shardId) && child.parentShardIds.includes(shard.shardId)) {
              launch(child, { type: 'TRIM_HORIZON' });
            }
          }
        })
        .catch((error: unknown) => {
          if (stop.signal.aborted) return;
          failure ??= error;
          stop.abort();
        })
        .finally(() => running.delete(task));
      running.add(task);
    };
    for (const shard of shards) launch(shard, start);
    while (running.size > 0) await Promise.race(running);
    if (failure !== undefined) throw failure;
    return ExitCode.OK;
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.destroy();
  }
}

/** `tail <stream>`. */
export const tailCommand: CommandSpec = {
  name: NAME,
  summary: 'Print the records of a stream (KPL aggregates unpacked) as text, JSON or hex',
  positionals: ['stream'],
  options: {
    from: {
      type: 'string',
      valueName: '<latest|trim-horizon>',
      description: 'Start at the tip (default: records written from now on) or at the oldest record kept',
    },
    at: { type: 'string', valueName: '<time>', description: 'Start at an ISO 8601 time or epoch ms' },
    after: {
      type: 'string',
      valueName: '<seq[/sub]>',
      description:
        'Start after a sequence number (with /sub: after that record of a KPL aggregate); needs --shard',
    },
    shard: { type: 'string', multiple: true, valueName: '<shardId>', description: 'Read only this shard' },
    format: {
      type: 'string',
      short: 'f',
      valueName: '<text|json|hex>',
      description: 'Record output (default text; --json = json lines)',
    },
    max: { type: 'string', short: 'n', valueName: '<N>', description: 'Stop after N records' },
    'poll-ms': {
      type: 'string',
      valueName: '<ms>',
      description: 'Wait between reads of a caught-up shard (default 1000, at least 200)',
    },
    limit: {
      type: 'string',
      valueName: '<N>',
      description: 'Records per GetRecords call (default 1000, at most 10000)',
    },
  },
  details: `
Every line carries the shard, the sequence number with the sub-sequence number inside a KPL aggregate,
and the partition key. Text shows the data as UTF-8 (control characters escaped; invalid UTF-8 as
hex:...). JSON lines carry data (UTF-8 or null), dataBase64, arrival time and whether the record came
from an aggregate. Records of different shards interleave; each shard's records are in order.
When a shard ends (split or merge), its children are followed. Stops on Ctrl-C (exit 0) or after --max.
The command only reads: no lease or checkpoint is touched.

Examples:
  kinesis-ts tail orders
  kinesis-ts tail orders --from trim-horizon --max 100 --json
  kinesis-ts tail orders --at 2026-11-29T17:00:00Z --format hex
  kinesis-ts tail orders --shard shardId-000000000001 --after 49590338271490256608559692538361571095921575989136588898`,
  run,
};
