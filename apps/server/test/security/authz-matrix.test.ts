import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@mirador/contract';
import { startSecurityLab, type SecurityLab } from './fixtures.js';
import { PINNED_ADMIN, RANK, READS, SELF_SERVICE, concretePath, minRole, protectedRoutes } from './routes.js';
import { tally } from './tally.js';

/**
 * The authorisation matrix, generated from the server's route table: every protected route ×
 * (no session, viewer, operator, admin). Each identity below the route's minimum is refused (401 /
 * 403), every refused mutation leaves an audit record saying so, and nothing changed on the host,
 * the engine or the database. Cross-site requests carrying an admin's cookie are refused the same way.
 */
let s: SecurityLab;
let before: Record<string, unknown>;

beforeAll(async () => {
  // Every refusal must leave its own record here; the per-address budget that folds anonymous refusals
  // into counts (input.test.ts covers it) would otherwise fold them once the API has enough mutations.
  s = await startSecurityLab('matrix', { auditAnonymousRefusalsPerMinute: 1_000_000 });
  before = await s.snapshot();
}, 180_000);
afterAll(async () => {
  await s?.close();
});

async function lastAudit() {
  return s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
}

describe('authorisation matrix', () => {
  it('covers the whole API', () => {
    const routes = protectedRoutes(s);
    expect(routes.length).toBeGreaterThan(80);
    expect(routes.filter((r) => r.websocket).length).toBeGreaterThanOrEqual(5);
  });

  it('pins the minimum role of sensitive routes', () => {
    for (const r of protectedRoutes(s)) {
      const key = `${r.method} ${r.url}`;
      const min = minRole(r);
      if (PINNED_ADMIN.some((re) => re.test(key))) expect(min, key).toBe('admin');
      if (!READS.has(r.method) && !SELF_SERVICE.has(key))
        expect(RANK[min], `${key} changes state: at least operator`).toBeGreaterThanOrEqual(RANK.operator);
    }
  });

  it("refuses every identity below each route's minimum role, and audits refused mutations", async () => {
    const failures: string[] = [];
    let attempts = 0;
    for (const r of protectedRoutes(s)) {
      const path = concretePath(s, r);
      const key = `${r.method} ${r.url}`;
      const min = minRole(r);
      const callers: Array<{ who: 'anonymous' | Role; cookie?: string; expect: number }> = [{ who: 'anonymous', expect: 401 }];
      for (const role of ['viewer', 'operator'] as const)
        if (RANK[role] < RANK[min]) callers.push({ who: role, cookie: s.cookies[role], expect: 403 });
      for (const c of callers) {
        attempts++;
        try {
          if (r.websocket) {
            const res = await s.live.upgradeStatus(path, { cookie: c.cookie });
            if (!tally('authz', `${c.who} ${key} (websocket)`, res.status === c.expect)) failures.push(`${c.who} ${key}: ${res.status}`);
            continue;
          }
          const res = await s.live.request(r.method, path, { cookie: c.cookie, body: READS.has(r.method) ? undefined : {} });
          if (!tally('authz', `${c.who} ${key}`, res.status === c.expect)) {
            failures.push(`${c.who} ${key}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
            continue;
          }
          if (!READS.has(r.method)) {
            const a = await lastAudit();
            if (!a || a.statusCode !== c.expect || a.result !== 'error')
              failures.push(`${c.who} ${key}: no audit record of the refusal (last: ${a?.action} ${a?.statusCode})`);
          }
        } catch (err) {
          failures.push(`${c.who} ${key}: ${(err as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(attempts).toBeGreaterThan(150);
  }, 300_000);

  it('refuses cookie-authenticated mutations and websocket upgrades from another origin', async () => {
    const failures: string[] = [];
    for (const r of protectedRoutes(s)) {
      const key = `${r.method} ${r.url}`;
      if (!r.websocket && READS.has(r.method)) continue;
      const path = concretePath(s, r);
      for (const origin of ['http://evil.example', null] as const) {
        const send = () =>
          r.websocket
            ? s.live.upgradeStatus(path, { cookie: s.cookies.admin, origin })
            : s.live.request(r.method, path, { cookie: s.cookies.admin, origin, body: {} });
        const res = await send().catch((err: Error) => ({ status: 0, body: err.message }));
        if (!tally('csrf', `${origin ?? 'no origin'} ${key}`, res.status === 403))
          failures.push(`${origin} ${key}: ${res.status} ${res.body.slice(0, 100)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('changed nothing on the host, the engine or the database', async () => {
    expect(await s.snapshot()).toEqual(before);
  });
});
