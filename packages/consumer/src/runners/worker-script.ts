/**
 * Locates the shard worker entry (`shard-worker-main.mjs` / `.cjs`) next to the built module.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';

function moduleDirectory(): string {
  // The CJS build has `__dirname`; the ESM build has `import.meta.url`.
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The path of the shard worker script: `override` when given, else the entry shipped beside this
 * module in `dist/` (the `.cjs` one from the CJS build, the `.mjs` one from the ESM build).
 * @throws KinesisTsError (`INVALID_ARGUMENT`) when the file does not exist (e.g. running from sources).
 */
export function resolveWorkerScript(override?: string): string {
  const candidates =
    override !== undefined
      ? [override]
      : (() => {
          const dir = moduleDirectory();
          const preferred = typeof __dirname === 'string' ? ['.cjs', '.mjs'] : ['.mjs', '.cjs'];
          return [
            ...preferred.map((ext) => join(dir, `shard-worker-main${ext}`)),
            ...preferred.map((ext) => join(dir, '..', `shard-worker-main${ext}`)),
          ];
        })();
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new KinesisTsError(
    ErrorCode.INVALID_ARGUMENT,
    `shard worker script not found (looked at ${candidates.join(', ')}); build the package or use runner 'inline'`,
    { context: { candidates } },
  );
}
