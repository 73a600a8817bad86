/**
 * The TypeScript side of "your own AWS SDK" (issue #13): `tsc` accepts clients of
 * `@aws-sdk/client-kinesis` / `@aws-sdk/client-dynamodb` 3.600.0 (a second, older copy of the SDK)
 * as the consumer's `kinesisClient`, the producer's `client`, `DynamoDBState`'s `client` and
 * `createStateTable`'s client, on the published declarations (see test/types/old-sdk-clients.ts,
 * whose `@ts-expect-error` control proves the two copies are distinct types). No back-end needed;
 * about 5-10 s of tsc.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('an older pinned AWS SDK client passed to kinesis-ts', () => {
  it('type-checks as kinesisClient, client and DynamoDBState client', { timeout: 120_000 }, async () => {
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', project], {
      encoding: 'utf8',
    }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    expect(result).toEqual({ code: 0, output: '' });
  });
});
