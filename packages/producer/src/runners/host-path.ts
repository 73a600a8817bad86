/**
 * Locates the background host's entry file next to the built module (ESM or CJS build).
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `host-main` file of this build: `host-main.cjs` beside the CJS build, `host-main.mjs` beside the
 * ESM build. Both builds put their chunks in the same `dist/` folder.
 */
export function defaultHostModulePath(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const preferred = here.endsWith('.cjs') ? 'host-main.cjs' : 'host-main.mjs';
  const candidate = join(dir, preferred);
  if (existsSync(candidate)) return candidate;
  return join(dir, preferred === 'host-main.cjs' ? 'host-main.mjs' : 'host-main.cjs');
}
