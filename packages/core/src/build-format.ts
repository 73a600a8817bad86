/**
 * The output format of the running build. Each build gets it as a constant (tsdown `define`), so the
 * answer comes from the build itself, never from globals such as `__dirname` (which `node -e` defines
 * for every module).
 */

declare const __KINESIS_TS_FORMAT__: 'esm' | 'cjs' | undefined;

/** `'cjs'` in the CommonJS build, `'esm'` in the ES module build and in the sources. */
export const BUILD_FORMAT: 'esm' | 'cjs' =
  typeof __KINESIS_TS_FORMAT__ === 'string' ? __KINESIS_TS_FORMAT__ : 'esm';

/** The extension of this build's entry files: `.cjs` or `.mjs`. */
export const BUILD_EXTENSION: '.cjs' | '.mjs' = BUILD_FORMAT === 'cjs' ? '.cjs' : '.mjs';
