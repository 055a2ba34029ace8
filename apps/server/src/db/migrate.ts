/**
 * Applies pending Prisma migrations at server start, without Prisma's native engines.
 *
 * Equivalent of `prisma migrate deploy`: the same `@prisma/schema-engine-wasm` code that backs the
 * native schema-engine binary does the work (`applyMigrations`), talking to SQLite through the
 * better-sqlite3 driver adapter. Migrations are read from the standard layout
 *
 *   <migrationsDir>/migration_lock.toml
 *   <migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql
 *
 * and recorded in `_prisma_migrations` exactly like the Prisma CLI does (same table, same
 * checksums), so `prisma migrate status/deploy` keep working wherever the native engines exist.
 *
 * Fast path: when `_prisma_migrations` already lists every local migration as finished (and none
 * as failed), the WASM engine is not even loaded - an up-to-date start costs a few milliseconds.
 * When it is needed, the server runs it in a child process that exits (migrate-process.ts), so the
 * engine's memory is not kept for the server's whole life.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

export interface MigrateOptions {
  /** Path of the SQLite database file (created, with its parent directory, if missing). */
  dbPath: string;
  /** Directory holding `migration_lock.toml` and the `<timestamp>_<name>/migration.sql` folders. */
  migrationsDir: string;
  log?: (msg: string) => void;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call (empty when the database was up to date). */
  applied: string[];
}

const MIGRATION_FILE = 'migration.sql';
const LOCK_FILE = 'migration_lock.toml';

type SchemaEngineBg = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

export async function migrateDatabase(opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const pending = prepareDatabase(opts);
  if (!pending) return { applied: [] };
  const applied = await withSchemaEngine(pending.dbPath, log, (engine) =>
    engine
      .applyMigrations({ migrationsList: pending.migrationsList, filters: { externalTables: [], externalEnums: [] } })
      .then((out) => out.appliedMigrationNames),
  );
  for (const name of applied) log(`applied migration ${name}`);
  return { applied };
}

/** What the schema engine has to work on; null when the database is already up to date. */
export interface PendingMigrations {
  dbPath: string;
  migrationsList: MigrationList;
}

/**
 * The cheap part of a migration, done with better-sqlite3 alone: creates the database's directory,
 * reads the local migrations, sets WAL mode, and tells whether the schema engine is needed at all.
 */
export function prepareDatabase(opts: MigrateOptions): PendingMigrations | null {
  const log = opts.log ?? (() => {});
  const dbPath = path.resolve(opts.dbPath);
  const migrationsDir = path.resolve(opts.migrationsDir);

  fs.mkdirSync(path.dirname(dbPath), { recursive: true });

  const migrationsList = readMigrationsList(migrationsDir);
  const localNames = migrationsList.migrationDirectories.map((d) => d.path);
  if (localNames.length === 0) {
    // Almost certainly a packaging/config mistake (wrong MIRADOR_MIGRATIONS_DIR): fail loudly
    // instead of starting on a database without tables.
    throw new Error(`no migrations found in ${migrationsDir}`);
  }

  // WAL is a persistent property of the database file: set it once here, before anything else
  // opens the database. Then check whether there is anything to do at all.
  const db = new Database(dbPath);
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      log(`warning: could not enable WAL mode on ${dbPath} (journal_mode=${String(mode)})`);
    }
    return isUpToDate(db, localNames) ? null : { dbPath, migrationsList };
  } finally {
    db.close();
  }
}

/**
 * True when every local migration is recorded as finished and no migration is in a failed state.
 * Anything else (fresh database, pending or failed migrations, a non-Prisma database) is left to
 * the schema engine, which applies, or refuses with Prisma's usual P3xxx error.
 */
function isUpToDate(db: Database.Database, localNames: string[]): boolean {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
  if (!table) return false;
  const rows = db.prepare('SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations').all() as {
    migration_name: string;
    finished_at: unknown;
    rolled_back_at: unknown;
  }[];
  const done = new Set<string>();
  for (const row of rows) {
    if (row.rolled_back_at != null) continue;
    if (row.finished_at == null) return false; // failed (or in-progress) migration: let the engine report it
    done.add(row.migration_name);
  }
  return localNames.every((name) => done.has(name));
}

