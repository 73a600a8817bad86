/**
 * The output format of the running build and the folder it runs from. Each build gets its format as
 * a constant (tsdown `define`), so the answer comes from the build itself, never from globals such as
 * `__dirname` (which `node -e` defines for every module).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __KINESIS_TS_FORMAT__: 'esm' | 'cjs' | undefined;

/** `'cjs'` in the CommonJS build, `'esm'` in the ES module build and in the sources. */
export const BUILD_FORMAT: 'esm' | 'cjs' =
  typeof __KINESIS_TS_FORMAT__ === 'string' ? __KINESIS_TS_FORMAT__ : 'esm';

/** The extension of this build's entry files: `.cjs` or `.mjs`. */
export const BUILD_EXTENSION: '.cjs' | '.mjs' = BUILD_FORMAT === 'cjs' ? '.cjs' : '.mjs';

/**
 * The folder of the module that holds this code: `dist/` of the installed package, or the output
 * folder of an application bundle that inlined it. `undefined` when a bundler turned the ES module
 * build into CommonJS (`import.meta` is empty there).
 */
export function buildDirectory(): string | undefined {
  if (BUILD_FORMAT === 'cjs') return __dirname;
  const url: unknown = import.meta.url;
  return typeof url === 'string' ? dirname(fileURLToPath(url)) : undefined;
}
