import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuditPage, AuditQuery, AuditVerify, Task } from '@mirador/contract';
import { until } from './fault-report.js';

/**
 * The checks every fault case ends with — "nothing lost": no task left running, nothing left behind on
 * the host or in the data directory, a sound database and an intact audit chain. They talk to a real
 * server over HTTP (the same answers a user gets) and read its files directly.
 *
 *   const checked = await assertNothingLost({ base, cookie, dataDir, host: [libvirtLeftovers(...)] });
 *   reportFault({ ..., checked });
 */
export interface AfterFault {
  /** http://127.0.0.1:<port> of the running server. */
  base: string;
  /** An admin's session cookie ("mirador_session=…"): the audit routes are for admins. */
  cookie: string;
  /** The server's data directory. */
  dataDir: string;
  /** Defaults to dataDir/mirador.db. */
  dbPath?: string;
  /** What may be left on hosts; every probe must list nothing. */
  host?: LeftoverProbe | LeftoverProbe[];
  /** Relative paths (files) besides the database, the key and the audit head that may stay in the data dir. */
  allowInDataDir?: string[];
  /** How long running tasks get to end by themselves before one still running is a failure (default 15 s). */
  settleMs?: number;
}

/** Lists what a fault left behind somewhere (volumes, domains, processes…): empty means clean. */
export interface LeftoverProbe {
  what: string;
  list(): Promise<string[]> | string[];
}

/** What a data directory always holds: the database (and its WAL/journal), the key, the audit head. */
const DATA_DIR_FILES = /^(mirador\.db(-wal|-shm|-journal)?|secret\.key|audit-head\.json)$/;

export async function api<T>(base: string, cookie: string, path: string): Promise<T> {
  const res = await fetch(base + path, { headers: { cookie, origin: base } });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Tasks still queued or running, as the API reports them. */
export const activeTasks = (base: string, cookie: string) => api<Task[]>(base, cookie, '/api/tasks?status=active&limit=200');

/** Audit records matching `q` (newest first). */
export async function auditEntries(base: string, cookie: string, q: AuditQuery = {}) {
  const qs = new URLSearchParams(Object.entries({ limit: 200, ...q }).map(([k, v]) => [k, String(v)]));
  return (await api<AuditPage>(base, cookie, `/api/audit?${qs}`)).items;
}

export const verifyAuditChain = (base: string, cookie: string) => api<AuditVerify>(base, cookie, '/api/audit/verify');

/** Files in the data dir that are not the database, the key or the audit head (empty directories are fine). */
export function dataDirLeftovers(dataDir: string, allow: string[] = []): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(dataDir, path);
      if (statSync(path).isDirectory()) walk(path);
      else if (!(dir === dataDir && DATA_DIR_FILES.test(name)) && !allow.includes(rel)) found.push(rel);
    }
  };
  if (existsSync(dataDir)) walk(dataDir);
  return found;
}

/** `PRAGMA integrity_check` on the live database (read-only; WAL lets it read beside the server). */
export function integrityCheck(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

/**
 * Runs every check and throws one error listing all that failed; resolves with the list of what was
 * checked (for reportFault's `checked`).
 */
export async function assertNothingLost(t: AfterFault): Promise<string[]> {
  const failures: string[] = [];
  const checked: string[] = [];

  const settled = await until(
    'no task running',
    async () => {
      const active = await activeTasks(t.base, t.cookie);
      return active.length === 0 ? true : null;
    },
    { timeoutMs: t.settleMs ?? 15_000, everyMs: 250 },
  ).catch(async () => {
    const active = await activeTasks(t.base, t.cookie);
    failures.push(`tasks still running: ${active.map((x) => `${x.type} ${x.id} (${x.status})`).join(', ')}`);
    return null;
  });
  if (settled) checked.push('no task running');

  for (const probe of [t.host ?? []].flat()) {
    const left = await probe.list();
    if (left.length) failures.push(`left on the host (${probe.what}): ${left.join(', ')}`);
    else checked.push(`nothing left on the host (${probe.what})`);
  }

  const left = dataDirLeftovers(t.dataDir, t.allowInDataDir);
  if (left.length) failures.push(`left in the data dir: ${left.join(', ')}`);
  else checked.push('nothing left in the data dir');

  const integrity = integrityCheck(t.dbPath ?? join(t.dataDir, 'mirador.db'));
  if (integrity !== 'ok') failures.push(`PRAGMA integrity_check: ${integrity}`);
  else checked.push('integrity_check ok');

  const chain = await verifyAuditChain(t.base, t.cookie);
  if (!chain.intact) failures.push(`audit chain broken at ${chain.firstBrokenSeq}: ${chain.reason}`);
  else checked.push(`audit chain verifies (${chain.checked} records)`);

  if (failures.length) throw new Error(`Something was lost or left behind after the fault:\n- ${failures.join('\n- ')}`);
  return checked;
}
