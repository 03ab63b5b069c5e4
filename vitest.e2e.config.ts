import { defineConfig } from 'vitest/config';

/** End-to-end tests: a real `serve` process, real Chromium (playwright-core), real clients. One file at a time. */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
