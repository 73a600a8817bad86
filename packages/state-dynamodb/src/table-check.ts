/**
 * What `start()` and `createStateTable` require of the table, and the messages that say how to fix it.
 */
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { ErrorCode, StateStoreError } from '@kinesis-ts/core';
import { LeaseAttribute } from './lease-item.js';
import type { TableLocation } from './table-location.js';

/** The AWS CLI command that creates a table the adapter accepts. */
export function createTableCommandLine(location: TableLocation): string {
  const parts = [
    'aws dynamodb create-table',
    `--table-name ${location.tableName}`,
    `--attribute-definitions AttributeName=${LeaseAttribute.key},AttributeType=S`,
    `--key-schema AttributeName=${LeaseAttribute.key},KeyType=HASH`,
    '--billing-mode PAY_PER_REQUEST',
  ];
  if (location.region !== 'unknown') parts.push(`--region ${location.region}`);
  if (location.customEndpoint) parts.push(`--endpoint-url ${location.endpoint}`);
  return parts.join(' ');
}

function where(location: TableLocation): string {
  return `region ${location.region}, endpoint ${location.endpoint}`;
}

/** The error for a table that does not exist where the client points. */
export function tableMissingError(location: TableLocation, cause?: unknown): StateStoreError {
  return new StateStoreError(
    ErrorCode.STATE_STORE_MISCONFIGURED,
    `DynamoDB table "${location.tableName}" was not found (looked in ${where(location)}). ` +
      `Create it with a HASH key named "${LeaseAttribute.key}" of type S and no sort key, e.g.: ` +
      `${createTableCommandLine(location)} ` +
      `(or call createStateTable() from @kinesis-ts/state-dynamodb). ` +
      `If the table exists elsewhere, point the client there (AWS_REGION / AWS_ENDPOINT_URL_DYNAMODB, or the client or clientConfig option).`,
    { cause, context: { ...location } },
  );
}

/**
 * Checks a `DescribeTable` answer: HASH key `shard` of type S, no sort key, a usable status.
 * @returns `'ready'` or `'creating'` (usable soon).
 * @throws StateStoreError (`STATE_STORE_MISCONFIGURED`) saying what is wrong and what to create instead.
 */
export function checkTableDescription(
  table: TableDescription,
  location: TableLocation,
): 'ready' | 'creating' {
  const keys = table.KeySchema ?? [];
  const definitions = new Map(
    (table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
  );
  const found =
    keys
      .map((k) => `${k.AttributeName} (${definitions.get(k.AttributeName) ?? '?'}, ${k.KeyType})`)
      .join(' + ') || 'none';
  const hash = keys.find((k) => k.KeyType === 'HASH');
  const range = keys.find((k) => k.KeyType === 'RANGE');
  const problems: string[] = [];
  if (hash?.AttributeName !== LeaseAttribute.key) {
    problems.push(
      `its HASH key is named ${JSON.stringify(hash?.AttributeName ?? null)}, not "${LeaseAttribute.key}"`,
    );
  } else if (definitions.get(LeaseAttribute.key) !== 'S') {
    problems.push(
      `its HASH key "${LeaseAttribute.key}" has type ${definitions.get(LeaseAttribute.key) ?? '?'}, not S (string)`,
    );
  }
  if (range !== undefined)
    problems.push(
      `it has a sort (RANGE) key ${JSON.stringify(range.AttributeName)}; the lease table must have none`,
    );
  if (problems.length > 0) {
    throw new StateStoreError(
      ErrorCode.STATE_STORE_MISCONFIGURED,
      `DynamoDB table "${location.tableName}" (${where(location)}) cannot hold leases: ${problems.join('; ')}. ` +
        `Found key schema: ${found}. A table's key schema cannot be changed: use (or create) another table with a HASH key ` +
        `named "${LeaseAttribute.key}" of type S and no sort key, e.g.: ${createTableCommandLine(location)}`,
      { context: { ...location, keySchema: found } },
    );
  }
  const status = table.TableStatus;
  if (status === undefined || status === 'ACTIVE' || status === 'UPDATING') return 'ready';
  if (status === 'CREATING') return 'creating';
  throw new StateStoreError(
    ErrorCode.STATE_STORE_MISCONFIGURED,
    `DynamoDB table "${location.tableName}" (${where(location)}) is ${status} and cannot be used for leases` +
      (status === 'DELETING' ? '; create it again once deleted' : ''),
    { context: { ...location, tableStatus: status } },
  );
}
