import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityFindingList } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { tally } from './tally.js';

/**
 * The security advisor's routes under hostile input: malformed finding ids, reasons that are empty,
 * huge or carry control characters, unknown formats and filters are refused with 400 before any
 * handler runs; a reason written as a spreadsheet formula is exported inert; and a secret in a
 * container's environment never reaches a finding, an export or the audit log.
 */
const AREA = 'advisor';
const lab = readLab();
const NAME = `sec-advisor-${process.pid}`;
const CANARY = `CANARY-sec-advisor-${process.pid}-71d3`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

let t: TestApp;
let admin: string;
let hostId: string;
let findingId: string;

beforeAll(async () => {
  // Created, not started: the rules read its settings, and nothing here needs it running.
  docker('create', '--name', NAME, '--label', 'mirador.test=security', '-e', `SECRET_KEY=${CANARY}`, lab.dockerImage, 'sleep', '3600');
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  const list = (await t.call({ method: 'GET', url: `/api/security/findings?hostId=${hostId}`, cookie: admin })).json<SecurityFindingList>();
  findingId = list.items.find((f) => f.target.id === NAME && f.ruleId === 'docker.container.root-user')!.id;
}, 60_000);

afterAll(async () => {
  await t?.close();
  try {
    docker('rm', '-f', NAME);
  } catch {
    /* never made */
  }
});

describe('security advisor: hostile input', () => {
  it('refuses malformed finding ids before any handler runs', async () => {
    const bad = ['xyz', 'A'.repeat(32), 'a'.repeat(65), 'a'.repeat(15), '..%2F..%2Fetc', `${'a'.repeat(32)}%00`, `${'a'.repeat(31)}g`];
    for (const id of bad)
      for (const [method, rest] of [
        ['POST', 'acknowledge'],
        ['DELETE', 'acknowledge'],
        ['POST', 'fix'],
      ] as const) {
        const res = await t.call({
          method,
          url: `/api/security/findings/${id}/${rest}`,
          cookie: admin,
          payload: method === 'POST' ? { reason: 'fine reason' } : undefined,
        });
        expect(tally(AREA, `${method} ${rest} id=${id}`, res.statusCode === 400), `${method} ${id}: ${res.statusCode}`).toBe(true);
      }
    // Well-formed but unknown: 404, not a crash.
    const res = await t.call({
      method: 'POST',
      url: `/api/security/findings/${'0'.repeat(32)}/acknowledge`,
      cookie: admin,
      payload: { reason: 'fine reason' },
    });
    expect(tally(AREA, 'unknown finding id', res.statusCode === 404)).toBe(true);
  });

  it('refuses bad acknowledgement reasons', async () => {
    const url = `/api/security/findings/${findingId}/acknowledge`;
    const bad: unknown[] = [
      {},
      { reason: '' },
      { reason: 'ab' },
      { reason: 'x'.repeat(501) },
      { reason: 'nul\u0000byte' },
      { reason: 'esc \u001b[31m red' },
      { reason: 42 },
      { reason: ['a', 'b', 'c'] },
    ];
    for (const payload of bad) {
      const res = await t.call({ method: 'POST', url, cookie: admin, payload: payload as Record<string, unknown> });
      expect(
        tally(AREA, `reason ${JSON.stringify(payload).slice(0, 40)}`, res.statusCode === 400),
        `${JSON.stringify(payload)}: ${res.statusCode}`,
      ).toBe(true);
    }
    const list = (
      await t.call({ method: 'GET', url: `/api/security/findings?hostId=${hostId}`, cookie: admin })
    ).json<SecurityFindingList>();
    expect(list.items.find((f) => f.id === findingId)?.acknowledged).toBeNull();
  });

  it('refuses unknown export formats and filters', async () => {
    for (const q of ['format=xml', 'format=', '', 'format=csv&hostId=' + 'h'.repeat(65)]) {
      const res = await t.call({ method: 'GET', url: `/api/security/findings/export?${q}`, cookie: admin });
      expect(tally(AREA, `export ${q.slice(0, 40)}`, res.statusCode === 400), `${q}: ${res.statusCode}`).toBe(true);
    }
    for (const q of ['targetKind=planet', 'severity=apocalyptic', 'includeAcknowledged=maybe', `targetId=${'x'.repeat(257)}`]) {
      const res = await t.call({ method: 'GET', url: `/api/security/findings?${q}`, cookie: admin });
      expect(tally(AREA, `list ${q.slice(0, 40)}`, res.statusCode === 400), `${q}: ${res.statusCode}`).toBe(true);
    }
  });

  it('exports a formula-shaped reason as inert text', async () => {
    for (const reason of ['=HYPERLINK("http://evil.example","x")', '+cmd|calc', '-2+3', '@SUM(1)']) {
      const ack = await t.call({
        method: 'POST',
        url: `/api/security/findings/${findingId}/acknowledge`,
        cookie: admin,
        payload: { reason },
      });
      expect(ack.statusCode, ack.body).toBe(200);
      const csv = (await t.call({ method: 'GET', url: '/api/security/findings/export?format=csv', cookie: admin })).body;
      const row = csv.split('\r\n').find((l) => l.startsWith(findingId))!;
      const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
      const cell = cells.find((c) => c.includes(reason.slice(1, 6).replace(/"/g, '""')))!;
      expect(tally(AREA, `csv formula ${reason.slice(0, 12)}`, /^"?'/.test(cell)), cell).toBe(true);
    }
  });

  it('never lets a container environment secret into findings, exports or the audit log', async () => {
    const list = await t.call({ method: 'GET', url: '/api/security/findings', cookie: admin });
    expect(list.body).toContain(NAME);
    const seen = [list.body];
    for (const format of ['json', 'csv'])
      seen.push((await t.call({ method: 'GET', url: `/api/security/findings/export?format=${format}`, cookie: admin })).body);
    seen.push(JSON.stringify(await t.app.db.auditLog.findMany()));
    for (const [i, text] of seen.entries()) expect(tally(AREA, `env canary in output ${i}`, !text.includes(CANARY))).toBe(true);
  });
});
