import { describe, expect, it } from 'vitest';
import { classifyDynamoDBError } from './dynamodb-errors.js';
import { networkError, sdkError } from './test-support/fake-dynamodb.js';

describe('classifyDynamoDBError', () => {
  it.each([
    [sdkError('ConditionalCheckFailedException'), 'condition'],
    [sdkError('ResourceNotFoundException'), 'table-missing'],
    [sdkError('ProvisionedThroughputExceededException'), 'retry-not-applied'],
    [sdkError('ThrottlingException'), 'retry-not-applied'],
    [sdkError('RequestLimitExceeded'), 'retry-not-applied'],
    [sdkError('SomethingNew', { $retryable: { throttling: true } }), 'retry-not-applied'],
    [networkError('ECONNREFUSED'), 'retry-not-applied'],
    [networkError('ENOTFOUND'), 'retry-not-applied'],
    [
      Object.assign(new Error('the request socket did not establish a connection with the server'), {
        name: 'TimeoutError',
      }),
      'retry-not-applied',
    ],
    [networkError('ECONNRESET', 'TimeoutError'), 'retry-unknown-outcome'],
    [networkError('ETIMEDOUT', 'TimeoutError'), 'retry-unknown-outcome'],
    [networkError('EPIPE'), 'retry-unknown-outcome'],
    [sdkError('InternalServerError'), 'retry-unknown-outcome'],
    [
      Object.assign(new Error('x'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }),
      'retry-unknown-outcome',
    ],
    [sdkError('AccessDeniedException'), 'misconfigured'],
    [sdkError('UnrecognizedClientException'), 'misconfigured'],
    [sdkError('CredentialsProviderError'), 'misconfigured'],
    [sdkError('ValidationException'), 'misconfigured'],
    [new TypeError('bug'), 'fatal'],
    ['a string', 'fatal'],
  ])('%s → %s', (error, kind) => {
    expect(classifyDynamoDBError(error)).toBe(kind);
  });
});
