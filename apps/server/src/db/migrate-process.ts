/**
 * Runs pending migrations in a short-lived child process, so that the memory of Prisma's WASM schema
 * engine (~40 MB resident once compiled, and glibc keeps what its compiler threads freed) goes back to
 * the system when the child exits, instead of staying in the server for its whole life.
 *
 * The child is the server's own entry script started again (`process.argv[1]`, same Node flags) with
 * MIRADOR_MIGRATE_CHILD=1: server.ts sees the variable and calls serveMigrationChild() instead of
 * starting the server. Parent and child talk over the IPC channel of fork().
 *
 * The up-to-date check stays in the parent (better-sqlite3 only, a few milliseconds): the child is
 * started only when there is something to apply (a fresh install, an upgrade, a failed migration).
 */
import { fork } from 'node:child_process';
import { migrateDatabase, prepareDatabase, type MigrateOptions, type MigrateResult } from './migrate.js';

const CHILD_ENV = 'MIRADOR_MIGRATE_CHILD';

type ToChild = { dbPath: string; migrationsDir: string };
type FromChild =
  { type: 'log'; message: string } | { type: 'done'; applied: string[] } | { type: 'failed'; message: string; code: string | null };

export interface ChildEntry {
  /** The script the child runs; it must call serveMigrationChild() when isMigrationChild(). */
  script: string;
  execArgv: string[];
}

/** The running server's own entry and flags, without debugger flags (the child would fight over the port). */
export function ownEntry(): ChildEntry {
  return {
    script: process.argv[1]!,
    execArgv: process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a)),
  };
}

export async function migrateDatabaseInChild(opts: MigrateOptions, entry: ChildEntry = ownEntry()): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const pending = prepareDatabase(opts);
  if (!pending) return { applied: [] };

  const child = fork(entry.script, [], {
    execArgv: entry.execArgv,
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<MigrateResult>((resolve, reject) => {
    let outcome: FromChild | undefined;
    child.on('message', (raw) => {
      const msg = raw as FromChild;
      if (msg.type === 'log') log(msg.message);
      else outcome = msg;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (outcome?.type === 'done') return resolve({ applied: outcome.applied });
      if (outcome?.type === 'failed') {
        const err = new Error(outcome.message) as Error & { code?: string };
        if (outcome.code) err.code = outcome.code;
        return reject(err);
      }
      reject(new Error(`the migration process ended without an answer (${signal ?? `exit code ${code}`})`));
    });
    child.send({ dbPath: pending.dbPath, migrationsDir: opts.migrationsDir } satisfies ToChild);
  });
}

export const isMigrationChild = () => process.env[CHILD_ENV] === '1' && typeof process.send === 'function';

/** The child's side: one migration for the parent, answered over IPC, then exit. */
export function serveMigrationChild(): void {
  const send = (msg: FromChild) => new Promise<void>((r) => process.send!(msg, undefined, undefined, () => r()));
  process.once('message', (raw) => {
    const { dbPath, migrationsDir } = raw as ToChild;
    const run = async (): Promise<FromChild> => {
      try {
        const { applied } = await migrateDatabase({ dbPath, migrationsDir, log: (message) => void send({ type: 'log', message }) });
        return { type: 'done', applied };
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        return { type: 'failed', message: e.message, code: (e as Error & { code?: string }).code ?? null };
      }
    };
    void run()
      .then(send)
      .finally(() => process.exit(0));
  });
}
