/**
 * Command-line flags of the demo, parsed with `node:util`'s `parseArgs`.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';

/** What the demo runs against and how much it does. */
export interface DemoOptions {
  /** One endpoint for Kinesis and DynamoDB (e.g. LocalStack); `undefined`: embedded emulators or AWS. */
  readonly endpoint: string | undefined;
  readonly kinesisEndpoint: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  /** Real AWS: SDK default endpoints and credentials. */
  readonly aws: boolean;
  readonly region: string;
  /** Stream to use (created when missing); `undefined`: a new uniquely named stream. */
  readonly stream: string | undefined;
  /** Lease table to use (created when missing); `undefined`: a new uniquely named table. */
  readonly table: string | undefined;
  readonly shards: number;
  readonly records: number;
  /** Seconds the producer writes for. */
  readonly duration: number;
  readonly recordSize: number;
  readonly failoverMs: number;
  /** Plain progress lines instead of the live view (default when stdout is not a TTY). */
  readonly plain: boolean;
  /** Keep the stream and table created by the demo. */
  readonly keep: boolean;
}

export const USAGE = `Usage: pnpm demo [flags]

Starts embedded Kinesis (kinesalite) and DynamoDB (dynalite) emulators unless told otherwise, creates
a stream and a lease table, runs a producer and two consumer instances (separate OS processes, a
process per shard), SIGKILLs one halfway, and checks that every record produced was consumed.

  --endpoint URL           Kinesis and DynamoDB endpoint (e.g. LocalStack http://localhost:4566)
  --kinesis-endpoint URL   Kinesis endpoint only      --dynamodb-endpoint URL   DynamoDB endpoint only
  --aws                    real AWS (SDK default credentials; creates and deletes a stream: costs money)
  --region NAME            AWS region (default: AWS_REGION or us-east-1)
  --stream NAME            stream to use; created with --shards when missing (default: a new one)
  --table NAME             lease table; created when missing (default: a new one)
  --shards N               shards of a new stream (default 4)
  --records N              records to produce (default 20000)
  --duration SECONDS       how long the producer writes (default 20)
  --record-size BYTES      payload size (default 100)
  --failover-ms MS         consumer failover time (default 3000)
  --plain                  plain progress lines (default when stdout is not a TTY)
  --keep                   keep the stream and table the demo created
  --help                   this text
`;

/** Thrown for a bad flag; the demo prints the message and the usage and exits 2. */
export class UsageError extends Error {}

function positive(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < min) {
    throw new UsageError(`${flag} needs a number >= ${min}, got ${value ?? 'nothing'}`);
  }
  return n;
}

/** The flags, for `node:util`'s `parseArgs` (which also takes `--flag=value`). */
const FLAGS = {
  endpoint: { type: 'string' },
  'kinesis-endpoint': { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  aws: { type: 'boolean' },
  region: { type: 'string' },
  stream: { type: 'string' },
  table: { type: 'string' },
  shards: { type: 'string' },
  records: { type: 'string' },
  duration: { type: 'string' },
  'record-size': { type: 'string' },
  'failover-ms': { type: 'string' },
  plain: { type: 'boolean' },
  keep: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** Parses `argv` (without node and script). Returns `'help'` for `--help`. */
export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  isTTY: boolean,
): DemoOptions | 'help' {
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS }>>['values'];
  try {
    // `pnpm demo -- --shards 2` passes the `--` on: flags after it count too.
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      options: FLAGS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown flags, missing values, ...
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const endpoint = values.endpoint;
  const aws = values.aws === true;
  if (aws && (endpoint ?? values['kinesis-endpoint'] ?? values['dynamodb-endpoint']) !== undefined) {
    throw new UsageError('--aws and --endpoint exclude each other');
  }
  return {
    endpoint,
    kinesisEndpoint: values['kinesis-endpoint'] ?? endpoint,
    dynamodbEndpoint: values['dynamodb-endpoint'] ?? endpoint,
    aws,
    region: values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    stream: values.stream,
    table: values.table,
    shards: Math.floor(positive('--shards', values.shards ?? '4')),
    records: Math.floor(positive('--records', values.records ?? '20000', 10)),
    duration: positive('--duration', values.duration ?? '20', 1),
    recordSize: Math.floor(positive('--record-size', values['record-size'] ?? '100', 16)),
    failoverMs: Math.floor(positive('--failover-ms', values['failover-ms'] ?? '3000', 300)),
    plain: values.plain === true || !isTTY,
    keep: values.keep === true,
  };
}
