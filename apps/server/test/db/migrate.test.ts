import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const migrationsDir = path.join(repoRoot, 'prisma/migrations');
const migrationNames = fs
  .readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirador-db-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function openDb(file: string) {
  return new Database(file, { readonly: true });
}

describe('migrateDatabase', () => {
  it('has an initial migration in prisma/migrations', () => {
    expect(fs.readFileSync(path.join(migrationsDir, 'migration_lock.toml'), 'utf-8')).toContain('provider = "sqlite"');
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(migrationNames[0]).toMatch(/^\d{14}_init$/);
  });

  it('applies all migrations to a fresh database, records them like prisma migrate deploy, and is idempotent', async () => {
    const dbPath = path.join(tmp, 'nested/dir/mirador.db'); // parent directories do not exist yet
    const logs: string[] = [];

    let t = performance.now();
    const first = await migrateDatabase({ dbPath, migrationsDir, log: (m) => logs.push(m) });
    const freshMs = performance.now() - t;
    expect(first.applied).toEqual(migrationNames);
    expect(logs).toContain(`applied migration ${migrationNames[0]}`);

    t = performance.now();
    const second = await migrateDatabase({ dbPath, migrationsDir });
    const upToDateMs = performance.now() - t;
    expect(second.applied).toEqual([]);
    console.log(`migrateDatabase: fresh db ${freshMs.toFixed(1)} ms, up-to-date db ${upToDateMs.toFixed(1)} ms`);

    const db = openDb(dbPath);
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
      expect(tables).toEqual(
        expect.arrayContaining(['_prisma_migrations', 'User', 'Session', 'ApiToken', 'Host', 'AuditLog', 'Task', 'Setting']),
      );

      const rows = db
        .prepare(
          'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs FROM _prisma_migrations ORDER BY migration_name',
        )
        .all() as {
        migration_name: string;
        checksum: string;
        finished_at: string | null;
        rolled_back_at: string | null;
        applied_steps_count: number;
        logs: string | null;
      }[];
      expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
      for (const row of rows) {
        expect(row.finished_at).toBeTruthy();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
        expect(row.logs).toBeNull();
        // Same checksum as the Prisma CLI: sha256 of migration.sql.
        const sql = fs.readFileSync(path.join(migrationsDir, row.migration_name, 'migration.sql'));
        expect(row.checksum).toBe(crypto.createHash('sha256').update(sql).digest('hex'));
      }

      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('applies only the pending migrations, and stops (P3009) after a failed one like migrate deploy', async () => {
    const dir = path.join(tmp, 'migrations-copy');
    fs.cpSync(migrationsDir, dir, { recursive: true });
    const dbPath = path.join(tmp, 'pending.db');
    expect((await migrateDatabase({ dbPath, migrationsDir: dir })).applied).toEqual(migrationNames);

    fs.mkdirSync(path.join(dir, '29990101000000_add_thing'));
    fs.writeFileSync(path.join(dir, '29990101000000_add_thing/migration.sql'), 'CREATE TABLE "Thing" ("id" TEXT NOT NULL PRIMARY KEY);\n');
    expect((await migrateDatabase({ dbPath, migrationsDir: dir })).applied).toEqual(['29990101000000_add_thing']);
    expect((await migrateDatabase({ dbPath, migrationsDir: dir })).applied).toEqual([]);

    fs.mkdirSync(path.join(dir, '29990102000000_broken'));
    fs.writeFileSync(path.join(dir, '29990102000000_broken/migration.sql'), 'SELECT * FROM "DoesNotExist";\n');
    await expect(migrateDatabase({ dbPath, migrationsDir: dir })).rejects.toThrow(/DoesNotExist/);
    await expect(migrateDatabase({ dbPath, migrationsDir: dir })).rejects.toMatchObject({ code: 'P3009' });
  });

  it('refuses a migrations directory without migrations', async () => {
    await expect(migrateDatabase({ dbPath: path.join(tmp, 'none.db'), migrationsDir: path.join(tmp, 'does-not-exist') })).rejects.toThrow(
      /no migrations found/,
    );
  });
});

describe('createPrismaClient', () => {
  it('creates and reads rows on a migrated database, with the expected connection settings', async () => {
    const dbPath = path.join(tmp, 'client.db');
    await migrateDatabase({ dbPath, migrationsDir });
    const prisma = createPrismaClient(dbPath);
    try {
      const created = await prisma.user.create({
        data: { id: 'u1', username: 'alice', passwordHash: 'x', role: 'admin' },
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.disabled).toBe(false);

      await prisma.session.create({ data: { id: 's1', userId: 'u1', expiresAt: new Date(Date.now() + 60_000) } });
      const read = await prisma.user.findUnique({ where: { username: 'alice' }, include: { sessions: true } });
      expect(read?.id).toBe('u1');
      expect(read?.sessions.map((s) => s.id)).toEqual(['s1']);

      const pragmas = async (name: string) =>
        Object.values((await prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`))[0] ?? {})[0];
      expect(String(await pragmas('journal_mode'))).toBe('wal');
      expect(Number(await pragmas('synchronous'))).toBe(1); // NORMAL
      expect(Number(await pragmas('busy_timeout'))).toBe(5000);
      expect(Number(await pragmas('foreign_keys'))).toBe(1);

      // ON DELETE CASCADE works, i.e. foreign keys are enforced on the client's connection.
      await prisma.user.delete({ where: { id: 'u1' } });
      expect(await prisma.session.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
