/**
 * Locates the shard worker entry (`shard-worker-main.cjs` / `.mjs`) shipped beside this build, or checks
 * the `workerScript` option.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';
import { BUILD_EXTENSION, buildDirectory } from '../build-format.js';

/** Where the README explains how to ship the worker entry with a bundled application. */
export const BUNDLING_HELP = 'https://github.com/kinesis-ts/kinesis-ts/tree/main/packages/consumer#bundling';

/** Options of {@link resolveWorkerScript}. */
export interface ResolveWorkerScriptOptions {
  /**
   * Take the CommonJS entry (`shard-worker-main.cjs`) when it is there, whichever build runs (default
   * `true`). A worker boots faster from it: Node loads the AWS SDK's CommonJS files directly instead of
   * through its ES module loader (bench/src/pool-phases.ts: about 80 ms less CPU and 9–14 MiB less peak
   * RSS per shard process).
   * `false` takes this build's own format, e.g. so an ES module `workerClientModule` shares the
   * worker's SDK instead of loading a second copy.
   */
  readonly preferCommonJs?: boolean;
  /** The folder to look in; default the folder of this build (`dist/`). */
  readonly directory?: string;
}

/**
 * The path of the shard worker script: `override` (the `workerScript` option) when given, else the
 * entry the package ships beside this build in `dist/`: `shard-worker-main.cjs` (see
 * {@link ResolveWorkerScriptOptions.preferCommonJs}), else this build's own (`.mjs` beside the ES
 * module build).
 * @throws KinesisTsError (`INVALID_ARGUMENT`) when the file does not exist: an application bundle
 * that inlined this package, or the sources without a build.
 */
export function resolveWorkerScript(override?: string, options: ResolveWorkerScriptOptions = {}): string {
  if (override !== undefined) {
    if (existsSync(override)) return override;
    throw new KinesisTsError(
      ErrorCode.INVALID_ARGUMENT,
      `workerScript ${override} does not exist: point it at your build of '@kinesis-ts/consumer/shard-worker' (see ${BUNDLING_HELP})`,
      { context: { workerScript: override } },
    );
  }
  const dir = options.directory ?? buildDirectory();
  if (dir !== undefined && (options.preferCommonJs ?? true)) {
    const commonJs = join(dir, 'shard-worker-main.cjs');
    if (existsSync(commonJs)) return commonJs;
  }
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
