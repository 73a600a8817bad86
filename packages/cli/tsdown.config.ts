import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    // The programmatic entry (runCli and its types), ESM + CJS like every package.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    fixedExtension: true,
    sourcemap: true,
    clean: true,
  },
  {
    // The `kinesis-ts` executable: ESM only, keeps the shebang of src/bin.ts.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    dts: false,
    platform: 'node',
    target: 'node20',
    fixedExtension: true,
    sourcemap: true,
    clean: false,
  },
]);
