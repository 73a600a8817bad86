/**
 * Errors as plain data, so they cross a process or thread boundary (IPC, `postMessage`, JSON) with
 * their `code`, `message`, `context` and `cause` chain, and come back as typed errors.
 */
import {
  ErrorCode,
  type ErrorContext,
  KinesisTsError,
  type LeaseConflictDetails,
  LeaseConflictError,
  LeaseLostError,
  LifecycleError,
  StateStoreError,
  ValidationError,
} from './errors.js';

/** The AWS SDK's response metadata, as far as it helps to explain an error. */
export interface TransferableMetadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  readonly extendedRequestId?: string;
  readonly cfId?: string;
  readonly attempts?: number;
  readonly totalRetryDelay?: number;
}

/** An error as plain, structured-clone- and JSON-safe data. */
export interface TransferableError {
  /** The error's class name (`KinesisTsError`, `ValidationError`, `ResourceNotFoundException`, ...). */
  readonly name: string;
  readonly message: string;
  /** A kinesis-ts {@link ErrorCode}, or the code of another error (e.g. `ECONNRESET`). */
  readonly code?: string;
  /** The kinesis-ts error's context (values that are errors stay {@link TransferableError} data). */
  readonly context?: Record<string, unknown>;
  /** AWS SDK errors: the response metadata. */
  readonly $metadata?: TransferableMetadata;
  /** AWS SDK errors: `'client'` or `'server'`. */
  readonly $fault?: string;
  readonly stack?: string;
  /** The cause, transferred the same way (at most 8 levels deep). */
  readonly cause?: TransferableError;
}

const MAX_DEPTH = 8;
const METADATA_FIELDS = [
  'httpStatusCode',
  'requestId',
  'extendedRequestId',
  'cfId',
  'attempts',
  'totalRetryDelay',
] as const;

function plainValue(value: unknown, depth: number): unknown {
  if (value instanceof Error) return toTransferable(value, depth + 1);
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function toTransferable(error: unknown, depth: number): TransferableError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: typeof error === 'string' ? error : String(error) };
  }
  const source = error as Error & {
    code?: unknown;
    context?: unknown;
    $metadata?: Record<string, unknown>;
    $fault?: unknown;
  };
  const result: {
    -readonly [K in keyof TransferableError]: TransferableError[K];
  } = { name: source.name, message: source.message };
  if (typeof source.code === 'string') result.code = source.code;
  if (error instanceof KinesisTsError) {
    const context: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error.context)) context[key] = plainValue(value, depth);
    result.context = context;
  }
  if (source.$metadata !== null && typeof source.$metadata === 'object') {
    const metadata: Record<string, unknown> = {};
    for (const field of METADATA_FIELDS) {
      const value = source.$metadata[field];
      if (typeof value === 'string' || typeof value === 'number') metadata[field] = value;
    }
    result.$metadata = metadata as TransferableMetadata;
  }
  if (typeof source.$fault === 'string') result.$fault = source.$fault;
  if (typeof source.stack === 'string') result.stack = source.stack;
  if (source.cause !== undefined && depth < MAX_DEPTH) result.cause = toTransferable(source.cause, depth + 1);
  return result;
}

/**
 * Turns any thrown value into plain data that keeps its name, message, code, context, AWS metadata
 * and `cause` chain. Safe for `child_process` IPC (both serializations), `worker_threads` and JSON.
 */
export function toTransferableError(error: unknown): TransferableError {
  return toTransferable(error, 0);
}

function isTransferable(value: unknown): value is TransferableError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TransferableError).name === 'string' &&
    typeof (value as TransferableError).message === 'string'
  );
}

function kinesisTsError(value: TransferableError, code: ErrorCode, cause: unknown): KinesisTsError {
  const context: ErrorContext = { ...value.context };
  const options = { cause, context };
  switch (value.name) {
    case 'ValidationError':
      return new ValidationError(code, value.message, options);
    case 'LifecycleError':
      return new LifecycleError(code, value.message, options);
    case 'StateStoreError':
      return new StateStoreError(code, value.message, options);
    case 'LeaseLostError':
      return new LeaseLostError(context as unknown as LeaseConflictDetails, {
        cause,
        message: value.message,
      });
    case 'LeaseConflictError':
      return new LeaseConflictError(
        context as unknown as LeaseConflictDetails,
        { cause, message: value.message },
        code,
      );
    default: {
      const error = new KinesisTsError(code, value.message, options);
      // A subclass of another package (e.g. ProducerRecordError) keeps its name.
      if (value.name !== error.name) error.name = value.name;
      return error;
    }
  }
}

/**
 * Rebuilds an error from {@link toTransferableError}'s data: a kinesis-ts code gives the matching
 * core class (`ValidationError`, `StateStoreError`, `LeaseLostError`, ... else `KinesisTsError`, with
 * the original `name`); any other error gives an `Error` with its `name`, `code`, `$metadata` and
 * `$fault`. Causes are rebuilt the same way. The stack is the original one.
 */
export function fromTransferableError(value: TransferableError): Error {
  if (!isTransferable(value)) return new Error(String((value as { message?: unknown })?.message ?? value));
  const cause = value.cause === undefined ? undefined : fromTransferableError(value.cause);
  let error: Error;
  if (value.code !== undefined && value.code in ErrorCode) {
    error = kinesisTsError(value, value.code as ErrorCode, cause);
  } else {
    error = new Error(value.message, cause === undefined ? undefined : { cause });
    error.name = value.name;
    const extra = error as Error & { code?: string; $metadata?: TransferableMetadata; $fault?: string };
    if (value.code !== undefined) extra.code = value.code;
    if (value.$metadata !== undefined) extra.$metadata = { ...value.$metadata };
    if (value.$fault !== undefined) extra.$fault = value.$fault;
  }
  if (value.stack !== undefined) error.stack = value.stack;
  return error;
}

/** Key of a transferred log context that lists which of its fields were errors. */
const ERROR_FIELDS = '$errorFields';

/**
 * A log context as plain data for IPC: top-level `Error` values (the `error` field by convention)
 * become {@link TransferableError}s, listed so {@link fromTransferableLogContext} rebuilds them.
 */
export function toTransferableLogContext(
  context: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (context === undefined) return undefined;
  const fields: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value instanceof Error) {
      result[key] = toTransferableError(value);
      fields.push(key);
    } else {
      result[key] = value;
    }
  }
  if (fields.length > 0) result[ERROR_FIELDS] = fields;
  return result;
}

/** Rebuilds the errors of a log context sent with {@link toTransferableLogContext}. */
export function fromTransferableLogContext(
  context: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (context === undefined || !Array.isArray(context[ERROR_FIELDS])) return context;
  const { [ERROR_FIELDS]: fields, ...result } = context;
  for (const key of fields as unknown[]) {
    if (typeof key === 'string' && isTransferable(result[key])) {
      result[key] = fromTransferableError(result[key] as TransferableError);
    }
  }
  return result;
}
