/**
 * Building the Kinesis client, adapting it to {@link KinesisApi}, and turning its config and
 * credentials into plain data for shard processes.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type KinesisClientConfig,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { fastGetRecords } from './fast-get-records.js';
import type { KinesisApi } from './kinesis-api.js';
import type { TransferableCredentials, WorkerClientConfig } from './runners/transport.js';

/**
 * Creates a Kinesis client on an HTTP/1.1 keep-alive handler (the SDK's default HTTP/2 handler opens
 * a session per request and fails against emulators). Region, endpoint and credentials come from
 * `config`, else from the SDK default chain (`AWS_REGION`, `AWS_ENDPOINT_URL_KINESIS`, ...).
 */
export function createKinesisClient(
  config: KinesisClientConfig = {},
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): KinesisClient {
  return new KinesisClient({
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
      // A host that does not accept the connection fails fast; each call is also bounded as a whole
      // (requestTimeoutMs, see bounded-kinesis-api.ts).
      connectionTimeout: 3000,
    }),
    ...config,
    ...(credentials === undefined ? {} : { credentials }),
  });
}

/** Options of {@link sdkKinesisApi}. */
export interface SdkKinesisApiOptions {
  /**
   * Parse successful GetRecords responses with {@link fastGetRecords} (default `true`); `false` leaves
   * every response to the SDK's deserializer.
   */
  readonly fastGetRecords?: boolean;
}

/** Adapts an SDK client to {@link KinesisApi}. */
export function sdkKinesisApi(client: KinesisClient, options: SdkKinesisApiOptions = {}): KinesisApi {
  const fast = options.fastGetRecords ?? true;
  return {
    getShardIterator: (input, signal) =>
      client.send(new GetShardIteratorCommand(input), { abortSignal: signal }),
    getRecords: fast
      ? (input, signal) => fastGetRecords(client, input, signal)
      : (input, signal) => client.send(new GetRecordsCommand(input), { abortSignal: signal }),
    listShards: (input, signal) => client.send(new ListShardsCommand(input), { abortSignal: signal }),
  };
}

type EndpointLike = {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  url?: URL | string;
};

function endpointUrl(endpoint: EndpointLike | string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  if (typeof endpoint === 'string') return endpoint;
  if (endpoint.url !== undefined) return String(endpoint.url);
  if (endpoint.hostname === undefined) return undefined;
  const protocol = (endpoint.protocol ?? 'https:').replace(/:?$/, ':');
  const port = endpoint.port === undefined ? '' : `:${endpoint.port}`;
  return `${protocol}//${endpoint.hostname}${port}${endpoint.path ?? ''}`;
}

/** The region and explicit endpoint of a client, as plain data for a shard process. */
export async function transferableClientConfig(client: KinesisClient): Promise<WorkerClientConfig> {
  const config = client.config as unknown as {
    region?: () => Promise<string>;
    endpoint?: () => Promise<EndpointLike>;
    maxAttempts?: () => Promise<number>;
  };
  const region = typeof config.region === 'function' ? await config.region() : undefined;
  const endpoint = typeof config.endpoint === 'function' ? endpointUrl(await config.endpoint()) : undefined;
  const maxAttempts = typeof config.maxAttempts === 'function' ? await config.maxAttempts() : undefined;
  return { region, endpoint, maxAttempts };
}

/**
 * Resolves the client's current credentials (through its provider, which refreshes them) as plain
 * data with their expiry.
 */
export async function transferableCredentials(client: KinesisClient): Promise<TransferableCredentials> {
  const provider = (client.config as unknown as { credentials: AwsCredentialIdentityProvider }).credentials;
  const identity = await provider();
  return {
    accessKeyId: identity.accessKeyId,
    secretAccessKey: identity.secretAccessKey,
    sessionToken: identity.sessionToken,
    expiration: identity.expiration?.getTime(),
  };
}

/** An SDK credential provider over a worker's IPC-backed credentials (`undefined`: the SDK chain). */
export function workerCredentialProvider(
  credentials: (() => Promise<TransferableCredentials>) | null,
): AwsCredentialIdentityProvider | undefined {
  if (credentials === null) return undefined;
  return async () => {
    const c = await credentials();
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiration: c.expiration === undefined ? undefined : new Date(c.expiration),
    };
  };
}

/** The region/endpoint/retry part of a worker's plain client config, as SDK client config. */
export function workerClientSettings(config: WorkerClientConfig): KinesisClientConfig {
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
  };
}

/** Builds a shard worker's client from plain config and an IPC-backed credential provider. */
export function workerKinesisClient(
  config: WorkerClientConfig,
  credentials: (() => Promise<TransferableCredentials>) | null,
): KinesisClient {
  return createKinesisClient(workerClientSettings(config), workerCredentialProvider(credentials));
}
