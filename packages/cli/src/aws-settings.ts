/**
 * Region, endpoints and profile from the global flags, and the SDK clients built from them. What a
 * flag does not set comes from the SDK default chain.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CliUsageError } from './cli-error.js';
import type { OptionValues } from './parse-command-line.js';

/** Where the CLI talks to AWS. `undefined` fields come from the SDK default chain. */
export interface AwsSettings {
  /** `--region`. */
  readonly region: string | undefined;
  /** `--endpoint-url`: Kinesis (and DynamoDB unless `dynamodbEndpoint` is set). */
  readonly kinesisEndpoint: string | undefined;
  /** `--dynamodb-endpoint-url`, else `--endpoint-url`. */
  readonly dynamodbEndpoint: string | undefined;
  /** `--profile`. */
  readonly profile: string | undefined;
}

function url(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new CliUsageError(`--${option} must be an http:// or https:// URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads the global AWS flags. @throws CliUsageError for a malformed endpoint URL. */
export function awsSettingsFrom(values: OptionValues): AwsSettings {
  const endpoint = url('endpoint-url', text(values, 'endpoint-url'));
  return {
    region: text(values, 'region'),
    kinesisEndpoint: endpoint,
    dynamodbEndpoint: url('dynamodb-endpoint-url', text(values, 'dynamodb-endpoint-url')) ?? endpoint,
    profile: text(values, 'profile'),
  };
}

/** Client config fields for `settings` (only the ones the flags set). */
export function kinesisClientConfig(settings: AwsSettings): { region?: string; endpoint?: string } {
  return {
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.kinesisEndpoint === undefined ? {} : { endpoint: settings.kinesisEndpoint }),
  };
}

/** DynamoDB client config for `settings` (only the fields the flags set). */
export function dynamoClientConfig(settings: AwsSettings): DynamoDBClientConfig {
  return {
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.dynamodbEndpoint === undefined ? {} : { endpoint: settings.dynamodbEndpoint }),
  };
}

/**
 * A Kinesis client on an HTTP/1.1 keep-alive handler (the SDK's default HTTP/2 handler fails against
 * emulators), with a bounded connection (3 s) and request (`requestTimeoutMs`, default 30 s) time.
 * The caller destroys it.
 */
export function createKinesis(settings: AwsSettings, requestTimeoutMs = 30_000): KinesisClient {
  return new KinesisClient({
    ...kinesisClientConfig(settings),
    requestHandler: new NodeHttpHandler({
      httpAgent: { keepAlive: true, maxSockets: 50 },
      httpsAgent: { keepAlive: true, maxSockets: 50 },
      connectionTimeout: 3000,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}

/**
 * Where Kinesis calls go, for error messages: `region us-east-1, endpoint http://...` (the endpoint
 * from the flags, else from AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL, else the region's AWS one).
 */
export async function describeKinesisTarget(
  client: KinesisClient,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  const config = client.config as unknown as {
    region?: () => Promise<string>;
    endpoint?: () => Promise<{ hostname?: string; port?: number; protocol?: string; path?: string }>;
  };
  let region = 'unknown';
  try {
    region = (await config.region?.()) ?? 'unknown';
  } catch {
    // No region: the SDK's own error says so.
  }
  let endpoint: string | undefined;
  try {
    const e = await config.endpoint?.();
    if (e?.hostname !== undefined)
      endpoint = `${e.protocol ?? 'https:'}//${e.hostname}${e.port ? `:${e.port}` : ''}`;
  } catch {
    // No explicit endpoint.
  }
  endpoint ??= env.AWS_ENDPOINT_URL_KINESIS ?? env.AWS_ENDPOINT_URL ?? `the AWS endpoint of ${region}`;
  return `region ${region}, endpoint ${endpoint}`;
}
