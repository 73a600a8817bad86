/**
 * Locates the background host's entry file (`host-main.mjs` / `.cjs`) of this build, or checks the
 * `hostModulePath` option.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';
import { BUILD_EXTENSION, buildDirectory } from '../build-format.js';

/** Where the README explains how to ship the host entry with a bundled application. */
export const BUNDLING_HELP = 'https://github.com/kinesis-ts/kinesis-ts/tree/main/packages/producer#bundling';

/**
 * The path of the background host's entry: `override` (the `hostModulePath` option) when given, else
 * the entry this build ships beside itself in `dist/` (`host-main.mjs` beside the ES module build,
 * `host-main.cjs` beside the CommonJS build).
 * @throws KinesisTsError (`INVALID_ARGUMENT`) when the file does not exist: an application bundle
 * that inlined this package, or the sources without a build.
 */
export function resolveHostModulePath(override?: string): string {
  if (override !== undefined) {
    if (existsSync(override)) return override;
    throw new KinesisTsError(
      ErrorCode.INVALID_ARGUMENT,
      `hostModulePath ${override} does not exist: point it at your build of '@kinesis-ts/producer/host' (see ${BUNDLING_HELP})`,
      { context: { hostModulePath: override } },
    );
  }
  const dir = buildDirectory();
  const candidate = dir === undefined ? undefined : join(dir, `host-main${BUILD_EXTENSION}`);
  if (candidate !== undefined && existsSync(candidate)) return candidate;
  throw new KinesisTsError(
    ErrorCode.INVALID_ARGUMENT,
    `background host entry not found${candidate === undefined ? '' : ` at ${candidate}`}. ` +
      `A bundled application must bundle '@kinesis-ts/producer/host' as an extra entry point ` +
      `and pass its output file as the hostModulePath option (see ${BUNDLING_HELP}); or use runner 'inline'`,
    { context: { candidate } },
  );
}
