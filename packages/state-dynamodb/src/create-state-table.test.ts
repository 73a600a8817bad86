import { ErrorCode, ValidationError } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStateTable } from './create-state-table.js';
import { FakeDynamoDB } from './test-support/fake-dynamodb.js';

describe('createStateTable', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    while (!done) await vi.advanceTimersByTimeAsync(500);
    return tracked;
  }

  it('creates an on-demand table with HASH key shard (S) and tags, and waits until ACTIVE', async () => {
    const fake = new FakeDynamoDB();
    const result = await run(
      createStateTable(fake.asClient(), { tableName: 'leases', tags: { team: 'data' } }),
    );
    expect(result).toEqual({
      tableName: 'leases',
      tableArn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/leases',
      created: true,
    });
    const create = fake.calls.find((c) => c.command === 'CreateTableCommand');
    expect(create?.input).toMatchObject({
      TableName: 'leases',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'shard', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'shard', AttributeType: 'S' }],
      Tags: [{ Key: 'team', Value: 'data' }],
    });
    expect(fake.tables.get('leases')?.description.TableStatus).toBe('ACTIVE');
    expect(fake.count('DescribeTableCommand')).toBeGreaterThan(1);
    expect(fake.destroyed, 'a client passed in is left open').toBe(false);
  });

  it('accepts an existing table with the right schema and refuses one with another schema', async () => {
    const fake = new FakeDynamoDB();
    fake.addTable('good');
    fake.addTable('bad', { name: 'id', type: 'S' });
    expect(await run(createStateTable(fake.asClient(), { tableName: 'good' }))).toMatchObject({
      created: false,
    });
    await expect(run(createStateTable(fake.asClient(), { tableName: 'bad' }))).rejects.toMatchObject({
      code: ErrorCode.STATE_STORE_MISCONFIGURED,
      message: expect.stringContaining('HASH key is named "id"'),
    });
  });

  it('surfaces a TTL the endpoint does not support as an error (the table is still created)', async () => {
    const fake = new FakeDynamoDB();
    await expect(
      run(createStateTable(fake.asClient(), { tableName: 'leases', ttlAttribute: 'expiresAt' })),
    ).rejects.toMatchObject({
      code: ErrorCode.STATE_STORE_UNAVAILABLE,
      message: expect.stringContaining('enabling TTL on "expiresAt" failed'),
    });
    expect(fake.tables.get('leases')?.description.TableStatus).toBe('ACTIVE');
  });

  it('times out with a TIMEOUT error when the table never becomes ACTIVE', async () => {
    const fake = new FakeDynamoDB();
    fake.addTable('slow', undefined, 'CREATING').describesUntilActive = 1_000_000;
    await expect(
      run(createStateTable(fake.asClient(), { tableName: 'slow', waitTimeoutMs: 3000 })),
    ).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
  });

  it('validates its options before any request', async () => {
    const fake = new FakeDynamoDB();
    await expect(createStateTable(fake.asClient(), { tableName: 'x' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      createStateTable(fake.asClient(), { tableName: 'leases', billingMode: 'PROVISIONED' }),
    ).rejects.toThrow(/readCapacityUnits/);
    await expect(
      createStateTable(fake.asClient(), { tableName: 'leases', readCapacityUnits: 5 }),
    ).rejects.toThrow(/only allowed with billingMode PROVISIONED/);
    expect(fake.calls).toHaveLength(0);
    await run(
      createStateTable(fake.asClient(), {
        tableName: 'leases',
        billingMode: 'PROVISIONED',
        readCapacityUnits: 5,
        writeCapacityUnits: 2,
      }),
    );
    expect(fake.calls[0]?.input).toMatchObject({
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
    });
  });
});
