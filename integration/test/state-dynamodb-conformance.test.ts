import { fileURLToPath } from 'node:url';
import { describeStateAdapterConformance } from '@kinesis-ts/core/testing';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { getBackend } from '../src/backend.js';
import { dynamoClient } from '../src/clients.js';
import { deleteTable } from '../src/state-table.js';
import { uniqueName } from '../src/unique-name.js';

// The exported conformance suite against the run's DynamoDB: dynalite when embedded (always in CI),
// LocalStack when the global setup found a Docker engine, or the user's endpoint. Every adapter the
// factory returns shares one table created for this run. Half of them use the SDK default chain
// (AWS_REGION / AWS_ENDPOINT_URL_DYNAMODB / credential variables, set by the global setup), half a
// client passed in, so both paths are proven.
const backend = getBackend();
const table = uniqueName('it-state-conformance');
const admin = dynamoClient();
let created = 0;
// The cross-process race's racers (child processes) build their adapters from this module; they
// inherit this environment, so they find the table and the endpoint here.
process.env.KTS_RACE_TABLE = table;
const raceModule = fileURLToPath(new URL('./state-dynamodb-race.fixture.mjs', import.meta.url));

console.log(
  `[state-dynamodb] conformance against ${backend.name} DynamoDB at ${backend.dynamodbEndpoint}` +
    (backend.name === 'localstack'
      ? ''
      : ` (LocalStack not used: ${backend.rejected.localstack ?? 'not selected'})`),
);

describeStateAdapterConformance({
  name: `DynamoDBState on ${backend.name} (${backend.dynamodbEndpoint})`,
  createAdapter: () =>
    created++ % 2 === 0
      ? new DynamoDBState({ tableName: table })
      : new DynamoDBState({ tableName: table, client: admin }),
  setup: async () => {
    await createStateTable(admin, { tableName: table, pollIntervalMs: 100 });
  },
  teardown: async () => {
    await deleteTable(admin, table);
    admin.destroy();
  },
  crossProcess: { module: raceModule },
});
