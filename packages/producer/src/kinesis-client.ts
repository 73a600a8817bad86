/**
 * Builds the SDK client the producer talks to Kinesis with.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Socket-level timeouts of a client built by {@link createKinesisClient}. */
export interface KinesisClientTimeouts {
  /** Longest time to establish a connection (TCP + TLS), ms. */
  readonly connectionTimeout: number;
  /** Longest time for a whole request once the socket is assigned, ms (an error, not a warning). */
  readonly requestTimeout: number;
}

/** Defaults of {@link KinesisClientTimeouts}: the producer's `connectionTimeout` / `requestTimeout`. */
export const DEFAULT_KINESIS_CLIENT_TIMEOUTS: KinesisClientTimeouts = Object.freeze({
  connectionTimeout: 3000,
  requestTimeout: 10_000,
});

/**
 * A `KinesisClient` from `config` (SDK default chain for whatever is missing: `AWS_REGION`,
 * `AWS_ENDPOINT_URL_KINESIS`, credentials). Unless `config.requestHandler` is set it uses an
 * HTTP/1.1 keep-alive handler: the SDK's default HTTP/2 handler opens a session per request on AWS and
 * fails against emulators. Its handler fails a connection attempt after `timeouts.connectionTimeout` and a
 * request after `timeouts.requestTimeout`. Retries are left to the producer (`maxAttempts` 1) unless
 * configured.
 */
export function createKinesisClient(
  config: KinesisClientConfig = {},
  timeouts: KinesisClientTimeouts = DEFAULT_KINESIS_CLIENT_TIMEOUTS,
): KinesisClient {
  return new KinesisClient({
    maxAttempts: 1,
    ...config,
    requestHandler:
      config.requestHandler ??
      new NodeHttpHandler({
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
        connectionTimeout: timeouts.connectionTimeout,
        requestTimeout: timeouts.requestTimeout,
        throwOnRequestTimeout: true,
      }),
  });
}