/** Reads the migrations directory the same way the Prisma CLI does (sorted by directory name). */
export function readMigrationsList(migrationsDir: string, shadowDbInitScript = ''): MigrationList {
  const baseDir = path.resolve(migrationsDir);
  let lockContent: string | null;
  try {
    lockContent = fs.readFileSync(path.join(baseDir, LOCK_FILE), 'utf-8');
  } catch {
    lockContent = null;
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(baseDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const migrationDirectories: MigrationList['migrationDirectories'] = entries
    .filter((e) => e.isDirectory())
    .map((e) => {
      let content: { tag: 'ok'; value: string } | { tag: 'error'; value: string };
      try {
        content = { tag: 'ok', value: fs.readFileSync(path.join(baseDir, e.name, MIGRATION_FILE), 'utf-8') };
      } catch (err) {
        content = { tag: 'error', value: (err as Error).message };
      }
      return { path: e.name, migrationFile: { path: MIGRATION_FILE, content } };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: LOCK_FILE, content: lockContent },
    shadowDbInitScript,
    migrationDirectories,
  };
}

/**
 * Runs `fn` with a WASM schema engine connected to the SQLite database at `dbPath` (shadow
 * database: in memory). All connections the engine opened are closed afterwards.
 */
export async function withSchemaEngine<T>(
  dbPath: string,
  log: (msg: string) => void,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const bg = await loadSchemaEngineWasm();
  const inner = new PrismaBetterSqlite3({ url: `file:${dbPath}` });
  const opened: SqlDriverAdapter[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const conn = await inner.connect();
      opened.push(conn);
      return conn;
    },
    connectToShadowDb: async () => {
      const conn = await inner.connectToShadowDb();
      opened.push(conn);
      return conn;
    },
  };
  const factory = bindMigrationAwareSqlAdapterFactory(tracking);
  const engineLog = (line: string) => {
    // The engine reports structured tracing lines; surface only warnings and errors.
    try {
      const parsed = JSON.parse(line) as { level?: string; fields?: { message?: string } };
      if (parsed.level === 'WARN' || parsed.level === 'ERROR') {
        log(`schema-engine ${parsed.level}: ${parsed.fields?.message ?? line}`);
      }
    } catch {
      /* not JSON: ignore */
    }
  };
  const registry = panicRegistry();
  let engine: SchemaEngine | undefined;
  try {
    engine = await bg.SchemaEngine.new({ datamodels: undefined }, engineLog, factory);
    return await fn(engine);
  } catch (err) {
    throw toError(err, registry);
  } finally {
    try {
      engine?.free();
    } catch {
      /* already freed */
    }
    await Promise.allSettled(opened.map((c) => c.dispose()));
  }
}

let wasmModule: Promise<SchemaEngineBg> | undefined;

/**
 * Loads `@prisma/schema-engine-wasm` without `--experimental-wasm-modules`: the package's entry
 * does `import * as wasm from './schema_engine_bg.wasm'`, which plain Node cannot do, so we load
 * the JS glue (`schema_engine_bg.js`) and instantiate the .wasm next to it ourselves. Cached per
 * process (~80 ms compile + instantiate).
 */
export function loadSchemaEngineWasm(): Promise<SchemaEngineBg> {
  wasmModule ??= (async () => {
    panicRegistry();
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = (await import(pathToFileURL(gluePath).href)) as SchemaEngineBg;
    const bytes = await fs.promises.readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports,
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  wasmModule.catch(() => {
    wasmModule = undefined;
  });
  return wasmModule;
}

interface PanicRegistry {
  message: string;
  get(): string;
  set_message(msg: string): void;
}

/** The WASM glue reports Rust panics through this global (same contract as the Prisma CLI). */
function panicRegistry(): PanicRegistry {
  const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  g.PRISMA_WASM_PANIC_REGISTRY ??= {
    message: '',
    get() {
      return this.message;
    },
    set_message(msg: string) {
      this.message = `RuntimeError: ${msg}`;
    },
  };
  return g.PRISMA_WASM_PANIC_REGISTRY;
}

/** Engine errors arrive as plain objects ({ message, error_code, meta, ... }) or wasm RuntimeErrors. */
function toError(err: unknown, registry: PanicRegistry): Error {
  if (err instanceof Error) {
    if (err.name === 'RuntimeError' && registry.message) {
      const e = new Error(`schema engine panicked: ${registry.get()}`, { cause: err });
      registry.message = '';
      return e;
    }
    return err;
  }
  if (err && typeof err === 'object') {
    const o = err as { message?: unknown; error_code?: unknown; errorCode?: unknown };
    const code = o.error_code ?? o.errorCode;
    const msg = typeof o.message === 'string' ? o.message : JSON.stringify(err);
    const e = new Error(code ? `${String(code)}: ${msg}` : msg, { cause: err });
    if (code) (e as Error & { code?: string }).code = String(code);
    return e;
  }
  return new Error(String(err));
}
