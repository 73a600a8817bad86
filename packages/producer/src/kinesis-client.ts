/**
 * Builds the SDK client the producer talks to Kinesis with.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * A `KinesisClient` from `config` (SDK default chain for whatever is missing: `AWS_REGION`,
 * `AWS_ENDPOINT_URL_KINESIS`, credentials). Unless `config.requestHandler` is set it uses an
 * HTTP/1.1 keep-alive handler: the SDK's default HTTP/2 handler opens a session per request on AWS and
 * fails against emulators. Retries are left to the producer (`maxAttempts` 1) unless configured.
 */
export function createKinesisClient(config: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({
    maxAttempts: 1,
    ...config,
    requestHandler:
      config.requestHandler ??
      new NodeHttpHandler({
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
      }),
  });
}
