import Database from 'better-sqlite3';
import { randomBytes, createHmac } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditVerify } from '@mirador/contract';
import { chainHash, type ChainedFields } from '../../src/audit/chain.js';
import { readLab } from '../helpers/lab.js';
import { startLiveServer, type LiveResponse, type LiveServer } from './live.js';
import { recordAttempt } from './tally.js';

/**
 * The audit log against a database writer who lacks the key (issue #8, point 5), and secrets
 * searched for everywhere Mirador writes or answers (point 6): API responses, the audit log and
 * its exports, the server log and the raw database file.
 */
const AREA = 'audit';
const ADMIN_PASSWORD = 'admin-pass-sec-audit';

type Row = ChainedFields & { seq: number; prevHash: string; hash: string; scheme: string; at: number | string };

/** A live server with a small audit log (setup, users, failed logins) and a raw handle on its database. */
async function freshLog(dataDir?: string) {
  const live = await startLiveServer({}, { keepDataDir: true, ...(dataDir ? { dataDir } : {}) });
  const admin = dataDir ? await live.test.login('admin', ADMIN_PASSWORD) : await live.test.setupAdmin('admin', ADMIN_PASSWORD);
  const verify = async (): Promise<AuditVerify> => {
    const res = await live.request('GET', '/api/audit/verify', { cookie: admin });
    expect(res.status, res.body).toBe(200);
    return res.json<AuditVerify>();
  };
  const db = () => new Database(join(live.test.dataDir, 'mirador.db'));
  const headFile = join(live.test.dataDir, 'audit-head.json');
  /** One more audited mutation (a refused login). */
  const mutate = async (n = 1) => {
    for (let i = 0; i < n; i++) await live.request('POST', '/api/auth/login', { body: { username: 'admin', password: `wrong-${i}` } });
  };
  if (!dataDir) {
    for (let i = 0; i < 6; i++) {
      const res = await live.request('POST', '/api/users', {
        cookie: admin,
        body: { username: `sec-audit-u${i}`, password: 'user-pass-sec-audit', role: 'viewer' },
      });
      expect(res.status, res.body).toBe(201);
    }
    await mutate(2);
  }
  const rows = (): Row[] => {
    const raw = db();
    try {
      return raw.prepare('SELECT * FROM AuditLog ORDER BY seq').all() as Row[];
    } finally {
      raw.close();
    }
  };
  const close = async (removeData = true) => {
    await live.close();
    if (removeData) rmSync(live.test.dataDir, { recursive: true, force: true });
  };
  return { live, admin, verify, db, rows, headFile, mutate, close };
}

/** What an attacker with SQL access can do: recompute every link from `fromSeq` on the old, unkeyed way. */
function rechainPlain(raw: Database.Database, fromSeq: number, opts: { downgrade?: boolean } = {}) {
  const rows = raw.prepare('SELECT * FROM AuditLog ORDER BY seq').all() as Row[];
  let prev = rows.find((r) => r.seq === fromSeq - 1)?.hash ?? '0'.repeat(64);
  const update = raw.prepare('UPDATE AuditLog SET prevHash = ?, hash = ?, scheme = ? WHERE seq = ?');
  for (const r of rows.filter((x) => x.seq >= fromSeq)) {
    const at = new Date(typeof r.at === 'number' ? r.at : r.at).toISOString();
    const hash = chainHash(prev, { ...r, at });
    update.run(prev, hash, opts.downgrade ? 'sha256' : r.scheme, r.seq);
    prev = hash;
  }
}

function detected(attempt: string, v: AuditVerify): boolean {
  recordAttempt(AREA, attempt, v.intact ? 'got-through' : 'refused');
  return !v.intact;
}

