import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: unit tests (pure) and integration tests (real lab).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
