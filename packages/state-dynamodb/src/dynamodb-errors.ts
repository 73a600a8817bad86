/**
 * Sorts what the DynamoDB client throws into the few cases the adapter treats differently.
 */

/** How the adapter reacts to a failed request. */
export type FailureKind =
  /** `ConditionalCheckFailedException`: the write was not applied because its condition was false. */
  | 'condition'
  /** Not applied and worth retrying: throttling, refused connection, transaction conflict. */
  | 'retry-not-applied'
  /** Worth retrying, but a write may or may not have been applied: timeout, reset, 5xx. */
  | 'retry-unknown-outcome'
  /** `ResourceNotFoundException`: the table does not exist where the client points. */
  | 'table-missing'
  /** Credentials, permissions or request shape: retrying will not help, the setup must change. */
  | 'misconfigured'
  /** Anything else: surfaced as is. */
  | 'fatal';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'TransactionConflictException',
  'LimitExceededException',
]);

const MISCONFIGURED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
  'CredentialsProviderError',
  'ValidationException',
]);

/** Network errors raised before the request reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Network errors after the request may have reached the server. */
const UNKNOWN_OUTCOME_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const UNKNOWN_OUTCOME_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** Classifies an error thrown by `client.send`. */
export function classifyDynamoDBError(error: unknown): FailureKind {
  if (typeof error !== 'object' || error === null) return 'fatal';
  const e = error as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (name === 'ConditionalCheckFailedException') return 'condition';
  if (name === 'ResourceNotFoundException') return 'table-missing';
  if (THROTTLING.has(name) || e.$retryable?.throttling === true) return 'retry-not-applied';
  if (MISCONFIGURED.has(name) || message.startsWith('Region is missing')) return 'misconfigured';
  if (NOT_SENT_CODES.has(code)) return 'retry-not-applied';
  if (name === 'TimeoutError' && message.includes('did not establish a connection'))
    return 'retry-not-applied';
  if (UNKNOWN_OUTCOME_CODES.has(code) || UNKNOWN_OUTCOME_NAMES.has(name) || message === 'socket hang up') {
    return 'retry-unknown-outcome';
  }
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return 'retry-unknown-outcome';
  if (
    name === 'InternalServerError' ||
    name === 'ServiceUnavailable' ||
    name === 'ServiceUnavailableException'
  ) {
    return 'retry-unknown-outcome';
  }
  return 'fatal';
}

/** A short description of an error for messages and logs. */
export function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' && e.code !== name ? ` ${e.code}` : '';
  const message = typeof e.message === 'string' ? `: ${e.message}` : '';
  return `${name}${code}${message}`;
}
