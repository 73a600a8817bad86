import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { waitFor } from './wait-for.js';

/**
 * Creates an on-demand lease/checkpoint table keyed by `shard` (string HASH key) and waits until it is
 * ACTIVE. Returns the table name. (The DynamoDB state adapter may ship its own helper; this one only
 * serves smoke tests and scenarios that need a bare table.)
 */
export async function createStateTable(
  dynamo: DynamoDBClient,
  name: string,
  timeoutMs = 30_000,
): Promise<string> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'shard', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'shard', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitFor(
    async () =>
      (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus === 'ACTIVE',
    { timeoutMs, description: `table ${name} ACTIVE` },
  );
  return name;
}

/** Deletes a table; a table that does not exist is not an error. */
export async function deleteTable(dynamo: DynamoDBClient, name: string): Promise<void> {
  try {
    await dynamo.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
