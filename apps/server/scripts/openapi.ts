/**
 * Prints the server's OpenAPI document (the one served at /api/docs/json) without listening on a port:
 * the typed web client is generated from it (scripts/api-client.sh), so it must come from the same route
 * schemas the server validates with — never written by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase } from '../src/db/migrate.js';

const repo = resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'mirador-openapi-'));
try {
  const config = loadConfig(
    {
      MIRADOR_DATA_DIR: dataDir,
      MIRADOR_WEB_DIR: '',
      MIRADOR_HOST_CHECK_SECONDS: '0',
      MIRADOR_WARM_INVENTORIES: '0',
      MIRADOR_SECRET: 'openapi-generation-only',
      // A fixed version: the document's info.version must not make the drift check fail on a release bump.
      MIRADOR_VERSION: '0.0.0',
    },
    repo,
  );
  await migrateDatabase({ dbPath: join(dataDir, 'mirador.db'), migrationsDir: config.migrationsDir });
  const app = await buildApp({ ...config, dockerSocket: join(dataDir, 'no-docker.sock') }, { logger: false });
  await app.ready();
  process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
