import { defineConfig } from 'vitest/config';

/**
 * Pure unit tests: no lab, no shared state outside the file. They run first, two at a time and in one
 * reused worker each (no fork per file: the fork and module loading cost more than most of these tests).
 */
const PURE = [
  'apps/server/test/unit/**/*.test.ts',
  'apps/server/test/db/**/*.test.ts',
  'packages/{argv,docker,net,rfb,contract}/test/**/*.test.ts',
  'packages/ssh/test/keys.test.ts',
  'packages/libvirt/test/{names,parse-domain,parse-domifaddr,parse-domstats}.test.ts',
];

// One runner for the whole workspace: unit tests (pure) and integration tests (real lab) of the server
// and packages, and the web app's unit tests (its own project: it compiles Svelte runes).
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: PURE,
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          testTimeout: 60_000,
        },
      },
      {
        extends: './apps/web/vitest.config.ts',
        test: { isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      // The integration tests share one lab: one file at a time, each in its own child process.
      {
        extends: true,
        test: {
          name: 'server',
          include: ['packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts'],
          exclude: PURE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
