/**
 * The consumer group's state adapter, from `--table` (DynamoDB) or `--state-module` (any adapter, from
 * a module exporting a factory). The CLI creates it, so the CLI closes it.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LeaseScope, StateAdapter } from '@kinesis-ts/core';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { type AwsSettings, dynamoClientConfig } from './aws-settings.js';
import { CliUsageError } from './cli-error.js';
import type { OptionSpecs } from './command-spec.js';
import { stringOption } from './option-values.js';
import type { OptionValues } from './parse-command-line.js';

/** The options that pick the group and its state. */
export const STATE_OPTIONS: OptionSpecs = {
  group: {
    type: 'string',
    short: 'g',
    valueName: '<name>',
    description: 'Consumer group (the consumerGroup option of KinesisConsumer)',
  },
  table: {
    type: 'string',
    short: 't',
    valueName: '<table>',
    description: "DynamoDB table of the group's leases (DynamoDBState's tableName)",
  },
  'state-module': {
    type: 'string',
    valueName: '<path>',
    description:
      'Instead of --table: a module whose default export (or `createState` export) is a function returning a StateAdapter; it gets { region, kinesisEndpoint, dynamodbEndpoint, profile }',
  },
};

/** Arguments a `--state-module` factory receives. */
export interface StateModuleOptions {
  readonly region: string | undefined;
  readonly kinesisEndpoint: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  readonly profile: string | undefined;
}

/** A started adapter and how to let go of it. */
export interface OpenState {
  readonly adapter: StateAdapter;
  readonly scope: LeaseScope;
  /** Where the state lives, for messages (`DynamoDB table leases`, `module ./x.js`). */
  readonly description: string;
  close(): Promise<void>;
}

function looksLikeAdapter(value: unknown): value is StateAdapter {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['start', 'close', 'listLeases', 'getLease'].every((name) => typeof v[name] === 'function');
}

async function adapterFromModule(
  path: string,
  cwd: string,
  aws: AwsSettings,
  command: string,
): Promise<StateAdapter> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliUsageError(
      `--state-module ${path}: could not import ${file}: ${error instanceof Error ? error.message : String(error)}`,
      command,
      { cause: error },
    );
  }
  const factory = typeof mod.createState === 'function' ? mod.createState : mod.default;
  if (typeof factory !== 'function') {
    throw new CliUsageError(
      `--state-module ${path} must export a function (default export or \`createState\`) that returns a StateAdapter`,
      command,
    );
  }
  const options: StateModuleOptions = {
    region: aws.region,
    kinesisEndpoint: aws.kinesisEndpoint,
    dynamodbEndpoint: aws.dynamodbEndpoint,
    profile: aws.profile,
  };
  const adapter: unknown = await (factory as (o: StateModuleOptions) => unknown)(options);
  if (!looksLikeAdapter(adapter)) {
    throw new CliUsageError(
      `--state-module ${path}: the factory returned no StateAdapter (an object with start, close, listLeases, getLease, ...)`,
      command,
    );
  }
  return adapter;
}

/**
 * Builds and starts the adapter the options name.
 * @throws CliUsageError without `--group`, or without exactly one of `--table` / `--state-module`;
 *   the adapter's own error (e.g. a missing table) when `start()` fails.
 */
export async function openState(
  values: OptionValues,
  streamName: string,
  aws: AwsSettings,
  cwd: string,
  command: string,
): Promise<OpenState> {
  const group = stringOption(values, 'group');
  if (group === undefined || group === '') {
    throw new CliUsageError('--group is required: the consumer group whose leases to read', command);
  }
  const table = stringOption(values, 'table');
  const module = stringOption(values, 'state-module');
  if ((table === undefined) === (module === undefined)) {
    throw new CliUsageError(
      'give either --table <dynamodb table> or --state-module <path> (where the group keeps its leases)',
      command,
    );
  }
  const adapter =
    table !== undefined
      ? new DynamoDBState({ tableName: table, clientConfig: dynamoClientConfig(aws) })
      : await adapterFromModule(module as string, cwd, aws, command);
  try {
    await adapter.start();
  } catch (error) {
    await adapter.close().catch(() => {});
    throw error;
  }
  return {
    adapter,
    scope: { consumerGroup: group, streamName },
    description: table !== undefined ? `DynamoDB table ${table}` : `state module ${module}`,
    close: () => adapter.close(),
  };
}
