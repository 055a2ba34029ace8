import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: unit tests (pure) and integration tests (real lab) of the server
// and packages, and the web app's unit tests (its own project: it compiles Svelte runes).
export default defineConfig({
  test: {
    // The integration tests share one lab: one file at a time, in child processes.
    pool: 'forks',
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      'apps/web/vitest.config.ts',
    ],
  },
});
