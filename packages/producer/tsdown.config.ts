import { defineConfig } from 'tsdown';

export default defineConfig({
  // host-main is the background process' entry: forked by the process runner from dist/; it is also
  // exported (`@kinesis-ts/producer/host`) for bundlers to take as an entry point.
  entry: { index: 'src/index.ts', 'host-main': 'src/host/host-main.ts' },
  // Each build knows its own format (src/build-format.ts), so it finds its own host entry.
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
