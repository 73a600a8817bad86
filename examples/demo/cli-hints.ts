/**
 * The `kinesis-ts` commands that inspect the demo's stream and consumer group, with the endpoints,
 * region, table and group of this run, for the summary.
 */
import type { DemoOptions } from './options.js';

/** What the hints need to know about the run. */
export interface CliHintInput {
  readonly streamName: string;
  readonly tableName: string;
  readonly consumerGroup: string;
  readonly region: string;
  readonly kinesisEndpoint: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
}

/** The lines printed under "inspect" in the summary. */
export function cliHints(
  input: CliHintInput,
  options: Pick<DemoOptions, 'aws' | 'keep' | 'kinesisEndpoint'>,
): string[] {
  const where = [`--region ${input.region}`];
  if (input.kinesisEndpoint !== undefined) where.push(`--endpoint-url ${input.kinesisEndpoint}`);
  if (input.dynamodbEndpoint !== undefined && input.dynamodbEndpoint !== input.kinesisEndpoint)
    where.push(`--dynamodb-endpoint-url ${input.dynamodbEndpoint}`);
  const flags = where.join(' ');
  const group = `--group ${input.consumerGroup} --table ${input.tableName}`;
  const embedded = !options.aws && options.kinesisEndpoint === undefined;
  return [
    'with the kinesis-ts CLI (npm install -g @kinesis-ts/cli; in this repository: node packages/cli/dist/bin.mjs):',
    `kinesis-ts streams describe ${input.streamName} ${flags}`,
    `kinesis-ts leases ${input.streamName} ${group} ${flags}`,
    `kinesis-ts lag ${input.streamName} ${group} ${flags}`,
    `kinesis-ts tail ${input.streamName} --from trim-horizon --max 10 ${flags}`,
    `kinesis-ts rewind ${input.streamName} ${group} --all --to trim-horizon --dry-run ${flags}`,
    embedded
      ? '(the embedded emulators stop with the demo: run it with --endpoint <LocalStack> --keep to inspect afterwards)'
      : options.keep
        ? '(--keep: the stream and table stay for these commands)'
        : '(add --keep to keep the stream and table for these commands)',
  ];
}
