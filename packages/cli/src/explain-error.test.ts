import { ErrorCode, KinesisTsError, StateStoreError } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { explainError } from './explain-error.js';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('explainError', () => {
  it('tells what to do about missing credentials and region, also when wrapped', () => {
    const credentials = explainError(
      new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, 'ListShards failed', {
        cause: named('CredentialsProviderError', 'Could not load credentials from any providers'),
      }),
    );
    expect(credentials.code).toBe('NO_CREDENTIALS');
    expect(credentials.hint).toContain('--profile');
    const region = explainError(new Error('Region is missing'));
    expect(region).toEqual({
      code: 'NO_REGION',
      message: 'Region is missing',
      hint: 'pass --region <region> or set AWS_REGION (or a region in your profile)',
    });
  });

  it('points a missing table to `table create`, an unknown stream to `streams list`', () => {
    const table = explainError(
      new StateStoreError(ErrorCode.STATE_STORE_MISCONFIGURED, 'DynamoDB table "t1x" was not found', {
        context: { tableName: 't1x' },
      }),
    );
    expect(table.hint).toBe('create it with `kinesis-ts table create t1x`');
    expect(
      explainError(new KinesisTsError(ErrorCode.STREAM_NOT_FOUND, 'stream "x" not found')).hint,
    ).toContain('kinesis-ts streams list');
    expect(explainError(named('ResourceNotFoundException', 'Stream x not found')).code).toBe(
      'ResourceNotFoundException',
    );
  });

  it('names rejected credentials, refused connections and usage errors', () => {
    expect(explainError(named('UnrecognizedClientException', 'bad token')).hint).toContain('rejected');
    const refused = explainError(
      new Error('connect', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
    );
    expect(refused.code).toBe('ECONNREFUSED');
    expect(refused.hint).toContain('--endpoint-url');
    expect(explainError(new CliUsageError('missing <stream>', 'tail')).hint).toBe(
      'run `kinesis-ts tail --help`',
    );
    expect(explainError(new Error('odd'))).toEqual({ code: 'Error', message: 'odd', hint: undefined });
  });
});
