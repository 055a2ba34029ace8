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

const SECURITY = ['apps/server/test/security/**/*.test.ts'];
const FAULTS = ['apps/server/test/faults/**/*.test.ts'];

const lab = (name: string, include: string[], exclude: string[] = []) => ({
  extends: true as const,
  test: {
    name,
    include,
    exclude: ['**/node_modules/**', ...exclude],
    maxWorkers: 1,
    sequence: { groupOrder: 1 },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

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
      // The web tests stub globals (fetch, WebSocket) per file: each file keeps its own worker.
      {
        extends: './apps/web/vitest.config.ts',
        test: { maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      // The integration tests share one lab: one file at a time, each in its own child process. The
      // security suite and the fault-injection suite are phases of their own in scripts/test.sh.
      lab('server', ['packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts'], [...PURE, ...SECURITY, ...FAULTS]),
      lab('security', SECURITY),
      lab('faults', FAULTS),
    ],
  },
});
