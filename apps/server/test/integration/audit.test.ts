import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { GENESIS_HASH, chainHash, type ChainedFields } from '../../src/audit/chain.js';

describe('audit log', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.call({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'wrong-password' } });
    await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'olga', password: 'operator-pass', role: 'operator' },
    });
    await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'h1', address: '10.0.0.1', authMethod: 'password', password: 'hunter2-secret' },
    });
    await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'bad name!', address: '10.0.0.1', authMethod: 'generate' },
    });
  });
  afterAll(async () => t.close());

  it('records who did what to which target, with the result, for successes and failures', async () => {
    const page = (await t.call({ method: 'GET', url: '/api/audit?limit=100', cookie: admin })).json();
    const actions = page.items.map((e: { action: string; result: string }) => `${e.action}:${e.result}`);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.setup:ok', 'auth.login:error', 'user.create:ok', 'host.create:ok', 'host.create:error']),
    );

    const failedLogin = page.items.find((e: { action: string }) => e.action === 'auth.login');
    expect(failedLogin).toMatchObject({
      actor: { type: 'anonymous', name: 'admin' },
      result: 'error',
      statusCode: 401,
      sourceIp: '127.0.0.1',
    });
    expect(failedLogin.errorMessage).toMatch(/Wrong username or password/);
    expect(JSON.stringify(failedLogin.params)).not.toContain('wrong-password');

    const hostCreate = page.items.find((e: { action: string; result: string }) => e.action === 'host.create' && e.result === 'ok');
    expect(hostCreate).toMatchObject({ actor: { type: 'user', name: 'admin' }, target: { type: 'host', name: 'h1' } });
    expect(hostCreate.target.id).toBeTruthy();
    expect(hostCreate.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(hostCreate.params)).not.toContain('hunter2-secret');
    expect(JSON.stringify(hostCreate.params)).toContain('[redacted]');

    const refused = page.items.find((e: { action: string; result: string }) => e.action === 'host.create' && e.result === 'error');
    expect(refused.statusCode).toBe(400);
    expect(refused.errorMessage).toMatch(/name/);
  });

  it('filters by actor, action prefix, result and time, and pages with a cursor', async () => {
    const byAction = (await t.call({ method: 'GET', url: '/api/audit?action=host.', cookie: admin })).json();
    expect(byAction.items.every((e: { action: string }) => e.action.startsWith('host.'))).toBe(true);
    expect(byAction.total).toBe(2);
    const errors = (await t.call({ method: 'GET', url: '/api/audit?result=error', cookie: admin })).json();
    expect(errors.items.every((e: { result: string }) => e.result === 'error')).toBe(true);
    const future = (
      await t.call({ method: 'GET', url: `/api/audit?from=${new Date(Date.now() + 3600_000).toISOString()}`, cookie: admin })
    ).json();
    expect(future.total).toBe(0);

    const p1 = (await t.call({ method: 'GET', url: '/api/audit?limit=2', cookie: admin })).json();
    expect(p1.items).toHaveLength(2);
    const p2 = (await t.call({ method: 'GET', url: `/api/audit?limit=2&before=${p1.nextBefore}`, cookie: admin })).json();
    expect(p2.items[0].seq).toBeLessThan(p1.items[1].seq);
    expect((await t.call({ method: 'GET', url: '/api/audit?limit=0', cookie: admin })).statusCode).toBe(400);
  });

  it('is readable by admins only', async () => {
    const olga = await t.login('olga', 'operator-pass');
    expect((await t.call({ method: 'GET', url: '/api/audit', cookie: olga })).statusCode).toBe(403);
  });

  it('exports CSV and JSON', async () => {
    const csv = await t.call({ method: 'GET', url: '/api/audit/export?format=csv&action=host.', cookie: admin });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="mirador-audit-.*\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^seq,at,actorType,actor,/);
    expect(lines).toHaveLength(3);
    const json = (await t.call({ method: 'GET', url: '/api/audit/export?format=json', cookie: admin })).json();
    expect(Array.isArray(json)).toBe(true);
    expect(json[0].seq).toBeLessThan(json[json.length - 1].seq);
  });

  it('verifies the hash chain, and detects a modified or removed record', async () => {
    const ok = (await t.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
    expect(ok.intact).toBe(true);
    expect(ok.checked).toBeGreaterThan(4);

    const raw = new Database(join(t.dataDir, 'mirador.db'));
    raw.prepare("UPDATE AuditLog SET actorName = 'someone-else' WHERE seq = 3").run();
    const tampered = (await t.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
    expect(tampered).toMatchObject({ intact: false, firstBrokenSeq: 3 });
    expect(tampered.reason).toMatch(/modified/);

    raw.prepare("UPDATE AuditLog SET actorName = 'admin' WHERE seq = 3").run();
    raw.prepare('DELETE FROM AuditLog WHERE seq = 4').run();
    raw.close();
    const removed = (await t.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
    expect(removed).toMatchObject({ intact: false, firstBrokenSeq: 5 });
    expect(removed.reason).toMatch(/removed or reordered/);
  });

  it('keeps a log written before keyed MACs verifiable, anchors the first keyed record to it, and redacts it on export', async () => {
    const old = await startTestApp();
    try {
      // Three records as an older Mirador wrote them: plain SHA-256 links, params redacted by name only.
      const raw = new Database(join(old.dataDir, 'mirador.db'));
      let prev = GENESIS_HASH;
      const insert = raw.prepare(
        'INSERT INTO AuditLog (seq, id, at, actorType, actorId, actorName, sourceIp, action, targetType, targetId, targetName, hostId, params, result, errorMessage, statusCode, durationMs, prevHash, hash) VALUES (@seq, @id, @at, @actorType, @actorId, @actorName, @sourceIp, @action, @targetType, @targetId, @targetName, @hostId, @params, @result, @errorMessage, @statusCode, @durationMs, @prevHash, @hash)',
      );
      for (let seq = 1; seq <= 3; seq++) {
        const f: ChainedFields = {
          id: `legacy-${seq}`,
          at: new Date(Date.UTC(2026, 0, seq)).toISOString(),
          actorType: 'user',
          actorId: 'u1',
          actorName: 'admin',
          sourceIp: '10.0.0.9',
          action: 'volume.create',
          targetType: 'volume',
          targetId: null,
          targetName: `v${seq}`,
          hostId: null,
          params: JSON.stringify({ body: { driverOpts: { o: `addr=10.0.0.5,username=u,password=old-secret-${seq}` } } }),
          result: 'ok',
          errorCode: null,
          errorParams: null,
          errorMessage: seq === 2 ? 'mount failed for https://u:old-url-secret@nas.lab/share' : null,
          statusCode: 201,
          durationMs: 4,
        };
        const hash = chainHash(prev, f);
        insert.run({ ...f, seq, prevHash: prev, hash });
        prev = hash;
      }
      raw.close();

      const admin = await old.setupAdmin();
      const ok = (await old.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
      expect(ok).toMatchObject({ intact: true, legacyChecked: 3, firstBrokenSeq: null });
      expect(ok.checked).toBe(4);
      const page = (await old.call({ method: 'GET', url: '/api/audit?limit=10', cookie: admin })).json();
      const firstKeyed = page.items.find((e: { seq: number }) => e.seq === 4);
      expect(firstKeyed.prevHash).toBe(prev);
      expect(ok).toMatchObject({ headSeq: 4, headMac: firstKeyed.hash });

      // Older records are redacted by value on the way out, in the API and the exports.
      const exported = (await old.call({ method: 'GET', url: '/api/audit/export?format=json', cookie: admin })).body;
      const csv = (await old.call({ method: 'GET', url: '/api/audit/export?format=csv', cookie: admin })).body;
      for (const out of [exported, csv, JSON.stringify(page)]) {
        expect(out).not.toMatch(/old-secret|old-url-secret/);
        expect(out).toContain('addr=10.0.0.5,username=u,password=[redacted]');
      }

      // The legacy part is anchored by the first keyed record: recomputing it the old way is caught there.
      const raw2 = new Database(join(old.dataDir, 'mirador.db'));
      raw2.prepare("UPDATE AuditLog SET targetName = 'other' WHERE seq = 2").run();
      const modified = (await old.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
      expect(modified).toMatchObject({ intact: false, firstBrokenSeq: 2 });
      const rows = raw2.prepare('SELECT * FROM AuditLog WHERE seq IN (2, 3) ORDER BY seq').all() as Array<
        ChainedFields & { seq: number; at: string; hash: string }
      >;
      let link = (raw2.prepare('SELECT hash FROM AuditLog WHERE seq = 1').get() as { hash: string }).hash;
      for (const r of rows) {
        const hash = chainHash(link, { ...r, at: new Date(r.at).toISOString() });
        raw2.prepare('UPDATE AuditLog SET prevHash = ?, hash = ? WHERE seq = ?').run(link, hash, r.seq);
        link = hash;
      }
      raw2.close();
      const rechained = (await old.call({ method: 'GET', url: '/api/audit/verify', cookie: admin })).json();
      expect(rechained).toMatchObject({ intact: false, firstBrokenSeq: 4, legacyChecked: 3 });
    } finally {
      await old.close();
    }
  });
});
