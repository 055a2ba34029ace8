import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPARE_NAME_PREFIX } from '@mirador/contract';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * The Compare measurement (issue #13) makes a VM and a container on a host. Viewers start nothing;
 * the request names hosts and, at most, an image already on the engine: fields that would choose the
 * VM's kernel, initrd, disk or the container's settings do not exist and are refused; hostile host
 * ids and image references are refused before anything runs, and an image is never pulled. Each
 * attempt must leave the hosts, the engine and the database as they were.
 */
const AREA = 'compare';
const URL = '/api/compare/measurements';
let s: SecurityLab;

const post = (cookie: string | undefined, body: unknown) => s.live.request('POST', URL, { cookie, body });
const ours = (listing: string) =>
  listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(COMPARE_NAME_PREFIX));
async function state() {
  // What a measurement (or a pull) would change, read directly: the fixture's whole snapshot also holds
  // every image and network of the shared engine, which other suites change meanwhile (and is slow).
  const db = s.live.test.app.db;
  return {
    tasks: await db.task.count(),
    settings: await db.setting.findMany({ orderBy: { key: 'asc' } }),
    containers: (await s.docker.listContainers({ all: true })).flatMap((c) => c.Names).filter((n) => n.includes(COMPARE_NAME_PREFIX)),
    images: (await s.docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => /evil|sec-compare/.test(t)),
    domains: ours(virsh(s.lab, 'list', '--all', '--name')),
    volumes: ours(virsh(s.lab, 'vol-list', '--pool', s.lab.storagePool)),
  };
}

beforeAll(async () => {
  s = await startSecurityLab(AREA);
}, 180_000);
afterAll(async () => {
  await s?.close();
});

describe('compare measurement: who may start it', () => {
  it('refuses anonymous callers and viewers; viewers may read the figures', async () => {
    const before = await state();
    const body = { vmHostId: s.sshHostId, engineHostId: s.localHostId };
    const anon = await post(undefined, body);
    expect(tally(AREA, 'anonymous starts a measurement', anon.status === 401), anon.body).toBe(true);
    const viewer = await post(s.cookies.viewer, body);
    expect(tally(AREA, 'viewer starts a measurement', viewer.status === 403), viewer.body).toBe(true);
    expect((await s.live.request('GET', URL, { cookie: s.cookies.viewer })).status).toBe(200);
    expect(await state()).toEqual(before);
  });
});

describe('compare measurement: hostile bodies', () => {
  // Fields the contract does not have are stripped before the handler (Ajv removeAdditional, as on every
  // route): each such case also names an image the engine lacks, so the request stops there and shows that
  // nothing of the extra field was used.
  const ABSENT = 'sec-compare-absent:1';
  const cases: Array<[string, () => unknown, number, string | null]> = [
    [
      'a kernel path of its own',
      () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: ABSENT, kernel: '/etc/shadow' }),
      400,
      'image',
    ],
    [
      'a whole install section',
      () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: ABSENT, install: { kind: 'kernel', kernel: '/root/x' } }),
      400,
      'image',
    ],
    ['container settings', () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: ABSENT, privileged: true }), 400, 'image'],
    ['a host id as a number', () => ({ vmHostId: 12, engineHostId: s.localHostId }), 400, 'vmHostId'],
    ['a path as the host id', () => ({ vmHostId: '../../etc/passwd', engineHostId: s.localHostId }), 404, null],
    ['an oversized host id', () => ({ vmHostId: 'x'.repeat(5000), engineHostId: s.localHostId }), 400, 'vmHostId'],
    ['the engine host as the VM host (no libvirt)', () => ({ vmHostId: s.localHostId, engineHostId: s.localHostId }), 400, 'vmHostId'],
    ['an option as the image', () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: '--privileged' }), 400, 'image'],
    ['shell in the image', () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: 'labbox;rm -rf /' }), 400, 'image'],
    [
      'an image from another registry (never pulled)',
      () => ({ vmHostId: s.sshHostId, engineHostId: s.localHostId, image: 'evil.example:5000/miner:1' }),
      400,
      'image',
    ],
    ['missing engine', () => ({ vmHostId: s.sshHostId }), 400, null],
  ];
  it.each(cases)('refuses %s before anything runs', async (what, body, status, field) => {
    const before = await state();
    const res = await post(s.cookies.admin, body());
    expect(tally(AREA, `measurement body: ${what}`, res.status === status), `${res.status} ${res.body}`).toBe(true);
    if (field) expect(res.json().field).toBe(field);
    expect(await state()).toEqual(before);
  });

  it('refuses prototype poisoning in the body', async () => {
    const before = await state();
    const raw = `{"vmHostId":"${s.sshHostId}","engineHostId":"${s.localHostId}","__proto__":{"image":"evil"}}`;
    const res = await post(s.cookies.admin, raw);
    expect(tally(AREA, 'measurement body with __proto__', res.status === 400), res.body).toBe(true);
    expect(await state()).toEqual(before);
  });
});
