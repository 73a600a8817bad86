/**
 * Checks shared by every package's options: no unknown (misspelled) keys, and structural checks of
 * the AWS SDK values users pass (clients, credentials, client config), so a mistake fails in the
 * constructor rather than at `start()` or never.
 */
import { nearestKey } from './edit-distance.js';
import { ErrorCode, ValidationError } from './errors.js';

/**
 * Every key of an options type, each mapped to `true`. Declaring the known keys with this type makes
 * the compiler check that the list and the interface agree.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** Where an options object sits, for error messages. */
export interface OptionPath {
  /** Prefix of the keys in messages and in `context.option`, e.g. `'fanOut.'`. Default `''`. */
  readonly path?: string;
  /** What the message starts with, e.g. `'KinesisProducer option'`. Default `'option'`. */
  readonly subject?: string;
}

function invalid(option: string, message: string, value: unknown, where: OptionPath): ValidationError {
  return new ValidationError(
    ErrorCode.INVALID_ARGUMENT,
    `${where.subject ?? 'option'} ${option} ${message}`,
    {
      context: { option, value },
    },
  );
}

/**
 * Rejects keys of `options` that are not in `known`, suggesting the nearest known key.
 * @throws ValidationError (`INVALID_ARGUMENT`) naming the first unknown key; its context has
 * `option`, `suggestion` (when one is close) and `knownOptions`.
 */
export function assertKnownOptions(
  options: object,
  known: OptionKeys<object> | readonly string[],
  where: OptionPath = {},
): void {
  const names: readonly string[] = Array.isArray(known) ? known : Object.keys(known);
  const allowed = new Set(names);
  for (const key of Object.keys(options)) {
    if (allowed.has(key)) continue;
    const suggestion = nearestKey(key, names);
    const option = `${where.path ?? ''}${key}`;
    const hint =
      suggestion === undefined
        ? `known options: ${names.join(', ')}`
        : `did you mean ${where.path ?? ''}${suggestion}?`;
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${where.subject ?? 'option'} ${option} is not a known option (${hint})`,
      { context: { option, suggestion, knownOptions: [...names] } },
    );
  }
}

/** True for a non-null object that is not an array. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks an AWS SDK v3 client passed as an option: an object with a `send()` method and a `config`
 * object (what every v3 client has). Any 3.x version fits.
 * @throws ValidationError naming `option`.
 */
export function assertSdkClient(
  value: unknown,
  option: string,
  expected: string,
  where: OptionPath = {},
): void {
  if (value === undefined) return;
  if (!isRecord(value) || typeof value.send !== 'function' || !isRecord(value.config)) {
    throw invalid(
      option,
      `must be ${expected} (an AWS SDK v3 client with send() and config)`,
      typeOf(value),
      where,
    );
  }
}

/**
 * Checks AWS credentials passed as an option: `{ accessKeyId, secretAccessKey, sessionToken? }`
 * with strings, or a provider function.
 * @throws ValidationError naming `option`.
 */
export function assertCredentials(value: unknown, option: string, where: OptionPath = {}): void {
  if (value === undefined || typeof value === 'function') return;
  if (
    !isRecord(value) ||
    typeof value.accessKeyId !== 'string' ||
    typeof value.secretAccessKey !== 'string' ||
    (value.sessionToken !== undefined && typeof value.sessionToken !== 'string')
  ) {
    throw invalid(
      option,
      'must be { accessKeyId, secretAccessKey, sessionToken? } (strings) or a credential provider function',
      typeOf(value),
      where,
    );
  }
}

/**
 * Checks an AWS SDK client config passed as an option: a plain object whose `region` (string or
 * provider), `endpoint` (string, URL, endpoint object or provider), `maxAttempts` (integer ≥ 1 or
 * provider) and `credentials` (see {@link assertCredentials}) have the right types when present.
 * Other fields are the SDK's to check.
 * @throws ValidationError naming the bad field.
 */
export function assertClientConfig(value: unknown, option: string, where: OptionPath = {}): void {
  if (value === undefined) return;
  if (!isRecord(value)) throw invalid(option, 'must be an SDK client config object', typeOf(value), where);
  const { region, endpoint, maxAttempts, credentials } = value;
  if (region !== undefined && typeof region !== 'string' && typeof region !== 'function') {
    throw invalid(`${option}.region`, 'must be a string or a provider function', region, where);
  }
  if (
    endpoint !== undefined &&
    typeof endpoint !== 'string' &&
    typeof endpoint !== 'function' &&
    !(endpoint instanceof URL) &&
    !(isRecord(endpoint) && typeof endpoint.hostname === 'string')
  ) {
    throw invalid(
      `${option}.endpoint`,
      'must be a URL string, a URL, an endpoint object or a provider',
      endpoint,
      where,
    );
  }
  if (
    maxAttempts !== undefined &&
    typeof maxAttempts !== 'function' &&
    !(typeof maxAttempts === 'number' && Number.isInteger(maxAttempts) && maxAttempts >= 1)
  ) {
    throw invalid(
      `${option}.maxAttempts`,
      'must be an integer ≥ 1 or a provider function',
      maxAttempts,
      where,
    );
  }
  assertCredentials(credentials, `${option}.credentials`, where);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
