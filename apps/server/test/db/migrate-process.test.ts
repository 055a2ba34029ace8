/**
 * Migrations in a child process (src/db/migrate-process.ts), as the server runs them: the child is the
 * server's own entry (src/server.ts through tsx here, dist/server.js when built) in its migration mode.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabaseInChild, type ChildEntry } from '../../src/db/migrate-process.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const migrationsDir = path.join(repoRoot, 'prisma/migrations');
const migrationNames = fs
  .readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const tsxLoader = pathToFileURL(path.join(repoRoot, 'apps/server/node_modules/tsx/dist/loader.mjs')).href;
const dist = path.join(repoRoot, 'apps/server/dist/server.js');
const sources = ['src/server.ts', 'src/db/migrate-process.ts', 'src/db/migrate.ts'].map((f) => path.join(repoRoot, 'apps/server', f));
// The built server when it is newer than the sources concerned (the test command builds first), else the
// sources through tsx: the same entry either way, the build only saves compiling the server twice.
const distIsFresh = fs.existsSync(dist) && sources.every((f) => fs.statSync(f).mtimeMs <= fs.statSync(dist).mtimeMs);
const serverEntry: ChildEntry = distIsFresh
  ? { script: dist, execArgv: [] }
  : { script: path.join(repoRoot, 'apps/server/src/server.ts'), execArgv: ['--import', tsxLoader] };
// The child's side alone (what server.ts does in migration mode), without compiling the whole server each time.
let childEntry: ChildEntry;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-migrate-child-'));
  const script = path.join(tmp, 'child.mjs');
  const module = pathToFileURL(path.join(repoRoot, 'apps/server/src/db/migrate-process.ts')).href;
  fs.writeFileSync(script, `import { serveMigrationChild } from ${JSON.stringify(module)};\nserveMigrationChild();\n`);
  childEntry = { script, execArgv: ['--import', tsxLoader] };
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('migrateDatabaseInChild', () => {
  it('applies pending migrations in a child, reports failures with Prisma’s code, and starts no child when up to date', async () => {
    const dir = path.join(tmp, 'migrations-copy');
    fs.cpSync(migrationsDir, dir, { recursive: true });
    const dbPath = path.join(tmp, 'child.db');
    const logs: string[] = [];
    expect((await migrateDatabaseInChild({ dbPath, migrationsDir: dir, log: (m) => logs.push(m) }, childEntry)).applied).toEqual(
      migrationNames,
    );
    expect(logs).toContain(`applied migration ${migrationNames[0]}`);

    // Up to date: decided here, without a child (an entry that cannot run proves none was started).
    const nowhere: ChildEntry = { script: path.join(tmp, 'no-such-entry.js'), execArgv: [] };
    expect((await migrateDatabaseInChild({ dbPath, migrationsDir: dir }, nowhere)).applied).toEqual([]);

    fs.mkdirSync(path.join(dir, '29990102000000_broken'));
    fs.writeFileSync(path.join(dir, '29990102000000_broken/migration.sql'), 'SELECT * FROM "DoesNotExist";\n');
    await expect(migrateDatabaseInChild({ dbPath, migrationsDir: dir }, childEntry)).rejects.toThrow(/DoesNotExist/);
    await expect(migrateDatabaseInChild({ dbPath, migrationsDir: dir }, childEntry)).rejects.toMatchObject({ code: 'P3009' });
  }, 90_000);

  it('a child that dies without answering is an error, not a hang', async () => {
    const dbPath = path.join(tmp, 'dies.db');
    const script = path.join(tmp, 'dies.mjs');
    fs.writeFileSync(script, 'process.exit(3);\n');
    await expect(migrateDatabaseInChild({ dbPath, migrationsDir }, { script, execArgv: [] })).rejects.toThrow(/exit code 3/);
  });
});

describe('server start-up', () => {
  it('a fresh data directory: the server migrates (in its child), then serves', async () => {
    const dataDir = path.join(tmp, 'fresh-data');
    const port = await new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => res(p));
      });
    });
    const child = spawn(process.execPath, [...serverEntry.execArgv, serverEntry.script], {
      cwd: repoRoot,
      env: {
        ...process.env,
        MIRADOR_HOST: '127.0.0.1',
        MIRADOR_PORT: String(port),
        MIRADOR_DATA_DIR: dataDir,
        MIRADOR_WEB_DIR: '',
        MIRADOR_WARM_INVENTORIES: '0',
        MIRADOR_HOST_CHECK_SECONDS: '0',
        MIRADOR_DOCKER_SOCKET: path.join(tmp, 'no-docker.sock'),
        MIRADOR_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      let healthy = false;
      for (let i = 0; i < 600 && !healthy && child.exitCode === null; i++) {
        healthy = (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok ?? false;
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      expect(healthy, out.slice(-2000)).toBe(true);
      expect(out).toContain('database migrations applied');
      const setup = await fetch(`http://127.0.0.1:${port}/api/setup`, {
        method: 'POST',
        headers: { origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
      });
      expect(setup.status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
  }, 90_000);
});
