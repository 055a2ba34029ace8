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

/**
 * Lab files that look at this test process itself — its SSH sessions on the lab sshd, the `virsh event`
 * followers below it, its own sockets — need a process of their own: in a shared one, what an earlier file
 * left open would be counted as theirs. (The pure unit tests among them stay in the unit project; the
 * fault-injection project keeps a process per file too: its files kill and restart what it is connected to.)
 * Since each counts only what is below its own process, they run in the first group, beside the unit
 * tests, instead of after the shared server process (~40 s of mostly waiting on the lab sshd).
 */
const OWN_PROCESS = [
  'apps/server/test/integration/live-inventory.test.ts',
  'apps/server/test/integration/host-connection-truth.test.ts',
  'packages/ssh/test/**/*.test.ts',
];

/**
 * `shared`: the project's files run one after the other in ONE child process (isolate: false), so the
 * server's modules are loaded once instead of once per file — that was ~5 s of CPU per file (module
 * loading, Prisma's query compiler, the first app's lazy imports). Each file still builds its own app on
 * its own fresh database and lab objects named after it; only the loaded code is shared.
 */
const lab = (name: string, include: string[], exclude: string[] = [], { shared = false, firstGroup = false } = {}) => ({
  extends: true as const,
  test: {
    name,
    include,
    exclude: ['**/node_modules/**', ...exclude],
    // Vitest runs a group with one worker count for all its projects: the first group's is 2.
    maxWorkers: firstGroup ? 2 : 1,
    isolate: !shared,
    sequence: { groupOrder: firstGroup ? 0 : 1 },
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
      // The integration tests share one lab: one file at a time. The security suite and the fault-injection
      // suite are phases of their own in scripts/test.sh.
      lab('server', ['packages/*/test/**/*.test.ts', 'apps/server/test/**/*.test.ts'], [...PURE, ...SECURITY, ...FAULTS, ...OWN_PROCESS], {
        shared: true,
      }),
      lab('server-own-process', OWN_PROCESS, PURE, { firstGroup: true }),
      lab('security', SECURITY, [], { shared: true }),
      lab('faults', FAULTS),
    ],
  },
});
