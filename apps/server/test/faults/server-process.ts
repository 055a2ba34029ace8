import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from './fault-report.js';

const REPO = resolve(import.meta.dirname, '../../../..');
const DIST = join(REPO, 'apps/server/dist/server.js');

/**
 * A real Mirador server process (the built `apps/server/dist/server.js`, as scripts/start.sh runs it)
 * on a free loopback port with its own data directory: the faults that need a process to SIGKILL and
 * start again on the same data dir. MIRADOR_FAULTS_FROM_SOURCE=1 runs src/server.ts through tsx
 * instead (for development without a build).
 */
export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  readonly base: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dbPath: string;
  /** The process now running (changes on restart). */
  readonly pid: number;
  /** The server's output so far (pino JSON lines and anything on stderr), for failure messages. */
  output(): string;
  /** POST /api/setup; resolves with the admin's session cookie. */
  setupAdmin(username?: string, password?: string): Promise<string>;
  login(username: string, password: string): Promise<string>;
  /** fetch() with this server's Origin and an optional session cookie; a body that is not a string is sent as JSON. */
  request(method: string, path: string, opts?: { cookie?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** SIGKILL: no shutdown hooks, no flush — the crash the faults are about. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data dir; resolves once it answers /api/health. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s) and, unless keepDataDir, removes the data dir. */
  stop(opts?: { keepDataDir?: boolean }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export async function startServerProcess(opts: { env?: Record<string, string>; dataDir?: string } = {}): Promise<ServerProcess> {
  const fromSource = process.env.MIRADOR_FAULTS_FROM_SOURCE === '1';
  if (!fromSource && !existsSync(DIST)) throw new Error(`${DIST} is missing: build the server first (pnpm --filter @mirador/server build)`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'mirador-fault-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let child: ChildProcess;
  let log = '';

  const env = {
    ...process.env,
    MIRADOR_HOST: '127.0.0.1',
    MIRADOR_PORT: String(port),
    MIRADOR_DATA_DIR: dataDir,
    MIRADOR_WEB_DIR: '',
    MIRADOR_WARM_INVENTORIES: '0',
    MIRADOR_HOST_CHECK_SECONDS: '0',
    MIRADOR_LOG_LEVEL: 'info',
    ...opts.env,
  };

  async function launch() {
    const tsx = pathToFileURL(join(REPO, 'apps/server/node_modules/tsx/dist/loader.mjs')).href;
    const args = fromSource ? ['--import', tsx, join(REPO, 'apps/server/src/server.ts')] : [DIST];
    child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      log += b.toString();
      if (log.length > 2_000_000) log = log.slice(-1_000_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<never>((_, rej) =>
      child.once('exit', (code, signal) =>
        rej(new Error(`the server exited (${code ?? signal}) before it answered:\n${log.slice(-3000)}`)),
      ),
    );
    exited.catch(() => {});
    await Promise.race([
      exited,
      until(
        'the server to answer /api/health',
        async () => {
          const res = await fetch(`${base}/api/health`).catch(() => null);
          return res?.ok ?? null;
        },
        // Generous: a loaded 2-core CI machine has taken 40 s to start the server.
        { timeoutMs: 120_000, everyMs: 100 },
      ),
    ]);
  }

  const gone = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));

  const request: ServerProcess['request'] = (method, path, o = {}) => {
    const json = o.body !== undefined && typeof o.body !== 'string';
    return fetch(base + path, {
      method,
      headers: {
        origin: base,
        ...(o.cookie ? { cookie: o.cookie } : {}),
        ...(json ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.body !== undefined ? { body: json ? JSON.stringify(o.body) : (o.body as string) } : {}),
    });
  };

  const cookieOf = async (res: Response) => {
    const set = res.headers.getSetCookie().find((c) => c.startsWith('mirador_session='));
    if (!set) throw new Error(`no session cookie (HTTP ${res.status}: ${await res.text()})`);
    return set.split(';')[0]!;
  };

  await launch();

  return {
    base,
    port,
    dataDir,
    dbPath: join(dataDir, 'mirador.db'),
    get pid() {
      return child.pid!;
    },
    output: () => log,
    request,
    async setupAdmin(username = 'admin', password = 'fault-admin-password') {
      return cookieOf(await request('POST', '/api/setup', { body: { username, password } }));
    },
    async login(username, password) {
      return cookieOf(await request('POST', '/api/auth/login', { body: { username, password } }));
    },
    async kill() {
      const c = child;
      c.kill('SIGKILL');
      await gone(c);
    },
    async restart() {
      await gone(child);
      await launch();
    },
    async stop(o = {}) {
      const c = child;
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await gone(c);
        clearTimeout(timer);
      }
      if (!o.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
