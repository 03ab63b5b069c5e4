import { defineConfig } from 'vitest/config';

/** Unit tests: fast, no browser. Files named *.test.ts beside the code they test. */
export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'native/**/*.test.ts', 'renderer/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
