import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from './options.js';

describe('demo flags', () => {
  it('apply defaults, with the region from the environment', () => {
    expect(parseOptions([], { AWS_REGION: 'eu-west-1' }, true)).toEqual({
      endpoint: undefined,
      kinesisEndpoint: undefined,
      dynamodbEndpoint: undefined,
      aws: false,
      region: 'eu-west-1',
      stream: undefined,
      table: undefined,
      shards: 4,
      records: 20000,
      duration: 20,
      recordSize: 100,
      failoverMs: 3000,
      plain: false,
      keep: false,
    });
    expect(parseOptions([], {}, false)).toMatchObject({ region: 'us-east-1', plain: true });
  });

  it('take `--flag value`, `--flag=value`, booleans, and flags after a `--`', () => {
    const options = parseOptions(
      ['--', '--endpoint', 'http://localhost:4566', '--shards=2', '--records', '500', '--keep', '--plain'],
      {},
      true,
    );
    expect(options).toMatchObject({
      endpoint: 'http://localhost:4566',
      kinesisEndpoint: 'http://localhost:4566',
      dynamodbEndpoint: 'http://localhost:4566',
      shards: 2,
      records: 500,
      keep: true,
      plain: true,
    });
    expect(
      parseOptions(['--endpoint', 'http://a', '--dynamodb-endpoint', 'http://b'], {}, true),
    ).toMatchObject({ kinesisEndpoint: 'http://a', dynamodbEndpoint: 'http://b' });
    expect(parseOptions(['--records', '10', '--help'], {}, true)).toBe('help');
  });

  it('reject unknown flags, missing values, positionals, bad numbers and --aws with an endpoint', () => {
    for (const argv of [
      ['--shard', '2'],
      ['--stream'],
      ['extra'],
      ['--shards', 'two'],
      ['--records', '5'],
      ['--aws', '--endpoint', 'http://localhost:4566'],
    ]) {
      expect(() => parseOptions(argv, {}, true), argv.join(' ')).toThrow(UsageError);
    }
  });
});
