import { defineConfig } from 'tsdown';

export default defineConfig({
  // The shard worker is a second entry so dist/ holds a file the process and thread runners can start;
  // it is also exported (`@kinesis-ts/consumer/shard-worker`) for bundlers to take as an entry point.
  entry: { index: 'src/index.ts', 'shard-worker-main': 'src/runners/shard-worker-main.ts' },
  // Each build knows its own format (src/build-format.ts), so it finds its own worker entry.
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
