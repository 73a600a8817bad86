import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { dynamoClient } from '../src/clients.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { uniqueName } from '../src/unique-name.js';

const backend = getBackend();

describe(`DynamoDB smoke (${backend.name}, ${backend.dynamodbEndpoint})`, () => {
  const dynamo = dynamoClient();
  const table = uniqueName('it-state');
  afterAll(async () => {
    await deleteTable(dynamo, table);
    dynamo.destroy();
  });

  it('a conditional write succeeds once, then fails with ConditionalCheckFailedException', async () => {
    await createStateTable(dynamo, table);
    const claim = (owner: string) =>
      new PutItemCommand({
        TableName: table,
        Item: { shard: { S: 'shardId-000000000000' }, owner: { S: owner } },
        ConditionExpression: 'attribute_not_exists(#shard)',
        ExpressionAttributeNames: { '#shard': 'shard' },
      });
    await dynamo.send(claim('worker-a'));
    await expect(dynamo.send(claim('worker-b'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});
