import { defineConfig } from 'tsdown';

export default defineConfig({
  // The race child is a second entry so dist/ holds a file the cross-process race can start.
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    'testing-race-child': 'src/testing/race-child.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'node',
  target: 'node20',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
});
