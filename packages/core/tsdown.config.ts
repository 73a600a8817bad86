import { defineConfig } from 'tsdown';

export default defineConfig({
  // The race child is a second entry so dist/ holds a file the cross-process race can start.
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    'testing-race-child': 'src/testing/race-child.ts',
  },
  // Each build knows its own format (src/build-format.ts), so it finds its own race child.
  format: {
    esm: { define: { __KINESIS_TS_FORMAT__: '"esm"' } },
    cjs: { define: { __KINESIS_TS_FORMAT__: '"cjs"' } },
  },
  dts: true,
  platform: 'node',
  target: 'node20',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
});
