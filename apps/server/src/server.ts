import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { buildApp } from './app.js';
import { migrateDatabase } from './db/migrate.js';

/** Starts Mirador: migrate the database, build the app, listen, and close cleanly on signals. */
async function main() {
  const config = loadConfig();
  // The database holds hashed credentials and encrypted secrets: keep the directory private.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { applied } = await migrateDatabase({ dbPath: join(config.dataDir, 'mirador.db'), migrationsDir: config.migrationsDir });
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

main().catch((err) => {
  console.error('Mirador failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
