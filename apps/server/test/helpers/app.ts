import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { migrateDatabase } from '../../src/db/migrate.js';

export const ORIGIN = 'http://mirador.test';
const REPO = resolve(import.meta.dirname, '../../../..');

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  dataDir: string;
  /** inject() with this origin's Host/Origin headers and an optional session cookie. */
  call(opts: InjectOptions & { cookie?: string; token?: string }): Promise<LightMyRequestResponse>;
  /** Creates the first admin through the API and returns its session cookie. */
  setupAdmin(username?: string, password?: string): Promise<string>;
  login(username: string, password: string): Promise<string>;
  /**
   * Creates a user with `role` (as the admin from setupAdmin, or `options.admin`), logs them in and returns
   * their session cookie. The name defaults to olga (operator), vic (viewer) or ada (admin); the password to
   * `<name>-password`.
   */
  userSession(role: UserRole, username?: string, options?: { password?: string; admin?: string }): Promise<string>;
  close(): Promise<void>;
}

export type UserRole = 'admin' | 'operator' | 'viewer';
const DEFAULT_NAMES: Record<UserRole, string> = { admin: 'ada', operator: 'olga', viewer: 'vic' };

export interface TestAppOptions {
  /** Reuse this data dir (a restart of an earlier app) instead of a fresh temp dir. */
  dataDir?: string;
  /** Leave the data dir in place on close(), so another app can start on it. */
  keepDataDir?: boolean;
  /** Captures the server log (pino JSON lines) at info level. */
  logStream?: { write(line: string): void };
}

const templates = new Map<string, Promise<string>>();

/**
 * A database migrated once per test process and migrations directory; every fresh app gets its own copy
 * of the file (never the template itself), instead of running the schema engine again for each app.
 */
function migratedTemplate(migrationsDir: string): Promise<string> {
  let template = templates.get(migrationsDir);
  if (!template) {
    template = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mirador-test-template-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'mirador.db');
      await migrateDatabase({ dbPath: file, migrationsDir });
      // Everything into the main file (nothing left in a -wal next to it), so one file is the whole database.
      const db = new Database(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      return file;
    })();
    templates.set(migrationsDir, template);
  }
  return template;
}

/** A real Mirador (same plugins, real SQLite file, migrations applied) in a temp data dir. */
export async function startTestApp(overrides: Partial<Config> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mirador-test-'));
  const config: Config = {
    ...loadConfig({ MIRADOR_DATA_DIR: dataDir, MIRADOR_WEB_DIR: '', MIRADOR_HOST_CHECK_SECONDS: '0', MIRADOR_WARM_INVENTORIES: '0' }, REPO),
    dockerSocket: join(dataDir, 'no-docker.sock'),
    ...overrides,
  };
  const dbPath = join(dataDir, 'mirador.db');
  if (!existsSync(dbPath)) copyFileSync(await migratedTemplate(config.migrationsDir), dbPath);
  // Up to date after the copy: this only checks so (and sets WAL mode), the engine is not loaded.
  await migrateDatabase({ dbPath, migrationsDir: config.migrationsDir });
  // MIRADOR_TEST_LOG=debug shows the server's log while a test runs.
  const level = process.env.MIRADOR_TEST_LOG;
  const logger = options.logStream ? { level: level ?? 'info', stream: options.logStream } : level ? { level } : false;
  const app = await buildApp(config, { logger });
  await app.ready();

  const call: TestApp['call'] = ({ cookie, token, headers, ...opts }) =>
    app.inject({
      ...opts,
      headers: {
        host: 'mirador.test',
        origin: ORIGIN,
        ...(cookie ? { cookie } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });

  const cookieOf = (res: LightMyRequestResponse) => {
    const c = res.cookies.find((x) => x.name === 'mirador_session');
    if (!c) throw new Error(`no session cookie (HTTP ${res.statusCode}: ${res.body})`);
    return `mirador_session=${c.value}`;
  };
  const login: TestApp['login'] = async (username, password) =>
    cookieOf(await call({ method: 'POST', url: '/api/auth/login', payload: { username, password } }));
  // The first admin's session, kept for userSession (the tests' usual author of other accounts).
  let adminCookie: string | undefined;

  return {
    app,
    config,
    dataDir,
    call,
    async setupAdmin(username = 'admin', password = 'correct horse battery') {
      adminCookie = cookieOf(await call({ method: 'POST', url: '/api/setup', payload: { username, password } }));
      return adminCookie;
    },
    login,
    async userSession(role, username = DEFAULT_NAMES[role], { password = `${username}-password`, admin = adminCookie } = {}) {
      if (!admin) throw new Error('userSession needs an admin: call setupAdmin() first or pass options.admin');
      const res = await call({ method: 'POST', url: '/api/users', cookie: admin, payload: { username, password, role } });
      if (res.statusCode !== 201) throw new Error(`could not create user ${username} (HTTP ${res.statusCode}): ${res.body}`);
      return login(username, password);
    },
    async close() {
      await app.close();
      if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
