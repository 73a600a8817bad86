/** Where a DynamoDB client sends its requests: named in every "table not found" message. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The region and endpoint a client talks to. */
export interface TableLocation {
  /** Table name (or ARN). */
  readonly tableName: string;
  /** Region the client signs for (`unknown` when none is configured). */
  readonly region: string;
  /** Endpoint URL the requests go to. */
  readonly endpoint: string;
  /** True when the endpoint was set explicitly (config or `AWS_ENDPOINT_URL_DYNAMODB`), not derived from the region. */
  readonly customEndpoint: boolean;
}

interface EndpointLike {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  url?: URL;
}

function formatEndpoint(endpoint: EndpointLike): string {
  if (endpoint.url instanceof URL) return endpoint.url.href.replace(/\/$/, '');
  const protocol = (endpoint.protocol ?? 'https:').replace(/:?$/, ':');
  const port = endpoint.port === undefined ? '' : `:${endpoint.port}`;
  const path = endpoint.path === undefined || endpoint.path === '/' ? '' : endpoint.path;
  return `${protocol}//${endpoint.hostname ?? '?'}${port}${path}`;
}

/**
 * Finds the region and endpoint of `client`: `observed` (the URL a request was actually sent to) when
 * known, else the client's configured endpoint, the `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`
 * variables, or the regional AWS endpoint.
 */
export async function resolveTableLocation(
  client: DynamoDBClient,
  tableName: string,
  observed?: string,
): Promise<TableLocation> {
  const config = client.config as Partial<DynamoDBClient['config']> | undefined;
  let region = 'unknown';
  try {
    const value = typeof config?.region === 'function' ? await config.region() : config?.region;
    if (typeof value === 'string' && value !== '') region = value;
  } catch {
    // No region configured: reported as "unknown".
  }
  if (observed !== undefined) return { tableName, region, endpoint: observed, customEndpoint: true };
  try {
    const configured = typeof config?.endpoint === 'function' ? await config.endpoint() : undefined;
    if (configured !== undefined)
      return { tableName, region, endpoint: formatEndpoint(configured), customEndpoint: true };
  } catch {
    // Fall through to the environment.
  }
  const fromEnv = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
  if (fromEnv !== undefined && fromEnv !== '')
    return { tableName, region, endpoint: fromEnv, customEndpoint: true };
  return { tableName, region, endpoint: `https://dynamodb.${region}.amazonaws.com`, customEndpoint: false };
}

/** Formats the URL a request was sent to, from the SDK's `HttpRequest`. */
export function requestEndpoint(request: EndpointLike): string {
  return formatEndpoint(request);
}
