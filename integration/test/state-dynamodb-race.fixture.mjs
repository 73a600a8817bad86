// The module the conformance suite's cross-process race loads in each racing process (and in the
// test's own): `createAdapter()` returns a new, unstarted DynamoDBState on the table named by
// KTS_RACE_TABLE, reaching the run's DynamoDB through the SDK default chain (AWS_ENDPOINT_URL_DYNAMODB,
// AWS_REGION and the credential variables the integration setup puts in the environment).
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';

export function createAdapter() {
  const tableName = process.env.KTS_RACE_TABLE;
  if (tableName === undefined) throw new Error('KTS_RACE_TABLE is not set');
  return new DynamoDBState({ tableName });
}
