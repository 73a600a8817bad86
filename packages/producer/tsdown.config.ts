import { defineConfig } from 'tsdown';

export default defineConfig({
  // host-main is the background process' entry: forked by the process runner from dist/.
  entry: { index: 'src/index.ts', 'host-main': 'src/host/host-main.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'node',
  target: 'node20',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
});
