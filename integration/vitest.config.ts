import { defineConfig } from 'vitest/config';

// The SDK warns once per process that Node 20 support ends in 2027; the suite runs on Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Integration scenarios: run on the built packages (dist) against the back-end chosen by the global setup. */
export default defineConfig({
  test: {
    name: 'integration',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    globalSetup: ['./src/global-setup.ts'],
    setupFiles: ['./src/setup-env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
  },
});