describe('audit tampering by a database writer without the key', () => {
  it('an untouched log verifies intact, also after a restart on the same data dir', async () => {
    const log = await freshLog();
    const before = await log.verify();
    expect(before).toMatchObject({ intact: true, firstBrokenSeq: null, reason: null, legacyChecked: 0 });
    const last = log.rows().at(-1)!;
    expect(before.checked).toBe(log.rows().length);
    expect(before).toMatchObject({ headSeq: last.seq, headMac: last.hash });
    // The key is the HKDF of secret.key, the head file is private, and neither is in the database.
    const head = readFileSync(log.headFile, 'utf8');
    expect(JSON.parse(head)).toMatchObject({ seq: last.seq, mac: last.hash });
    expect(spawnSync('stat', ['-c', '%a', log.headFile], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    const dataDir = log.live.test.dataDir;
    await log.close(false);

    const again = await freshLog(dataDir);
    try {
      const after = await again.verify();
      expect(after).toMatchObject({ intact: true, reason: null, headSeq: after.headSeq });
      expect(after.checked).toBeGreaterThanOrEqual(before.checked);
      // Appending after the restart continues the same keyed chain.
      await again.mutate();
      expect(await again.verify()).toMatchObject({ intact: true });
    } finally {
      await again.close();
    }
  });

  it('(a) a record rewritten in SQLite with every later hash recomputed the old way is caught at that record', async () => {
    const log = await freshLog();
    try {
      const target = log.rows()[3]!;
      const raw = log.db();
      raw.prepare('UPDATE AuditLog SET params = ? WHERE seq = ?').run(JSON.stringify({ body: { username: 'innocent' } }), target.seq);
      rechainPlain(raw, target.seq);
      raw.close();
      const v = await log.verify();
      expect(detected('rewrite params + recompute later plain hashes', v)).toBe(true);
      expect(v).toMatchObject({ firstBrokenSeq: target.seq });
      expect(v.reason).toMatch(new RegExp(`Record ${target.seq} was modified`));

      // The same rewrite passed off as a legacy (pre-MAC) record: a downgrade is caught as well.
      const raw2 = log.db();
      rechainPlain(raw2, target.seq, { downgrade: true });
      raw2.close();
      const down = await log.verify();
      expect(detected('rewrite + recompute + mark as legacy unkeyed records', down)).toBe(true);
      expect(down.firstBrokenSeq).toBe(target.seq);
      expect(down.reason).toMatch(/unkeyed hash/);

      // Even a whole log re-chained as legacy from the genesis is caught: the head file says keyed from record 1.
      const raw3 = log.db();
      rechainPlain(raw3, 1, { downgrade: true });
      raw3.close();
      const all = await log.verify();
      expect(detected('re-chain the whole log as legacy plain hashes', all)).toBe(true);
      expect(all.firstBrokenSeq).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('(b) deleting the newest records reads as truncation, and later appends do not hide it', async () => {
    const log = await freshLog();
    try {
      const rows = log.rows();
      const keep = rows.at(-4)!.seq;
      const raw = log.db();
      raw.prepare('DELETE FROM AuditLog WHERE seq > ?').run(keep);
      raw.close();
      const v = await log.verify();
      expect(detected('delete the newest 3 records', v)).toBe(true);
      expect(v.firstBrokenSeq).toBe(keep + 1);
      expect(v.reason).toMatch(/truncated/);
      expect(v.reason).toMatch(/3 record/);

      // The next record links to the head this server wrote, not to the doctored tail.
      await log.mutate();
      const later = await log.verify();
      expect(detected('delete the newest records, then let the server append', later)).toBe(true);
      expect(later.reason).toMatch(/removed or reordered/);
    } finally {
      await log.close();
    }
  });

  it('(c) deleting a record in the middle breaks the chain at the next one', async () => {
    const log = await freshLog();
    try {
      const victim = log.rows()[4]!.seq;
      const raw = log.db();
      raw.prepare('DELETE FROM AuditLog WHERE seq = ?').run(victim);
      raw.close();
      const v = await log.verify();
      expect(detected('delete a middle record', v)).toBe(true);
      expect(v.firstBrokenSeq).toBe(victim + 1);
      expect(v.reason).toMatch(/removed or reordered/);

      // Renumbering the later records to close the gap does not help: seq is under the MAC.
      const raw2 = log.db();
      raw2.prepare('UPDATE AuditLog SET seq = seq - 1 WHERE seq > ?').run(victim);
      raw2.close();
      const renumbered = await log.verify();
      expect(detected('delete a middle record and renumber the rest', renumbered)).toBe(true);
      expect(renumbered.firstBrokenSeq).toBe(victim);
    } finally {
      await log.close();
    }
  });

  it('(d) a head file replaced, rolled back, forged or deleted is detected', async () => {
    const log = await freshLog();
    try {
      const older = join(log.live.test.dataDir, 'head-older.json');
      copyFileSync(log.headFile, older);
      await log.mutate(3);
      expect((await log.verify()).intact).toBe(true);
      const good = readFileSync(log.headFile);

      // A genuine head file from three records ago (a backup copy).
      copyFileSync(older, log.headFile);
      const v = await log.verify();
      expect(detected('replace the head file with an older genuine copy', v)).toBe(true);
      expect(v.reason).toMatch(/older copy/);

      // The tail deleted *and* the head file rolled back to match: this process remembers what it wrote.
      const olderSeq = JSON.parse(readFileSync(older, 'utf8')).seq as number;
      const raw = log.db();
      const backup = raw.prepare('SELECT * FROM AuditLog WHERE seq > ?').all(olderSeq) as Row[];
      raw.prepare('DELETE FROM AuditLog WHERE seq > ?').run(olderSeq);
      raw.close();
      const rolled = await log.verify();
      expect(detected('truncate the tail and roll the head file back to match', rolled)).toBe(true);
      expect(rolled.reason).toMatch(/changed since this server wrote it/);
      const restore = log.db();
      const cols = Object.keys(backup[0]!);
      const insert = restore.prepare(
        `INSERT INTO AuditLog (${cols.map((c) => `"${c}"`).join(',')}) VALUES (${cols.map(() => '?').join(',')})`,
      );
      for (const r of backup) insert.run(...cols.map((c) => (r as unknown as Record<string, unknown>)[c]));
      restore.close();
      writeFileSync(log.headFile, good);
      expect((await log.verify()).intact).toBe(true);

      // A head file for a shorter chain written without the key (the MAC of an earlier record, a made-up tag).
      const rows = log.rows();
      const shorter = rows.at(-3)!;
      const forgedTag = createHmac('sha256', 'not-the-key')
        .update(JSON.stringify(['audit-head', 1, shorter.seq, shorter.hash, 1]))
        .digest('hex');
      writeFileSync(log.headFile, JSON.stringify({ v: 1, seq: shorter.seq, mac: shorter.hash, keyedFrom: 1, tag: forgedTag }));
      const forged = await log.verify();
      expect(detected('forge a head file for a shorter chain', forged)).toBe(true);
      expect(forged.reason).toMatch(/valid MAC/);
      writeFileSync(log.headFile, good);

      // Deleted while the log has keyed records.
      unlinkSync(log.headFile);
      const missing = await log.verify();
      expect(detected('delete the head file', missing)).toBe(true);
      expect(missing.reason).toMatch(/missing/);

      // After a restart the older genuine copy is still caught (no memory of the last write then).
      const dataDir = log.live.test.dataDir;
      copyFileSync(older, log.headFile);
      await log.close(false);
      const again = await freshLog(dataDir);
      try {
        const restarted = await again.verify();
        expect(detected('older genuine head file, then restart', restarted)).toBe(true);
        // The login after the restart already linked to the rolled-back head, so the break may show there first.
        expect(restarted.reason).toMatch(/older copy|removed or reordered/);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(log.live.test.dataDir, { recursive: true, force: true });
    }
  });

  it('(d) a head file deleted before a restart stays visible in the chain after the next append', async () => {
    const log = await freshLog();
    const dataDir = log.live.test.dataDir;
    unlinkSync(log.headFile);
    await log.close(false);
    const again = await freshLog(dataDir); // its login is the next append
    try {
      const gap = await again.verify();
      expect(detected('delete the head file, restart, append', gap)).toBe(true);
      expect(gap.reason).toMatch(/head file was missing at start-up/);
      expect(gap.firstBrokenSeq).toBe(again.rows().at(-1)!.seq);
    } finally {
      await again.close();
    }
  });

  it('a crash between the insert and the head write is not read as tampering', async () => {
    const log = await freshLog();
    const older = join(log.live.test.dataDir, 'head-before.json');
    copyFileSync(log.headFile, older);
    await log.mutate();
    const dataDir = log.live.test.dataDir;
    await log.close(false);
    // The database has the last record, the head file is the one from before it.
    copyFileSync(older, join(dataDir, 'audit-head.json'));
    const again = await freshLog(dataDir);
    try {
      expect(await again.verify()).toMatchObject({ intact: true, reason: null });
    } finally {
      await again.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('secrets never leave', () => {
  const lab = readLab();
  const tag = randomBytes(4).toString('hex');
  const canary = {
    hostPassword: `S3cr3t-canary-${randomBytes(6).toString('hex')}`,
    volumePassword: `vol-canary-${randomBytes(6).toString('hex')}`,
    envPassword: `env-canary-${randomBytes(6).toString('hex')}`,
    urlPassword: `url-canary-${randomBytes(6).toString('hex')}`,
    registryPassword: `reg-canary-${randomBytes(6).toString('hex')}`,
    queryToken: `qs-canary-${randomBytes(6).toString('hex')}`,
  };
  const volumeName = `sec-audit-vol-${tag}`;
  const logLines: string[] = [];
  const responses: LiveResponse[] = [];
  let live: LiveServer;
  let admin: string;
  let localHostId: string;

  async function call(method: string, path: string, opts: Parameters<LiveServer['request']>[2] = {}) {
    const res = await live.request(method, path, opts);
    responses.push(res);
    return res;
  }

  beforeAll(async () => {
    live = await startLiveServer({ dockerSocket: lab.dockerSocket }, { logStream: { write: (line) => void logLines.push(line) } });
    admin = await live.test.setupAdmin('admin', ADMIN_PASSWORD);
    const op = await call('POST', '/api/users', {
      cookie: admin,
      body: { username: 'sec-audit-op', password: 'operator-pass-sec-audit', role: 'operator' },
    });
    expect(op.status, op.body).toBe(201);
    const hosts = (await call('GET', '/api/hosts', { cookie: admin })).json<Array<{ id: string; kind: string }>>();
    localHostId = hosts.find((h) => h.kind === 'local')!.id;
  });

  afterAll(async () => {
    spawnSync('docker', ['volume', 'rm', '-f', volumeName], { stdio: 'ignore' });
    await live?.close();
  });

  it('hides host, registry, volume-option, env, URL and query-string secrets from responses, audit, exports, log and database', async () => {
    const operator = await live.test.login('sec-audit-op', 'operator-pass-sec-audit');

    // A host password (by name), then the same value typed into an innocent field: the login username.
    const host = await call('POST', '/api/hosts', {
      cookie: admin,
      body: { name: `sec-audit-h-${tag}`, address: '192.0.2.10', authMethod: 'password', password: canary.hostPassword },
    });
    expect(host.status, host.body).toBe(201);
    const login = await call('POST', '/api/auth/login', { body: { username: canary.hostPassword, password: 'whatever-pass' } });
    expect([400, 401]).toContain(login.status);

    // Registry credentials.
    const reg = await call('POST', '/api/registries', {
      cookie: admin,
      body: { name: `sec-audit-reg-${tag}`, serverAddress: lab.registry.address, username: 'u', password: canary.registryPassword },
    });
    expect(reg.status, reg.body).toBe(201);

    // A volume whose options carry a password (cifs), and a URL with userinfo in a label: an operator's request.
    const vol = await call('POST', `/api/hosts/${localHostId}/volumes`, {
      cookie: operator,
      body: {
        name: volumeName,
        driver: 'local',
        driverOpts: { type: 'cifs', device: '//127.0.0.1/share', o: `addr=127.0.0.1,username=u,password=${canary.volumePassword}` },
        labels: { source: `https://deploy:${canary.urlPassword}@git.lab.example/repo.git` },
      },
    });
    expect(vol.status, vol.body).toBeGreaterThanOrEqual(400);

    // A container env entry through the preview route, and a URL with userinfo in its command.
    const preview = await call('POST', `/api/hosts/${localHostId}/containers/preview`, {
      cookie: admin,
      body: {
        image: lab.dockerImage,
        name: `sec-audit-c-${tag}`,
        env: [`DB_PASSWORD=${canary.envPassword}`, 'MODE=lab'],
        command: ['sh', '-c', `wget https://bot:${canary.urlPassword}@example.test/x`],
      },
    });
    expect(preview.status, preview.body).toBe(200);
    // The same body as an operator's create that the policy refuses (privileged): audited, not run.
    const refused = await call('POST', `/api/hosts/${localHostId}/containers`, {
      cookie: operator,
      body: {
        image: lab.dockerImage,
        name: `sec-audit-c-${tag}`,
        privileged: true,
        env: [`DB_PASSWORD=${canary.envPassword}`, 'MODE=lab'],
        command: ['sh', '-c', `wget https://bot:${canary.urlPassword}@example.test/x`],
      },
    });
    expect(refused.status, refused.body).toBe(403);

    // A token in a query string ends up in the request log line.
    await call('GET', `/api/hosts?access_token=${canary.queryToken}`, { cookie: admin });

    // The records exist and keep everything but the secrets.
    const page = await call('GET', '/api/audit?limit=500', { cookie: admin });
    const items = page.json<{ items: AuditEntry[] }>().items;
    const volRecord = items.find((e) => e.params && JSON.stringify(e.params).includes(volumeName));
    expect(volRecord, 'the refused volume create is audited').toBeTruthy();
    expect(volRecord!.result).toBe('error');
    expect(JSON.stringify(volRecord!.params)).toContain('addr=127.0.0.1,username=u,password=[redacted]');
    expect(JSON.stringify(volRecord!.params)).toContain('https://deploy:[redacted]@git.lab.example/repo.git');
    const previewRecord = items.find((e) => e.params && JSON.stringify(e.params).includes(`sec-audit-c-${tag}`));
    expect(JSON.stringify(previewRecord!.params)).toContain('DB_PASSWORD=[redacted]');
    expect(JSON.stringify(previewRecord!.params)).toContain('https://bot:[redacted]@example.test/x');
    const loginRecord = items.find((e) => e.action === 'auth.login' && e.result === 'error');
    expect(loginRecord!.actor.name).toBe('[redacted]');

    const csv = await call('GET', '/api/audit/export?format=csv', { cookie: admin });
    const json = await call('GET', '/api/audit/export?format=json', { cookie: admin });
    expect(csv.status).toBe(200);
    expect(json.status).toBe(200);

    // The database file, WAL included.
    const dbPath = join(live.test.dataDir, 'mirador.db');
    const raw = new Database(dbPath);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const files = [dbPath, `${dbPath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));

    // The preview answers its own sender with the `docker run` line they are composing (operators
    // read env values anyway, see containers.service.ts); it is not stored, audited or logged.
    const echoes = new Set<LiveResponse>([preview]);
    const haystacks: Array<[string, string | Buffer]> = [
      ...responses.filter((r) => !echoes.has(r)).map((r, i): [string, string] => [`API response ${i}`, JSON.stringify(r.headers) + r.body]),
      ['server log', logLines.join('')],
      ...files.map((b, i): [string, Buffer] => [`database file ${i}`, b]),
    ];
    expect(logLines.length, 'the server log was captured').toBeGreaterThan(5);
    // The request line was logged, with the token's value hidden and the rest kept.
    expect(logLines.join('')).toContain('/api/hosts?access_token=[redacted]');
    const hits: string[] = [];
    for (const [name, value] of Object.entries(canary)) {
      for (const [where, hay] of haystacks) {
        const found = typeof hay === 'string' ? hay.includes(value) : hay.includes(Buffer.from(value));
        if (found) hits.push(`${name} in ${where}`);
      }
      recordAttempt(
        AREA,
        `secret canary "${name}" searched in API responses, audit, exports, log and database`,
        hits.some((h) => h.startsWith(`${name} `)) ? 'got-through' : 'refused',
      );
    }
    expect(hits).toEqual([]);
  });
});
