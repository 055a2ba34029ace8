import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from './config.js';
import { buildApp } from './app.js';
import { isMigrationChild, migrateDatabaseInChild, serveMigrationChild } from './db/migrate-process.js';

/**
 * Prisma's query compiler is a 3 MB WebAssembly module that runs for every query. V8 first compiles it
 * with its baseline compiler (Liftoff), then recompiles the functions it finds hot with TurboFan on
 * background threads; those compilations leave 50-80 MB in glibc's per-thread arenas that is never
 * given back (measured on an idle server without hosts: RSS ~235 MB → ~185 MB without them). Queries
 * are not slower on Liftoff code (0.6-0.9 ms per query either way in the same measurement: the time is
 * SQLite and the JS around it), so tiering up is disabled by giving it a budget it never spends. A
 * tuning flag, not a test-only one: a function Liftoff cannot compile still goes to TurboFan. Set
 * before the module is compiled (first query), which is all V8 needs for a WebAssembly flag.
 */
setFlagsFromString('--wasm-tiering-budget=2000000000');

/** Starts Mirador: migrate the database, build the app, listen, and close cleanly on signals. */
async function main() {
  const config = loadConfig();
  // The database holds hashed credentials and encrypted secrets: keep the directory private.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Pending migrations run in a child process that exits: the schema engine's memory leaves with it.
  const { applied } = await migrateDatabaseInChild({ dbPath: join(config.dataDir, 'mirador.db'), migrationsDir: config.migrationsDir });
  const app = await buildApp(config);
  if (applied.length) app.log.info({ applied }, 'database migrations applied');

  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen({ host: config.host, port: config.port });
  app.log.info(`Mirador is ready on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`);
}

if (isMigrationChild()) {
  serveMigrationChild();
} else {
  main().catch((err) => {
    console.error('Mirador failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
