import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLab, labPrivateKey, type Lab } from '../helpers/lab.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { tally } from './tally.js';

/**
 * Simulated fleet hosts read their inventory with the libvirt test driver from a file
 * (`test:///<dir>/<file>.xml`). A request names only a plain file; the directory is the server's
 * admin setting (MIRADOR_LIBVIRT_TEST_DIR) and nothing else. Whatever a request tries — traversal,
 * absolute paths, URI options, a directory of its own, a symlink out of the directory — no file
 * outside that directory is ever read: the canary domain, defined only in a file outside it, never
 * shows up in any answer.
 */
const AREA = 'libvirt-test-files';
const CANARY_VM = 'mirtest-fleet-canary';

const domainsXml = (...names: string[]) =>
  `<node>${names.map((n) => `<domain type='test'><name>${n}</name><memory>131072</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`).join('')}</node>`;

// Known when the cases below are listed (it.each reads them at load time).
const root = mkdtempSync(join(tmpdir(), 'mirador-sec-fleet-'));
const allowed = join(root, 'fleet');
const outside = join(root, 'elsewhere');
let lab: Lab;

beforeAll(() => {
  lab = readLab();
  mkdirSync(allowed);
  mkdirSync(outside);
  writeFileSync(join(allowed, 'ok.xml'), domainsXml('mirtest-fleet-ok'));
  writeFileSync(join(outside, 'secret.xml'), domainsXml(CANARY_VM));
  symlinkSync(join(outside, 'secret.xml'), join(allowed, 'out.xml'));
  symlinkSync('../elsewhere/secret.xml', join(allowed, 'rel-out.xml'));
  symlinkSync(outside, join(allowed, 'linkdir'));
  symlinkSync('ok.xml', join(allowed, 'inner.xml'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function hostBody(name: string, libvirt: unknown) {
  return { name, address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab), libvirt };
}

describe('test-driver files with the directory set by the admin', () => {
  let t: TestApp;
  let admin: string;
  let operator: string;

  beforeAll(async () => {
    t = await startTestApp({ libvirtTestDir: allowed });
    admin = await t.setupAdmin();
    operator = await t.userSession('operator', 'fleet-operator');
  });
  afterAll(async () => t.close());

  /** Creates the host and pins the lab's host key (as the UI's "Test connection" does). */
  async function addHost(name: string, libvirt: unknown) {
    const res = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload: hostBody(name, libvirt) });
    expect(res.statusCode, res.body).toBe(201);
    const probe = await t.call({ method: 'POST', url: `/api/hosts/${res.json().id}/test`, cookie: admin });
    expect(probe.json().authOk, probe.body).toBe(true);
    return { host: res.json() as { id: string; libvirt: unknown; libvirtUri: string }, probe: probe.body };
  }

  async function vmsOf(hostId: string) {
    const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin });
    return { body: res.body, json: res.json() as { items: { name: string }[]; hosts: { error: string | null }[] } };
  }

  it('a plain file name inside the directory works (and a symlink that stays inside)', async () => {
    for (const file of ['ok.xml', 'inner.xml']) {
      const { host } = await addHost(`fleet-${file.replace('.', '-')}`, { driver: 'test', mode: 'file', file });
      expect(host.libvirt).toEqual({ driver: 'test', mode: 'file', file });
      expect(host.libvirtUri).toBe(`test://${allowed}/${file}`);
      const { json } = await vmsOf(host.id);
      expect(json.items.map((v) => v.name)).toEqual(['mirtest-fleet-ok']);
    }
  });

  const refusedInRequests: Array<[string, unknown]> = [
    ['traversal ../', { driver: 'test', mode: 'file', file: '../elsewhere/secret.xml' }],
    ['traversal encoded', { driver: 'test', mode: 'file', file: '..%2felsewhere%2fsecret.xml' }],
    ['traversal through a linked directory', { driver: 'test', mode: 'file', file: 'linkdir/secret.xml' }],
    ['dot-dot name', { driver: 'test', mode: 'file', file: '..xml' }],
    ['hidden name', { driver: 'test', mode: 'file', file: '.secret.xml' }],
    ['absolute path', { driver: 'test', mode: 'file', file: '/etc/passwd.xml' }],
    ['absolute path to the canary', { driver: 'test', mode: 'file', file: `${outside}/secret.xml` }],
    ['URI option ?', { driver: 'test', mode: 'file', file: 'ok.xml?command=/bin/sh' }],
    ['URI fragment #', { driver: 'test', mode: 'file', file: 'ok.xml#x' }],
    ['newline', { driver: 'test', mode: 'file', file: 'ok.xml\n' }],
    ['not .xml', { driver: 'test', mode: 'file', file: 'passwd' }],
    ['a directory of its own', { driver: 'test', mode: 'file', file: 'secret.xml', dir: outside }],
    ['a path member', { driver: 'test', mode: 'file', file: 'ok.xml', path: `${outside}/secret.xml` }],
    ['file mode on another driver', { driver: 'qemu', mode: 'file', file: 'ok.xml' }],
    ['file member on a daemon endpoint', { driver: 'test', mode: 'system', file: 'secret.xml' }],
    ['missing file', { driver: 'test', mode: 'file' }],
  ];
  it.each(refusedInRequests)('refuses %s (400, nothing stored)', async (label, libvirt) => {
    const before = await t.app.db.host.count();
    const res = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload: hostBody(`fleet-bad-${before}`, libvirt) });
    const refused = res.statusCode === 400 && (await t.app.db.host.count()) === before && !res.body.includes(CANARY_VM);
    expect(tally(AREA, `create host: ${label}`, refused), res.body).toBe(true);
  });

  const refusedUris: Array<[string, string]> = [
    ['legacy libvirtUri naming an allowed file', `test://${allowed}/ok.xml`],
    ['legacy libvirtUri naming the canary', `test://${outside}/secret.xml`],
    ['legacy libvirtUri with an option', `test://${allowed}/ok.xml?x=1`],
  ];
  it.each(refusedUris)('refuses %s in libvirtUri', async (label, libvirtUri) => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { ...hostBody('fleet-legacy', undefined), libvirt: undefined, libvirtUri },
    });
    expect(tally(AREA, `create host: ${label}`, res.statusCode === 400), res.body).toBe(true);
  });

  it.each(['out.xml', 'rel-out.xml'])(
    'a symlink %s that points out of the directory is judged on the host and never read',
    async (file) => {
      const { host, probe } = await addHost(`fleet-${file.replace('.', '-')}`, { driver: 'test', mode: 'file', file });
      expect(tally(AREA, `host test through a symlink out: ${file}`, !probe.includes(CANARY_VM) && /outside/.test(probe)), probe).toBe(
        true,
      );
      const { body, json } = await vmsOf(host.id);
      const refused = json.items.length === 0 && !body.includes(CANARY_VM) && /outside/.test(json.hosts[0]?.error ?? '');
      expect(tally(AREA, `symlink out of the directory: ${file}`, refused), body).toBe(true);
    },
  );

  it('the fleet-wide list (GET /api/vms) never shows what a refused file holds', async () => {
    const res = await t.call({ method: 'GET', url: '/api/vms', cookie: admin });
    const names = (res.json() as { items: { name: string }[] }).items.map((v) => v.name);
    expect(names).toContain('mirtest-fleet-ok');
    expect(tally(AREA, 'fleet list through symlinks out of the directory', !res.body.includes(CANARY_VM)), res.body).toBe(true);
  });

  it('a stored URI naming another directory (database edit) is never used', async () => {
    const { host } = await addHost('fleet-edited', { driver: 'test', mode: 'file', file: 'ok.xml' });
    await t.app.db.host.update({ where: { id: host.id }, data: { libvirtUri: `test://${outside}/secret.xml` } });
    const view = await t.call({ method: 'GET', url: `/api/hosts/${host.id}`, cookie: admin });
    const { body } = await vmsOf(host.id);
    const refused = view.json().libvirt === null && view.json().libvirtProblem !== null && !body.includes(CANARY_VM);
    expect(tally(AREA, 'stored URI in another directory', refused), body).toBe(true);
  });

  it('operators may not point a host at a file, nor name a directory', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: operator,
      payload: hostBody('fleet-op', { driver: 'test', mode: 'file', file: 'ok.xml' }),
    });
    expect(tally(AREA, 'operator creates a file host', created.statusCode === 403), created.body).toBe(true);
    const host = (await t.app.db.host.findFirstOrThrow({ where: { name: 'fleet-ok-xml' } })).id;
    for (const [label, libvirt] of [
      ['operator switches a host to a file', { driver: 'test', mode: 'file', file: 'ok.xml' }],
      ['operator names a directory', { driver: 'test', mode: 'file', file: 'secret.xml', dir: outside }],
    ] as const) {
      const res = await t.call({ method: 'PATCH', url: `/api/hosts/${host}`, cookie: operator, payload: { libvirt } });
      expect(tally(AREA, label, res.statusCode === 403), res.body).toBe(true);
    }
    // The directory is server configuration: no route sets it.
    for (const url of ['/api/settings', '/api/settings/libvirt-test-dir', '/api/hosts/libvirt-test-dir']) {
      const res = await t.call({ method: 'PUT', url, cookie: operator, payload: { libvirtTestDir: outside } });
      expect(tally(AREA, `operator sets the directory via ${url}`, res.statusCode === 404 || res.statusCode === 403), res.body).toBe(true);
    }
  });
});

