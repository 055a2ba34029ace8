import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Storage pools name host directories and volumes hand out a file's bytes (issue #10). Viewers change
 * nothing, only admins create pools, hostile directories and names are refused with a 400 naming the
 * field, and no volume name (nor a symbolic link planted in a pool) reads or grows a file outside it.
 * Every attempt runs against a live server and the lab's libvirtd over SSH, and must leave the
 * host's pools, volumes and a root-only canary file as they were.
 */
const AREA = 'storage';
const tag = randomBytes(3).toString('hex');
const POOL = `sec-storage-pool-${tag}`;
const CANARY = `/root/sec-storage-${tag}.canary`;
const CANARY_TEXT = `canary ${tag}\n`;

let s: SecurityLab;
let parent: string;
let poolDir: string;
let etcLink: string;

const api = (rest = '') => `/api/hosts/${s.sshHostId}/storage-pools${rest}`;
const lines = (out: string) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
/** What a refused request could have changed: the pools, this file's volumes, the canary. */
function state() {
  const st = statSync(CANARY);
  return JSON.stringify({
    pools: lines(virsh(s.lab, 'pool-list', '--all')),
    autostart: virsh(s.lab, 'pool-info', POOL),
    volumes: lines(virsh(s.lab, 'vol-list', POOL)),
    canary: { text: readFileSync(CANARY, 'utf8'), size: st.size, mode: st.mode, uid: st.uid },
  });
}

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  parent = mkdtempSync(join(tmpdir(), 'sec-storage-'));
  poolDir = join(parent, 'pool');
  writeFileSync(CANARY, CANARY_TEXT, { mode: 0o600 });
  etcLink = join(parent, 'etc-link');
  symlinkSync('/etc', etcLink);
  const created = await s.live.request('POST', api(), { cookie: s.cookies.admin, body: { name: POOL, path: poolDir, autostart: false } });
  if (created.status !== 201) throw new Error(`could not create the test pool: ${created.body}`);
  const vol = await s.live.request('POST', api(`/${POOL}/volumes`), {
    cookie: s.cookies.admin,
    body: { name: 'sec.raw', format: 'raw', capacityBytes: 4096 },
  });
  if (vol.status !== 201) throw new Error(`could not create the test volume: ${vol.body}`);
  // Planted by someone with a shell on the host: "volumes" that are links to a root-only file.
  symlinkSync(CANARY, join(poolDir, 'canary-link.raw'));
  mkdirSync(join(poolDir, 'subdir'));
  symlinkSync(CANARY, join(poolDir, 'subdir', 'x'));
  virsh(s.lab, 'pool-refresh', POOL);
});

