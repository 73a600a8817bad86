/**
 * Locates the shard worker entry (`shard-worker-main.mjs` / `.cjs`) of this build, or checks the
 * `workerScript` option.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';
import { BUILD_EXTENSION, buildDirectory } from '../build-format.js';

/** Where the README explains how to ship the worker entry with a bundled application. */
export const BUNDLING_HELP = 'https://github.com/kinesis-ts/kinesis-ts/tree/main/packages/consumer#bundling';

/**
 * The path of the shard worker script: `override` (the `workerScript` option) when given, else the
 * entry this build ships beside itself in `dist/` (`.mjs` beside the ES module build, `.cjs` beside
 * the CommonJS build).
 * @throws KinesisTsError (`INVALID_ARGUMENT`) when the file does not exist: an application bundle
 * that inlined this package, or the sources without a build.
 */
export function resolveWorkerScript(override?: string): string {
  if (override !== undefined) {
    if (existsSync(override)) return override;
    throw new KinesisTsError(
      ErrorCode.INVALID_ARGUMENT,
      `workerScript ${override} does not exist: point it at your build of '@kinesis-ts/consumer/shard-worker' (see ${BUNDLING_HELP})`,
      { context: { workerScript: override } },
    );
  }
  const dir = buildDirectory();
  const candidate = dir === undefined ? undefined : join(dir, `shard-worker-main${BUILD_EXTENSION}`);
  if (candidate !== undefined && existsSync(candidate)) return candidate;
  throw new KinesisTsError(
    ErrorCode.INVALID_ARGUMENT,
    `shard worker script not found${candidate === undefined ? '' : ` at ${candidate}`}. ` +
      `A bundled application must bundle '@kinesis-ts/consumer/shard-worker' as an extra entry point ` +
      `and pass its output file as the workerScript option (see ${BUNDLING_HELP}); or use runner 'inline'`,
    { context: { candidate } },
  );
}
