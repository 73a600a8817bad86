/**
 * `table create <table>` and `table check <table>`: the DynamoDB table that holds a group's leases,
 * through `@kinesis-ts/state-dynamodb` (its `createStateTable` and the checks `DynamoDBState.start()` runs).
 */
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { dynamoClientConfig } from '../aws-settings.js';
import { ExitCode } from '../cli-error.js';
import type { CommandSpec } from '../command-spec.js';
import { choiceOption, integerOption } from '../option-values.js';

/** `table create <table>`. */
export const tableCreate: CommandSpec = {
  name: 'table create',
  summary: 'Create the DynamoDB lease table (HASH key "shard", type S) and wait until it is ACTIVE',
  positionals: ['table'],
  options: {
    'billing-mode': {
      type: 'string',
      valueName: '<PAY_PER_REQUEST|PROVISIONED>',
      description: 'Default PAY_PER_REQUEST (on demand)',
    },
    'read-capacity': { type: 'string', valueName: '<units>', description: 'With PROVISIONED' },
    'write-capacity': { type: 'string', valueName: '<units>', description: 'With PROVISIONED' },
    'wait-ms': { type: 'string', valueName: '<ms>', description: 'Longest wait for ACTIVE (default 120000)' },
  },
  details: `
Idempotent: an existing table with the right key schema is accepted as it is; one with another key
schema is an error that says what to create instead. Same as createStateTable() of
@kinesis-ts/state-dynamodb.`,
  async run({ args, values, aws, out }) {
    const tableName = args.table as string;
    const billingMode = choiceOption(
      values,
      'billing-mode',
      'table create',
      ['PAY_PER_REQUEST', 'PROVISIONED'],
      'PAY_PER_REQUEST',
    );
    const provisioned = billingMode === 'PROVISIONED';
    const result = await createStateTable(dynamoClientConfig(aws), {
      tableName,
      billingMode,
      ...(provisioned
        ? {
            readCapacityUnits: integerOption(values, 'read-capacity', 'table create', 0, 1),
            writeCapacityUnits: integerOption(values, 'write-capacity', 'table create', 0, 1),
          }
        : {}),
      waitTimeoutMs: integerOption(values, 'wait-ms', 'table create', 120_000, 1000),
    });
    if (out.json) out.jsonLine(result);
    else
      out.line(
        `table ${result.tableName} ${result.created ? 'created' : 'already exists and fits'} (ACTIVE)`,
      );
    return ExitCode.OK;
  },
};

/** `table check <table>`. */
export const tableCheck: CommandSpec = {
  name: 'table check',
  summary: 'Check that a DynamoDB table exists and can hold leases (what DynamoDBState.start() checks)',
  positionals: ['table'],
  options: {},
  details: `
Exit 0 when the table exists with the HASH key "shard" (type S), no sort key, and a usable status;
otherwise exit 1 with what is wrong and how to fix it. Reads nothing else and writes nothing.`,
  async run({ args, aws, out }) {
    const tableName = args.table as string;
    const state = new DynamoDBState({ tableName, clientConfig: dynamoClientConfig(aws) });
    try {
      await state.start();
    } finally {
      await state.close();
    }
    if (out.json) out.jsonLine({ tableName, ok: true });
    else out.line(`table ${tableName} is ready for leases`);
    return ExitCode.OK;
  },
};