afterAll(async () => {
  for (const args of [
    ['pool-destroy', POOL],
    ['pool-undefine', POOL],
  ]) {
    try {
      execFileSync('virsh', ['-c', s.lab.libvirtUri, ...args], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  if (parent) rmSync(parent, { recursive: true, force: true });
  rmSync(CANARY, { force: true });
  await s?.close();
});

describe('storage: roles', { timeout: 120_000 }, () => {
  const mutations = (): Array<[string, string, unknown]> => [
    ['POST', api(), { name: `${POOL}-v`, path: join(parent, 'v') }],
    ['POST', api('/preview'), { name: `${POOL}-v`, path: join(parent, 'v') }],
    ['POST', api(`/${POOL}/stop`), undefined],
    ['POST', api(`/${POOL}/start`), undefined],
    ['POST', api(`/${POOL}/refresh`), undefined],
    ['PUT', api(`/${POOL}/autostart`), { enabled: true }],
    ['DELETE', api(`/${POOL}`), undefined],
    ['POST', api(`/${POOL}/volumes`), { name: 'v.raw', format: 'raw', capacityBytes: 4096 }],
    ['POST', api(`/${POOL}/volumes/sec.raw/resize`), { capacityBytes: 8192 }],
    ['DELETE', api(`/${POOL}/volumes/sec.raw`), undefined],
    ['GET', api(`/${POOL}/volumes/sec.raw/download`), undefined],
  ];

  it('a viewer reads pools and volumes but is refused every mutation (and downloads)', async () => {
    expect((await s.live.request('GET', api(), { cookie: s.cookies.viewer })).status).toBe(200);
    expect((await s.live.request('GET', api(`/${POOL}/volumes`), { cookie: s.cookies.viewer })).status).toBe(200);
    for (const [method, path, body] of mutations()) {
      const before = state();
      const res = await s.live.request(method, path, { cookie: s.cookies.viewer, body });
      expect(tally(AREA, `viewer ${method} ${path.replace(s.sshHostId, ':hostId')}`, res.status === 403 && state() === before)).toBe(true);
    }
  });

  it('an operator may not create (or preview) a pool: that names a host directory', async () => {
    for (const [method, path, body] of mutations().slice(0, 2)) {
      const before = state();
      const res = await s.live.request(method, path, { cookie: s.cookies.operator, body });
      expect(tally(AREA, `operator ${method} ${path.replace(s.sshHostId, ':hostId')}`, res.status === 403 && state() === before)).toBe(
        true,
      );
    }
  });
});

describe('storage: hostile input (admin for pools, operator for volumes)', { timeout: 120_000 }, () => {
  const paths = (): Array<[string, string]> => [
    ['/etc', '/etc'],
    ['/proc/self', '/proc/self'],
    ['a symlink in /tmp pointing at /etc', etcLink],
    ['a directory below a symlink to /etc', `${etcLink}/mirador`],
    ['a relative path', 'relative/pool'],
    ['a .. segment', `${parent}/../../etc`],
    ['/root/.ssh', '/root/.ssh'],
    ['/', '/'],
    ['/usr/lib', '/usr/lib'],
    ['/lib64', '/lib64/x'],
    ['a path with a newline', `${parent}/a\nb`],
  ];
  for (const [label, path] of [
    ['/etc', 0],
    ['/proc/self', 1],
    ['symlink → /etc', 2],
    ['below symlink → /etc', 3],
    ['relative', 4],
    ['..', 5],
    ['/root/.ssh', 6],
    ['/', 7],
    ['/usr/lib', 8],
    ['/lib64', 9],
    ['newline', 10],
  ] as const) {
    it(`refuses a pool at ${label}`, async () => {
      const [what, dir] = paths()[path]!;
      const before = state();
      const preview = await s.live.request('POST', api('/preview'), { cookie: s.cookies.admin, body: { name: `${POOL}-h`, path: dir } });
      const res = await s.live.request('POST', api(), { cookie: s.cookies.admin, body: { name: `${POOL}-h`, path: dir } });
      const audit = await s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
      const refused =
        preview.status === 400 &&
        preview.json().field === 'path' &&
        res.status === 400 &&
        res.json().field === 'path' &&
        audit?.action === 'storage-pool.create' &&
        audit.result === 'error' &&
        state() === before;
      expect(tally(AREA, `pool path: ${what}`, refused), `${res.status} ${res.body}`).toBe(true);
    });
  }

  const names = ['../x', '--help', '$(id)', 'a b', 'x'.repeat(200), 'x</name><evil/>', '.hidden', ''];
  it('refuses hostile pool and volume names with a 400 naming the field', async () => {
    for (const name of names) {
      const before = state();
      const pool = await s.live.request('POST', api(), { cookie: s.cookies.admin, body: { name, path: join(parent, 'n') } });
      const vol = await s.live.request('POST', api(`/${POOL}/volumes`), {
        cookie: s.cookies.operator,
        body: { name, format: 'raw', capacityBytes: 4096 },
      });
      const refused =
        pool.status === 400 && pool.json().field === 'name' && vol.status === 400 && vol.json().field === 'name' && state() === before;
      expect(tally(AREA, `name ${JSON.stringify(name.slice(0, 20))}`, refused), `${pool.body} ${vol.body}`).toBe(true);
    }
  });

  it('uploads: a viewer is refused, hostile names and missing or forged content-length change nothing', async () => {
    const upload = (cookie: string, query: string, headers: Record<string, string>, payload: Buffer | string = Buffer.from('abcd')) =>
      s.live.test.call({
        method: 'POST',
        url: api(`/${POOL}/upload?${query}`),
        cookie,
        headers: { 'content-type': 'application/octet-stream', ...headers },
        payload,
      });
    let before = state();
    const viewer = await upload(s.cookies.viewer, 'name=v.iso&format=iso', { 'content-length': '4' });
    expect(tally(AREA, 'viewer upload', viewer.statusCode === 403 && state() === before), viewer.body).toBe(true);
    for (const name of names) {
      before = state();
      const res = await upload(s.cookies.operator, `name=${encodeURIComponent(name)}&format=raw`, { 'content-length': '4' });
      const refused = res.statusCode === 400 && state() === before;
      expect(tally(AREA, `upload name ${JSON.stringify(name.slice(0, 20))}`, refused), res.body).toBe(true);
    }
    for (const [label, headers] of [
      ['content-length 0', { 'content-length': '0' }],
      ['content-length beyond 1 PiB', { 'content-length': String(2 * 1024 ** 5) }],
    ] as const) {
      before = state();
      const res = await upload(
        s.cookies.operator,
        'name=forged.raw&format=raw',
        headers,
        label === 'content-length 0' ? '' : Buffer.from('abcd'),
      );
      const refused = res.statusCode >= 400 && res.statusCode < 500 && state() === before;
      expect(tally(AREA, `upload ${label}`, refused), `${res.statusCode} ${res.body}`).toBe(true);
    }
  });

  it('no volume name downloads a file outside the pool', async () => {
    const escapes = [
      '..%2F..%2F..%2Fetc%2Fshadow',
      '..%2Fsec.raw',
      '%2E%2E',
      '%2Fetc%2Fpasswd',
      '--help',
      '%24(id)',
      'canary-link.raw',
      'subdir%2Fx',
      'sec.raw%00.txt',
    ];
    for (const name of escapes) {
      const before = state();
      const res = await s.live.request('GET', api(`/${POOL}/volumes/${name}/download`), { cookie: s.cookies.operator });
      const refused = res.status >= 400 && !res.body.includes(CANARY_TEXT.trim()) && !res.body.includes('root:') && state() === before;
      expect(tally(AREA, `download ${name}`, refused), `${res.status} ${res.body.slice(0, 200)}`).toBe(true);
    }
    // The real volume still downloads, so the refusals above are not a broken route.
    const ok = await s.live.request('GET', api(`/${POOL}/volumes/sec.raw/download`), { cookie: s.cookies.operator });
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(4096);
  });

  it('a volume that is a link to a root-only file is neither read nor grown through it', async () => {
    // libvirt does list the planted link as a volume: the refusal is Mirador's, not a missing name.
    const listed = (await s.live.request('GET', api(`/${POOL}/volumes`), { cookie: s.cookies.operator })).json();
    expect(listed.items.map((v: { name: string }) => v.name)).toContain('canary-link.raw');
    const read = await s.live.request('GET', api(`/${POOL}/volumes/canary-link.raw/download`), { cookie: s.cookies.operator });
    expect(tally(AREA, 'download a symlinked volume', read.status === 403 && !read.body.includes(CANARY_TEXT.trim())), read.body).toBe(
      true,
    );
    const before = state();
    const grow = await s.live.request('POST', api(`/${POOL}/volumes/canary-link.raw/resize`), {
      cookie: s.cookies.operator,
      body: { capacityBytes: 1024 * 1024 },
    });
    expect(tally(AREA, 'resize a symlinked volume', grow.status === 403 && state() === before), grow.body).toBe(true);
  });
});
