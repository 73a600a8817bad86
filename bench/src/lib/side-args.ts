/**
 * For benchmark child processes: the JSON argument (emulator endpoints + the side's own settings)
 * and SDK clients for it.
 */
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { httpHandler } from '@kinesis-ts/integration';
import { CREDENTIALS, REGION } from './emulators.js';

/** Parses `process.argv[2]`: `{ kinesisEndpoint, dynamodbEndpoint, ...args }`. */
export function startEmulatorsFromArgs<T>(): {
  args: T & { kinesisEndpoint: string; dynamodbEndpoint: string };
  kinesis: KinesisClient;
  kinesisConfig: KinesisClientConfig;
  dynamoConfig: { region: string; endpoint: string; credentials: typeof CREDENTIALS };
} {
  const args = JSON.parse(process.argv[2] ?? '{}') as T & {
    kinesisEndpoint: string;
    dynamodbEndpoint: string;
  };
  const kinesisConfig = { region: REGION, credentials: CREDENTIALS, endpoint: args.kinesisEndpoint };
  return {
    args,
    kinesis: new KinesisClient({ ...kinesisConfig, requestHandler: httpHandler() }),
    kinesisConfig,
    dynamoConfig: { region: REGION, credentials: CREDENTIALS, endpoint: args.dynamodbEndpoint },
  };
}
