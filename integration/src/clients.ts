import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Backend, getBackend } from './backend.js';

/** Options of {@link httpHandler}. */
export interface HttpHandlerOptions {
  /** Socket inactivity timeout per request (default: none). */
  requestTimeoutMs?: number;
  /** Maximum sockets per host (default 50). */
  maxSockets?: number;
}

/**
 * An HTTP/1.1 keep-alive request handler. The SDK's default HTTP/2 handler for Kinesis fails against the
 * emulators (see docs/emulators.md); HTTP/1.1 keep-alive works against all of them and LocalStack.
 */
export function httpHandler(options: HttpHandlerOptions = {}): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 50 };
  return new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeout: options.requestTimeoutMs }),
  });
}

/**
 * A Kinesis client for the run's back-end: `endpoint` defaults to the volume endpoint; region and
 * credentials come from the back-end. `overrides` win (e.g. `{ maxAttempts: 1 }`). Call `destroy()` after use.
 */
export function kinesisClient(
  endpoint?: string,
  overrides: Partial<KinesisClientConfig> = {},
  backend: Backend = getBackend(),
): KinesisClient {
  return new KinesisClient({
    endpoint: endpoint ?? backend.kinesisEndpoint,
    region: backend.region,
    ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
    requestHandler: httpHandler(),
    ...overrides,
  });
}

/** A DynamoDB client for the run's back-end, like {@link kinesisClient}. Call `destroy()` after use. */
export function dynamoClient(
  endpoint?: string,
  overrides: Partial<DynamoDBClientConfig> = {},
  backend: Backend = getBackend(),
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: endpoint ?? backend.dynamodbEndpoint,
    region: backend.region,
    ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
    requestHandler: httpHandler(),
    ...overrides,
  });
}
