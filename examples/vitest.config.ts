import { defineConfig } from 'vitest/config';

/** `pnpm --filter @kinesis-ts/examples test`: the examples' own tests, on the built packages (dist). */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
