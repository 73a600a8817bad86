/**
 * Turns a failure into what the user reads: the message and, where one exists, what to do about it.
 */
import { ErrorCode, isKinesisTsError } from '@kinesis-ts/core';
import { CliUsageError } from './cli-error.js';

/** What to print for an error. */
export interface ExplainedError {
  /** Stable code for `--json` (a kinesis-ts `ErrorCode`, an AWS exception name, or `ERROR`). */
  readonly code: string;
  /** What went wrong. */
  readonly message: string;
  /** What to do about it, when known. */
  readonly hint: string | undefined;
}

function name(error: unknown): string | undefined {
  const n = (error as { name?: unknown } | null)?.name;
  return typeof n === 'string' ? n : undefined;
}

function rootCause(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 5; i++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) break;
    current = cause;
  }
  return current;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const CREDENTIALS_HINT =
  'no AWS credentials were found: pass --profile <name> (or set AWS_PROFILE), set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`; for LocalStack or an emulator any non-empty keys work';

/** Explains `error` for the user. */
export function explainError(error: unknown): ExplainedError {
  if (error instanceof CliUsageError) {
    return {
      code: error.code,
      message: error.message,
      hint: `run \`kinesis-ts ${error.command === undefined ? '' : `${error.command} `}--help\``,
    };
  }
  const root = rootCause(error);
  const rootName = name(root);
  const message = messageOf(error);
  if (rootName === 'CredentialsProviderError' || /could not load credentials/i.test(messageOf(root))) {
    return { code: 'NO_CREDENTIALS', message: messageOf(root), hint: CREDENTIALS_HINT };
  }
  if (/region is missing/i.test(messageOf(root))) {
    return {
      code: 'NO_REGION',
      message: messageOf(root),
      hint: 'pass --region <region> or set AWS_REGION (or a region in your profile)',
    };
  }
  if (rootName === 'UnrecognizedClientException' || rootName === 'InvalidSignatureException') {
    return {
      code: rootName,
      message,
      hint: 'the credentials were rejected: check the profile or keys, and that --region matches them',
    };
  }
  if (rootName === 'AccessDeniedException') {
    return {
      code: rootName,
      message,
      hint: 'the credentials lack a permission this command needs (see the message)',
    };
  }
  if (isKinesisTsError(error)) {
    let hint: string | undefined;
    if (error.code === ErrorCode.STREAM_NOT_FOUND)
      hint = 'check the name and region: `kinesis-ts streams list`';
    if (error.code === ErrorCode.STATE_STORE_MISCONFIGURED && /not found/i.test(message)) {
      const table = error.context.tableName;
      hint = `create it with \`kinesis-ts table create ${typeof table === 'string' ? table : '<table>'}\``;
    }
    if (error.code === ErrorCode.STATE_STORE_UNAVAILABLE || error.code === ErrorCode.TIMEOUT) {
      hint = 'check the endpoint, network and credentials (--region, --endpoint-url, --profile)';
    }
    return { code: error.code, message, hint };
  }
  const code = name(error);
  if (code === 'ResourceNotFoundException') {
    return { code, message, hint: 'check the name and region: `kinesis-ts streams list`' };
  }
  const network = (root as { code?: unknown } | null)?.code;
  if (network === 'ECONNREFUSED' || network === 'ENOTFOUND' || network === 'ETIMEDOUT') {
    return {
      code: String(network),
      message: `${message} (${String(network)})`,
      hint: 'nothing answered at the endpoint: check --endpoint-url / AWS_ENDPOINT_URL_* and --region',
    };
  }
  return { code: code ?? 'ERROR', message, hint: undefined };
}
