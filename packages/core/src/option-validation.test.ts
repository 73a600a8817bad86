import { describe, expect, it } from 'vitest';
import { editDistance, nearestKey } from './edit-distance.js';
import { ErrorCode, ValidationError } from './errors.js';
import {
  assertClientConfig,
  assertCredentials,
  assertKnownOptions,
  assertSdkClient,
  type OptionKeys,
} from './option-validation.js';

function thrown(fn: () => void): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
    expect(editDistance('initialPosition', 'initialPosition')).toBe(0);
    expect(editDistance('intialPosition', 'initialPosition')).toBe(1);
    expect(editDistance('consumerNmae', 'consumerName')).toBe(1);
    expect(editDistance('record', 'records')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
  });
});

describe('nearestKey', () => {
  const keys = ['streamName', 'initialPosition', 'bufferTime', 'maxAttempts', 'store', 'clock'];
  it('suggests the closest key, case-insensitively', () => {
    expect(nearestKey('intialPosition', keys)).toBe('initialPosition');
    expect(nearestKey('StreamName', keys)).toBe('streamName');
    expect(nearestKey('maxAttempt', keys)).toBe('maxAttempts');
    expect(nearestKey('stor', keys)).toBe('store');
  });
  it('suggests a key that contains the name or is contained in it', () => {
    expect(nearestKey('bufferTimeMs', keys)).toBe('bufferTime');
  });
  it('suggests nothing when no key is close', () => {
    expect(nearestKey('somethingElse', keys)).toBeUndefined();
    expect(nearestKey('x', keys)).toBeUndefined();
  });
});

interface Example {
  streamName: string;
  initialPosition?: string;
  logger?: unknown;
}
const EXAMPLE_KEYS: OptionKeys<Example> = { streamName: true, initialPosition: true, logger: true };

describe('assertKnownOptions', () => {
  it('accepts known keys, whether set or not', () => {
    assertKnownOptions({ streamName: 's' }, EXAMPLE_KEYS);
    assertKnownOptions({ streamName: 's', initialPosition: undefined, logger: console }, EXAMPLE_KEYS);
  });
  it('rejects a misspelled key and suggests the known one', () => {
    const error = thrown(() =>
      assertKnownOptions({ streamName: 's', intialPosition: 'LATEST' }, EXAMPLE_KEYS),
    );
    expect(error.message).toBe('option intialPosition is not a known option (did you mean initialPosition?)');
    expect(error.context).toMatchObject({ option: 'intialPosition', suggestion: 'initialPosition' });
  });
  it('names nested options with their path and subject', () => {
    const error = thrown(() =>
      assertKnownOptions({ record: 5 }, ['records', 'ms'], {
        path: 'checkpointInterval.',
        subject: 'Thing option',
      }),
    );
    expect(error.message).toBe(
      'Thing option checkpointInterval.record is not a known option (did you mean checkpointInterval.records?)',
    );
    expect(error.context.option).toBe('checkpointInterval.record');
  });
  it('lists the known keys when nothing is close', () => {
    const error = thrown(() => assertKnownOptions({ zzzzzz: 1 }, EXAMPLE_KEYS));
    expect(error.message).toContain('known options: streamName, initialPosition, logger');
    expect(error.context.suggestion).toBeUndefined();
  });
});

describe('SDK value checks', () => {
  it('accepts SDK-shaped clients and rejects anything else', () => {
    assertSdkClient({ send: async () => ({}), config: {} }, 'kinesisClient', 'a KinesisClient');
    assertSdkClient(undefined, 'kinesisClient', 'a KinesisClient');
    expect(
      thrown(() => assertSdkClient({ region: 'x' }, 'kinesisClient', 'a KinesisClient')).message,
    ).toContain('kinesisClient must be a KinesisClient');
    thrown(() => assertSdkClient('client', 'kinesisClient', 'a KinesisClient'));
    thrown(() => assertSdkClient({ send: () => {} }, 'kinesisClient', 'a KinesisClient'));
  });
  it('accepts static credentials and providers, rejects other shapes without echoing secrets', () => {
    assertCredentials({ accessKeyId: 'a', secretAccessKey: 'b' }, 'credentials');
    assertCredentials({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' }, 'credentials');
    assertCredentials(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), 'credentials');
    const error = thrown(() => assertCredentials({ accessKeyId: 'a', secret: 'hunter2' }, 'credentials'));
    expect(JSON.stringify(error.context)).not.toContain('hunter2');
    thrown(() => assertCredentials('AKIA...', 'credentials'));
  });
  it('checks the typed fields of a client config', () => {
    assertClientConfig(
      { region: 'eu-west-1', endpoint: 'http://localhost:4567', maxAttempts: 3 },
      'clientConfig',
    );
    assertClientConfig({ region: async () => 'x', endpoint: new URL('http://h'), custom: 1 }, 'clientConfig');
    expect(thrown(() => assertClientConfig('eu-west-1', 'clientConfig')).message).toContain(
      'clientConfig must be',
    );
    expect(thrown(() => assertClientConfig({ region: 5 }, 'clientConfig')).context.option).toBe(
      'clientConfig.region',
    );
    expect(thrown(() => assertClientConfig({ endpoint: 4567 }, 'clientConfig')).context.option).toBe(
      'clientConfig.endpoint',
    );
    expect(thrown(() => assertClientConfig({ maxAttempts: 0 }, 'clientConfig')).context.option).toBe(
      'clientConfig.maxAttempts',
    );
    expect(
      thrown(() => assertClientConfig({ credentials: { key: 'x' } }, 'clientConfig')).context.option,
    ).toBe('clientConfig.credentials');
  });
});
