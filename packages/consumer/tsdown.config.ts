import { defineConfig } from 'tsdown';

export default defineConfig({
  // The shard worker is a second entry so dist/ holds a file the process and thread runners can start.
  entry: { index: 'src/index.ts', 'shard-worker-main': 'src/runners/shard-worker-main.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'node',
  target: 'node20',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
});
