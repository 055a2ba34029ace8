import { resolve } from 'node:path';

export interface Config {
  host: string;
  port: number;
  /** Holds the SQLite database and, when MIRADOR_SECRET is unset, the generated secret key. */
  dataDir: string;
  /** Built UI (apps/web/build); null serves the API only. */
  webDir: string | null;
  migrationsDir: string;
  /** Encryption key material for secrets at rest; null: use (or create) dataDir/secret.key. */
  secret: string | null;
  dockerSocket: string;
  /**
   * Where the local engine's machine's "/" is visible to Mirador ("/" when Mirador runs on that
   * machine; "/hostfs" in docker-compose.yml). Bind sources are resolved there before they are judged.
   */
  engineRoot: string;
  /**
   * The one directory libvirt test-driver inventory files may be read from (`test:///<dir>/<file>.xml`,
   * simulated fleets); null: hosts cannot use such an endpoint. Set only here, by whoever runs the server.
   */
  libvirtTestDir: string | null;
  sessionTtlHours: number;
  sessionIdleHours: number;
  trustProxy: boolean;
  /** Load every host's VM inventory at start-up, so the first page is already warm. */
  warmInventories: boolean;
  /** How often every host's connection is re-checked in the background; 0 turns it off. */
  hostCheckIntervalSeconds: number;
  logLevel: string;
  /** Refused requests without a session written one by one per address and minute; past it they are counted. */
  auditAnonymousRefusalsPerMinute: number;
  bootstrapAdmin: { username: string; password: string } | null;
  /** Test hook for tests that need to tell a fresh install from an upgraded one. */
  version: string;
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

function absolute(value: string, name: string): string {
  if (!value.startsWith('/')) throw new Error(`${name} must be an absolute path, got "${value}"`);
  return resolve(value);
}

/** Reads the environment once at start-up; everything else takes a Config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): Config {
  const dataDir = resolve(root, env.MIRADOR_DATA_DIR ?? 'data');
  const admin =
    env.MIRADOR_ADMIN_USER && env.MIRADOR_ADMIN_PASSWORD
      ? { username: env.MIRADOR_ADMIN_USER, password: env.MIRADOR_ADMIN_PASSWORD }
      : null;
  return {
    host: env.MIRADOR_HOST ?? '0.0.0.0',
    port: int(env.MIRADOR_PORT ?? env.PORT, 8080, 'MIRADOR_PORT'),
    dataDir,
    webDir: env.MIRADOR_WEB_DIR === '' ? null : resolve(root, env.MIRADOR_WEB_DIR ?? 'apps/web/build'),
    migrationsDir: resolve(root, env.MIRADOR_MIGRATIONS_DIR ?? 'prisma/migrations'),
    secret: env.MIRADOR_SECRET || null,
    dockerSocket: env.MIRADOR_DOCKER_SOCKET ?? '/var/run/docker.sock',
    engineRoot: absolute(env.MIRADOR_ENGINE_ROOT || '/', 'MIRADOR_ENGINE_ROOT'),
    libvirtTestDir: env.MIRADOR_LIBVIRT_TEST_DIR
      ? absolute(env.MIRADOR_LIBVIRT_TEST_DIR, 'MIRADOR_LIBVIRT_TEST_DIR').replace(/\/+$/, '')
      : null,
    sessionTtlHours: int(env.MIRADOR_SESSION_TTL_HOURS, 24 * 7, 'MIRADOR_SESSION_TTL_HOURS'),
    sessionIdleHours: int(env.MIRADOR_SESSION_IDLE_HOURS, 24, 'MIRADOR_SESSION_IDLE_HOURS'),
    trustProxy: env.MIRADOR_TRUST_PROXY === '1' || env.MIRADOR_TRUST_PROXY === 'true',
    warmInventories: env.MIRADOR_WARM_INVENTORIES !== '0',
    hostCheckIntervalSeconds:
      env.MIRADOR_HOST_CHECK_SECONDS === '0' ? 0 : int(env.MIRADOR_HOST_CHECK_SECONDS, 300, 'MIRADOR_HOST_CHECK_SECONDS'),
    logLevel: env.MIRADOR_LOG_LEVEL ?? 'info',
    auditAnonymousRefusalsPerMinute: int(env.MIRADOR_AUDIT_ANONYMOUS_PER_MINUTE, 60, 'MIRADOR_AUDIT_ANONYMOUS_PER_MINUTE'),
    bootstrapAdmin: admin,
    version: env.MIRADOR_VERSION ?? '0.1.0',
  };
}
