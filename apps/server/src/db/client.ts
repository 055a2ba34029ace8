/**
 * Prisma client for Mirador's SQLite database, through the better-sqlite3 driver adapter
 * (Prisma 7: no native query engine; the generated client lives in src/generated/prisma and is
 * produced by `pnpm --filter @mirador/server db:generate`).
 *
 * Call migrateDatabase() (./migrate.ts) before the first query so the schema exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient, Prisma } from '../generated/prisma/client.js';
export type { ApiToken, AuditLog, Host, Session, Setting, Task, User } from '../generated/prisma/client.js';

/** How long a connection waits for a lock held by another connection before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Per-connection settings. journal_mode=WAL is persistent (already set by migrateDatabase) and a
 * no-op here when it is; synchronous=NORMAL is the recommended durability/speed trade-off in WAL
 * mode; foreign_keys is on by default in better-sqlite3's SQLite build, but the relations'
 * ON DELETE CASCADE depend on it, so it is stated explicitly.
 */
const CONNECTION_PRAGMAS = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};
PRAGMA foreign_keys = ON;
`;

/**
 * PrismaBetterSqlite3 offers no hook for connection pragmas, so wrap its factory and run them on
 * every connection it opens (Prisma opens one per client, on first query or $connect()).
 */
class MiradorSqliteAdapterFactory implements SqlDriverAdapterFactory {
  readonly provider = 'sqlite' as const;
  readonly adapterName: string;
  readonly #inner: PrismaBetterSqlite3;

  constructor(dbPath: string) {
    // `timeout` is better-sqlite3's busy timeout; the adapter strips the `file:` prefix.
    this.#inner = new PrismaBetterSqlite3({ url: `file:${dbPath}`, timeout: BUSY_TIMEOUT_MS });
    this.adapterName = this.#inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const conn = await this.#inner.connect();
    try {
      await conn.executeScript(CONNECTION_PRAGMAS);
    } catch (err) {
      await conn.dispose();
      throw err;
    }
    return conn;
  }
}

export function createPrismaClient(dbPath: string): PrismaClient {
  const file = path.resolve(dbPath);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return new PrismaClient({ adapter: new MiradorSqliteAdapterFactory(file) });
}