describe('test-driver files while no directory is set', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp({ libvirtTestDir: null });
    admin = await t.setupAdmin();
  });
  afterAll(async () => t.close());

  it('refuses the endpoint with a 400 naming libvirt.file', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: hostBody('fleet-unset', { driver: 'test', mode: 'file', file: 'ok.xml' }),
    });
    const refused = res.statusCode === 400 && res.json().field === 'libvirt.file' && /MIRADOR_LIBVIRT_TEST_DIR/.test(res.json().message);
    expect(tally(AREA, 'file endpoint with the directory unset', refused), res.body).toBe(true);
  });

  it('a stored file URI is not used once the directory is unset', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: hostBody('fleet-was-set', { driver: 'test', mode: 'system' }),
    });
    expect((await t.call({ method: 'POST', url: `/api/hosts/${res.json().id}/test`, cookie: admin })).json().authOk).toBe(true);
    await t.app.db.host.update({ where: { id: res.json().id }, data: { libvirtUri: `test://${allowed}/ok.xml` } });
    const view = await t.call({ method: 'GET', url: `/api/hosts/${res.json().id}`, cookie: admin });
    const vms = await t.call({ method: 'GET', url: `/api/hosts/${res.json().id}/vms`, cookie: admin });
    const refused = view.json().libvirtProblem !== null && !vms.body.includes('mirtest-fleet-ok');
    expect(tally(AREA, 'stored file URI with the directory unset', refused), vms.body).toBe(true);
  });
});
