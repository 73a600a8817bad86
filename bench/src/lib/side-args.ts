/**
 * For benchmark child processes: the JSON argument (emulator endpoints + the side's own settings)
 * and SDK client config for it. Loads no harness module (the integration package, the DynamoDB SDK):
 * a side's memory is measured, and an application running the consumer would not hold them.
 */
import { Agent as HttpAgent } from 'node:http';
import { createRequire } from 'node:module';
import type { KinesisClient, KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { CREDENTIALS, REGION } from './credentials.js';

/**
 * The SDK's own HTTP/1.1 handler (the package the Kinesis client already loads, resolved from it):
 * keep-alive, as the integration package's `httpHandler()` builds it, without loading that package.
 */
function keepAliveHandler(): unknown {
  const fromSdk = createRequire(import.meta.resolve('@aws-sdk/client-kinesis'));
  const { NodeHttpHandler } = fromSdk('@smithy/node-http-handler') as {
    NodeHttpHandler: new (options: { httpAgent: HttpAgent }) => unknown;
  };
  return new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }) });
}

/** Parses `process.argv[2]`: `{ kinesisEndpoint, dynamodbEndpoint, ...args }`. */
export function startEmulatorsFromArgs<T>(): {
  args: T & { kinesisEndpoint: string; dynamodbEndpoint: string };
  /** A bare SDK client with an HTTP/1.1 keep-alive handler (the baselines; loaded on first use). */
  kinesis: () => Promise<KinesisClient>;
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
    kinesis: async () => {
      const { KinesisClient } = await import('@aws-sdk/client-kinesis');
      return new KinesisClient({
        ...kinesisConfig,
        requestHandler: keepAliveHandler() as KinesisClientConfig['requestHandler'],
      });
    },
    kinesisConfig,
    dynamoConfig: { region: REGION, credentials: CREDENTIALS, endpoint: args.dynamodbEndpoint },
  };
}
