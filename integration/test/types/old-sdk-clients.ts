/**
 * Type test (issue #13): clients of an older, pinned AWS SDK 3.x (`kinesis-old` and `dynamodb-old`
 * are `@aws-sdk/client-kinesis` / `@aws-sdk/client-dynamodb` 3.600.0 under an alias, a second copy of
 * the SDK beside the workspace's) are accepted wherever kinesis-ts takes a client. Checked by
 * `tsc -p test/types/tsconfig.json` (run by old-sdk-types.test.ts and by the package's typecheck), on
 * the packages' published declarations (dist).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { KinesisProducer } from '@kinesis-ts/producer';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { DynamoDBClient as OldDynamoDBClient } from 'dynamodb-old';
import { KinesisClient as OldKinesisClient } from 'kinesis-old';

const oldKinesis = new OldKinesisClient({ region: 'eu-west-1' });
const oldDynamo = new OldDynamoDBClient({ region: 'eu-west-1' });

export const consumer = new KinesisConsumer({ streamName: 's', kinesisClient: oldKinesis });
export const producer = new KinesisProducer({ streamName: 's', runner: 'inline', client: oldKinesis });
export const state = new DynamoDBState({ tableName: 't', client: oldDynamo });
export const table = (): Promise<unknown> => createStateTable(oldDynamo, { tableName: 't' });

// The control: the two copies are distinct types for TypeScript, so the lines above only compile
// because the options are typed structurally (with the SDK's class as the option type this fails).
// @ts-expect-error the older client is not the workspace SDK's KinesisClient class
export const notTheSameClass: KinesisClient = oldKinesis;
