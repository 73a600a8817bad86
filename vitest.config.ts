import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** Unit tests run against the packages' sources (no build needed); integration runs on the builds. */
export default defineConfig({
  test: {
    projects: [
      {
        resolve: {
          alias: [
            { find: /^@kinesis-ts\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
            { find: /^@kinesis-ts\/core$/, replacement: src('core/src/index.ts') },
            { find: /^@kinesis-ts\/state-memory$/, replacement: src('state-memory/src/index.ts') },
          ],
        },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/src/**/*.test.ts', 'examples/demo/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
    ],
  },
});
