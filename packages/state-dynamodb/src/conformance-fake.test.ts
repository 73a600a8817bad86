import { describeStateAdapterConformance } from '@kinesis-ts/core/testing';
import { DynamoDBState } from './dynamodb-state.js';
import { FakeDynamoDB } from './test-support/fake-dynamodb.js';

// The full conformance suite against the in-memory fake: proves the adapter's request logic
// quickly. The same suite runs against dynalite in integration/test/state-dynamodb-conformance.test.ts,
// which also runs the cross-process race (the fake lives in this process, so the race is skipped here).
const fake = new FakeDynamoDB();
fake.addTable('conformance-table');
fake.scanPageSize = 250;

describeStateAdapterConformance({
  name: 'DynamoDBState on an in-memory fake client',
  createAdapter: () => new DynamoDBState({ tableName: 'conformance-table', client: fake.asClient() }),
  largeListingShards: 600,
});
