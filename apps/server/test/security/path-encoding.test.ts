import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, type SecurityLab } from './fixtures.js';
import { READS, concretePath, protectedRoutes } from './routes.js';
import { tally } from './tally.js';

/**
 * Path-encoding variants of every route and websocket, sent byte for byte over real HTTP without a
 * session and with a viewer's: percent-encoding of any character, double slashes, dot segments
 * (written and encoded), case variants, trailing slashes, backslashes, `;` parameters. Each must be
 * refused (400) before any handler runs, the refusal of a mutation must be audited, and nothing may
 * change. The attack that opened issue #8 was `POST /%61pi/users` creating an admin.
 */
let s: SecurityLab;
let before: Record<string, unknown>;

beforeAll(async () => {
  // Every refusal is checked for its own audit record, so the per-address folding is lifted here
  // (input.test.ts covers the folding).
  s = await startSecurityLab('paths', { auditAnonymousRefusalsPerMinute: 1_000_000 });
  before = await s.snapshot();
}, 180_000);
afterAll(async () => {
  await s?.close();
});

const hex = (c: string) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');

/** Non-canonical spellings of a canonical path `p` (which starts with /api/). */
export function variants(p: string): Array<[string, string]> {
  const rest = p.slice('/api/'.length);
  const segs = rest.split('/');
  const last = segs[segs.length - 1]!;
  const out: Array<[string, string]> = [
    ['encoded "a" of /api', `/%61pi/${rest}`],
    ['encoded "i" of /api, lower-case hex', `/ap%69/${rest}`.replace('%69', '%69')],
    ['encoded first letter of the first segment', `/api/${hex(rest[0]!)}${rest.slice(1)}`],
    ['encoded letter with lower-case hex', `/api/${hex(rest[0]!).toLowerCase()}${rest.slice(1)}`],
    ['encoded last character', `/api/${rest.slice(0, -1)}${hex(rest.slice(-1))}`],
    ['double slash at the start', `//api/${rest}`],
    ['double slash inside', `/api//${rest}`],
    ['dot segment', `/api/./${rest}`],
    ['dot-dot segment', `/api/${segs[0]}/../${rest}`],
    ['encoded dot-dot', `/api/x/%2E%2E/${rest}`],
    ['encoded dot-dot, lower-case', `/api/x/%2e%2e/${rest}`],
    ['dot-dot from outside /api', `/static/../api/${rest}`],
    ['upper-case API', `/API/${rest}`],
    ['mixed-case Api', `/Api/${rest}`],
    ['trailing slash', `${p}/`],
    ['semicolon parameter', `/api/${rest};jsessionid=x`],
    ['backslash separator', `/api\\${rest}`],
    ['encoded slash between segments', `/api%2F${rest}`],
    ['NUL byte', `/api/${rest}%00`],
  ];
  if (last.length > 1) out.push(['encoded letter in the last segment', `${p.slice(0, -last.length)}${hex(last[0]!)}${last.slice(1)}`]);
  return out;
}

describe('path-encoding variants', () => {
  it('refuses every variant of every route before a handler runs, and audits refused mutations', async () => {
    const failures: string[] = [];
    let attempts = 0;
    for (const r of protectedRoutes(s)) {
      const canonical = concretePath(s, r);
      for (const [what, raw] of variants(canonical)) {
        for (const who of ['anonymous', 'viewer'] as const) {
          const cookie = who === 'viewer' ? s.cookies.viewer : undefined;
          attempts++;
          const label = `${who} ${r.method} ${raw} (${what})`;
          const res = await (
            r.websocket
              ? s.live.upgradeStatus(raw, { cookie })
              : s.live.request(r.method, raw, { cookie, body: READS.has(r.method) ? undefined : {} })
          ).catch((err: Error) => ({ status: 0, body: err.message }));
          // 400 from the canonical-path check; Node's own HTTP parser answers 400 too for bytes it
          // will not accept. Anything else means the request reached routing as if it were canonical.
          if (!tally('paths', label, res.status === 400)) {
            failures.push(`${label}: HTTP ${res.status} ${res.body.slice(0, 100)}`);
            continue;
          }
          if (!READS.has(r.method) && !r.websocket && res.body.includes('non_canonical_path')) {
            const a = await s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
            if (!a || a.statusCode !== 400 || !a.action.startsWith('request.refused'))
              failures.push(`${label}: refusal not audited (last: ${a?.action})`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(attempts).toBeGreaterThan(3000);
  }, 600_000);

  it('refuses the percent-encoding of every single character of every route path', async () => {
    const failures: string[] = [];
    let attempts = 0;
    for (const r of protectedRoutes(s)) {
      const canonical = concretePath(s, r);
      for (let i = 1; i < canonical.length; i++) {
        const c = canonical[i]!;
        if (c === '/' || c === '%' || (i > 1 && canonical[i - 1] === '%') || (i > 2 && canonical[i - 2] === '%')) continue;
        const raw = `${canonical.slice(0, i)}${hex(c)}${canonical.slice(i + 1)}`;
        attempts++;
        const res = await (
          r.websocket ? s.live.upgradeStatus(raw) : s.live.request(r.method, raw, { body: READS.has(r.method) ? undefined : {} })
        ).catch((err: Error) => ({ status: 0, body: err.message }));
        if (!tally('paths', `anonymous ${r.method} ${raw} (encoded "${c}")`, res.status === 400))
          failures.push(`${r.method} ${raw}: HTTP ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(attempts).toBeGreaterThan(3000);
  }, 600_000);

  it('still serves canonical paths (the check is not simply refusing everything)', async () => {
    const me = await s.live.request('GET', '/api/auth/me', { cookie: s.cookies.viewer });
    expect(me.status).toBe(200);
    const img = await s.live.request('GET', `/api/hosts/${s.localHostId}/images/${encodeURIComponent(s.lab.dockerImage)}`, {
      cookie: s.cookies.viewer,
    });
    expect(img.status).toBe(200);
  });

  it('never creates a user through an encoded path (the original report)', async () => {
    const res = await s.live.request('POST', '/%61pi/users', { body: { username: 'mallory', password: 'password123', role: 'admin' } });
    expect(tally('paths', 'POST /%61pi/users creates an admin', res.status === 400)).toBe(true);
    expect(await s.live.test.app.db.user.count({ where: { username: 'mallory' } })).toBe(0);
    const a = await s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
    expect(a).toMatchObject({ action: 'request.refused POST /%61pi/users', result: 'error', statusCode: 400, actorType: 'anonymous' });
  });

  it('changed nothing on the host, the engine or the database', async () => {
    expect(await s.snapshot()).toEqual(before);
  });
});
