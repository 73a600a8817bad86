/** The client the adapter creates when the user gives none. */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Timeouts of a client created by the adapter. */
export interface OwnClientTimeouts {
  /** Connection establishment limit, ms. */
  readonly connectionTimeoutMs: number;
  /** Limit for a whole request attempt, counted from its start (connection included), ms. */
  readonly requestTimeoutMs: number;
}

/**
 * A `DynamoDBClient` from `config` (or the SDK default chain) with an HTTP/1.1 keep-alive handler
 * that throws on timeouts, and the SDK's own retries off (`maxAttempts: 1`) unless `config` sets
 * them: the adapter retries itself, so it can resolve writes whose outcome is unknown.
 */
export function createOwnClient(
  config: DynamoDBClientConfig | undefined,
  timeouts: OwnClientTimeouts,
): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 1,
    ...config,
    requestHandler:
      config?.requestHandler ??
      new NodeHttpHandler({
        httpAgent: { keepAlive: true, maxSockets: 50 },
        httpsAgent: { keepAlive: true, maxSockets: 50 },
        connectionTimeout: timeouts.connectionTimeoutMs,
        requestTimeout: timeouts.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
  });
}
