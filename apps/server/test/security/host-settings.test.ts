import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPrivateKey } from '../helpers/lab.js';
import { startSecurityLab, type SecurityLab } from './fixtures.js';
import { recordAttempt } from './tally.js';

/**
 * Host connection settings are data, not programs. A libvirt URI names programs, sockets and files
 * (`?command=`, `?netcat=`, `?socket=`, `?keyfile=`, `qemu+ext://`…) that libvirt runs or opens as
 * root on the host, so Mirador builds the URI itself from { driver, mode } and refuses everything
 * else — in requests (400 for admins, 403 for operators, who may not touch connection settings at
 * all) and at the point of use (a hostile URI written straight into the database runs nothing).
 * The canary is a script that would create a file: it must never appear.
 */
const AREA = 'host-settings';
let s: SecurityLab;
const tag = randomBytes(4).toString('hex');
const CANARY = `/tmp/sec-${AREA}-${tag}.sh`;
const HIT = `/tmp/sec-${AREA}-${tag}.hit`;

const hostileUris: Array<[string, string]> = [
  ['ssh transport ?command=', `qemu+ssh://localhost/system?command=${CANARY}`],
  ['ssh transport ?socket=', 'qemu+ssh://localhost/system?socket=/tmp/x.sock'],
  ['ssh transport ?keyfile=', 'qemu+ssh://localhost/system?keyfile=/root/.ssh/id_ed25519'],
  ['ssh transport ?known_hosts=', 'qemu+ssh://localhost/system?known_hosts=/tmp/kh'],
  ['ssh transport ?netcat=', `qemu+ssh://localhost/system?netcat=${CANARY}`],
  ['ssh transport ?no_verify=1', 'qemu+ssh://localhost/system?no_verify=1'],
  ['ext transport', `qemu+ext:///system?command=${CANARY}`],
  ['unix transport ?socket=', 'qemu+unix:///system?socket=/tmp/x'],
  ['query without transport', `qemu:///system?command=${CANARY}`],
  ['host part', 'qemu://evil.example/system'],
  ['user, host and port', 'qemu+tcp://root@127.0.0.1:16509/system'],
  ['percent-encoded query', `qemu:///system%3Fcommand%3D${encodeURIComponent(CANARY)}`],
  ['trailing ;', 'qemu:///system;'],
  ['shell after ;', `qemu:///system; ${CANARY}`],
  ['newline', `qemu:///system\n${CANARY}`],
  ['very long', `qemu:///system${'/'.repeat(5000)}`],
  ['uppercase scheme', 'QEMU:///system'],
  ['test driver with query', 'test:///default?x'],
  ['test driver with a file', `test://${CANARY}`],
  ['trailing slash', 'qemu:///system/'],
  ['leading space', ' qemu:///system'],
  ['unknown driver', 'vbox:///session'],
];

const hostileEndpoints: Array<[string, unknown]> = [
  ['extra member', { driver: 'qemu', mode: 'system', extra: 'x' }],
  ['extra uri member', { driver: 'qemu', mode: 'system', uri: `qemu+ext:///system?command=${CANARY}` }],
  ['extra query member', { driver: 'qemu', mode: 'system', query: { command: CANARY } }],
  ['transport in driver', { driver: 'qemu+ssh', mode: 'system' }],
  ['query in mode', { driver: 'qemu', mode: `system?command=${CANARY}` }],
  ['path in mode', { driver: 'test', mode: CANARY }],
  ['unknown driver', { driver: 'vbox', mode: 'session' }],
  ['mode the driver lacks (xen session)', { driver: 'xen', mode: 'session' }],
  ['mode the driver lacks (test session)', { driver: 'test', mode: 'session' }],
  ['missing mode', { driver: 'qemu' }],
  ['a URI string instead of an object', 'qemu:///system'],
  ['an array', ['qemu', 'system']],
  ['uppercase driver', { driver: 'QEMU', mode: 'system' }],
];

const hostileSockets: Array<[string, string]> = [
  ['dot-dot', '/var/run/../../tmp/x.sock'],
  ['relative ../', '../var/run/docker.sock'],
  ['relative', 'var/run/docker.sock'],
  [';', '/var/run/docker.sock;touch /tmp/x'],
  ['newline', '/var/run/docker.sock\n/tmp/x'],
  ['$()', `/tmp/$(${CANARY}).sock`],
  ['backticks', '/tmp/`id`.sock'],
  ['space', '/var/run/docker sock'],
  ['empty', ''],
];

/** Everything about hosts that a refused request could have changed (status fields move on their own). */
async function hostRows() {
  const rows = await s.live.test.app.db.host.findMany({ orderBy: { id: 'asc' } });
  return JSON.stringify(
    rows.map((h) => ({
      ...h,
      status: undefined,
      statusMessage: undefined,
      lastCheckedAt: undefined,
      facts: undefined,
      updatedAt: undefined,
    })),
  );
}

async function lastAudit() {
  return s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });
}

/**
 * Sends one hostile request and checks everything a refusal must be: the status, a message naming
 * the field, no host row changed, an audit record of the refusal, and no canary. Tallies the attempt.
 */
async function expectRefused(opts: {
  who: 'admin' | 'operator' | 'viewer';
  method: 'POST' | 'PATCH';
  path: string;
  body: unknown;
  status: number;
  field: string;
  attempt: string;
  action: string;
}) {
  const before = await hostRows();
  const res = await s.live.request(opts.method, opts.path, { cookie: s.cookies[opts.who], body: opts.body });
  const after = await hostRows();
  const audit = await lastAudit();
  const refused =
    res.status === opts.status &&
    after === before &&
    !existsSync(HIT) &&
    audit?.action === opts.action &&
    audit.result === 'error' &&
    audit.statusCode === opts.status;
  recordAttempt(AREA, `${opts.who} ${opts.method} ${opts.attempt}`, refused ? 'refused' : 'got-through');
  const label = `${opts.who} ${opts.method} ${opts.attempt}: ${res.status} ${res.body.slice(0, 200)}`;
  expect(res.status, label).toBe(opts.status);
  const body = res.json();
  // The field the refusal is about is named (Ajv may point inside it, e.g. libvirt.extra).
  expect(String(body.field ?? ''), label).toMatch(new RegExp(`^${opts.field}`));
  expect(body.message, label).toContain(opts.field);
  expect(after, label).toBe(before);
  expect(audit, label).toMatchObject({ action: opts.action, result: 'error', statusCode: opts.status });
  expect(existsSync(HIT), label).toBe(false);
}

beforeAll(async () => {
  writeFileSync(CANARY, `#!/bin/sh\ntouch ${HIT}\nexit 1\n`);
  chmodSync(CANARY, 0o755);
  s = await startSecurityLab('hostset');
}, 180_000);

afterAll(async () => {
  await s?.close();
  rmSync(CANARY, { force: true });
  rmSync(HIT, { force: true });
});

describe('the canary is real', () => {
  it("libvirt runs a URI's command: virsh -c qemu+ext:///system?command=<canary> creates the file", () => {
    // Proves the attack works against libvirt itself, so the refusals below are worth something.
    try {
      execFileSync('virsh', ['-c', `qemu+ext:///system?command=${CANARY}`, 'uri'], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      /* the canary exits 1: virsh fails after running it */
    }
    expect(existsSync(HIT)).toBe(true);
    rmSync(HIT, { force: true });
  });
});

describe('hostile libvirt URIs and endpoints in requests', () => {
  const patch = () => `/api/hosts/${s.sshHostId}`;
  const create = (extra: Record<string, unknown>) => ({
    name: `sec-${AREA}-new`,
    address: s.lab.ssh.host,
    port: s.lab.ssh.port,
    authMethod: 'key',
    privateKey: labPrivateKey(s.lab),
    ...extra,
  });

  it('operators may not send a libvirt URI at all (403 naming libvirtUri), hostile or not', async () => {
    for (const [what, uri] of [...hostileUris, ['canonical', 'qemu:///session'] as [string, string]]) {
      await expectRefused({
        who: 'operator',
        method: 'PATCH',
        path: patch(),
        body: { libvirtUri: uri },
        status: 403,
        field: 'libvirtUri',
        attempt: `libvirtUri ${what}`,
        action: 'host.update',
      });
    }
  }, 120_000);

  it('admins get a 400 naming libvirtUri for every URI Mirador does not build', async () => {
    for (const [what, uri] of hostileUris) {
      await expectRefused({
        who: 'admin',
        method: 'PATCH',
        path: patch(),
        body: { libvirtUri: uri },
        status: 400,
        field: 'libvirtUri',
        attempt: `libvirtUri ${what}`,
        action: 'host.update',
      });
    }
  }, 120_000);

  it('refuses hostile structured endpoints: 403 for operators, 400 naming libvirt for admins', async () => {
    for (const [what, libvirt] of hostileEndpoints) {
      await expectRefused({
        who: 'operator',
        method: 'PATCH',
        path: patch(),
        body: { libvirt },
        status: 403,
        field: 'libvirt',
        attempt: `libvirt ${what}`,
        action: 'host.update',
      });
      await expectRefused({
        who: 'admin',
        method: 'PATCH',
        path: patch(),
        body: { libvirt },
        status: 400,
        field: 'libvirt',
        attempt: `libvirt ${what}`,
        action: 'host.update',
      });
    }
    await expectRefused({
      who: 'admin',
      method: 'PATCH',
      path: patch(),
      body: { libvirt: { driver: 'qemu', mode: 'system' }, libvirtUri: 'qemu:///session' },
      status: 400,
      field: 'libvirtUri',
      attempt: 'libvirt and libvirtUri disagree',
      action: 'host.update',
    });
  }, 120_000);

  it('refuses the same values when a host is created (operators cannot create hosts at all)', async () => {
    const count = await s.live.test.app.db.host.count();
    for (const [what, uri] of hostileUris) {
      await expectRefused({
        who: 'admin',
        method: 'POST',
        path: '/api/hosts',
        body: create({ libvirtUri: uri }),
        status: 400,
        field: 'libvirtUri',
        attempt: `create libvirtUri ${what}`,
        action: 'host.create',
      });
    }
    for (const [what, libvirt] of hostileEndpoints) {
      await expectRefused({
        who: 'admin',
        method: 'POST',
        path: '/api/hosts',
        body: create({ libvirt }),
        status: 400,
        field: 'libvirt',
        attempt: `create libvirt ${what}`,
        action: 'host.create',
      });
    }
    for (const who of ['operator', 'viewer'] as const) {
      const res = await s.live.request('POST', '/api/hosts', {
        cookie: s.cookies[who],
        body: create({ libvirtUri: `qemu+ext:///system?command=${CANARY}` }),
      });
      const audit = await lastAudit();
      const ok = res.status === 403 && audit?.action === 'host.create' && audit.statusCode === 403;
      recordAttempt(AREA, `${who} POST /api/hosts with a hostile libvirtUri`, ok ? 'refused' : 'got-through');
      expect(res.status, res.body).toBe(403);
      expect(res.json().message).toMatch(/admin/);
      expect(audit).toMatchObject({ action: 'host.create', result: 'error', statusCode: 403 });
    }
    expect(await s.live.test.app.db.host.count()).toBe(count);
    expect(existsSync(HIT)).toBe(false);
  }, 120_000);
});

describe('connection settings are admin-only', () => {
  const adminOnly: Array<[string, unknown]> = [
    ['address', '127.0.0.2'],
    ['port', 2223],
    ['username', 'nobody'],
    ['authMethod', 'generate'],
    ['password', 'hunter2-hunter2'],
    ['passphrase', 'x'],
    ['dockerMode', 'none'],
    ['dockerSocket', '/run/user/1000/docker.sock'],
    ['libvirt', { driver: 'qemu', mode: 'session' }],
    ['libvirt', null],
    ['libvirtUri', null],
  ];

  it('an operator changing how a host is reached gets 403 naming the field, even with a valid value and a harmless name change', async () => {
    for (const [field, value] of [...adminOnly, ['privateKey', labPrivateKey(s.lab)] as [string, unknown]]) {
      await expectRefused({
        who: 'operator',
        method: 'PATCH',
        path: `/api/hosts/${s.sshHostId}`,
        body: { notes: 'sneaky', [field]: value },
        status: 403,
        field,
        attempt: `${field}=${JSON.stringify(value).slice(0, 40)}`,
        action: 'host.update',
      });
    }
  }, 120_000);

  it('operators may still rename, tag and annotate a host', async () => {
    const res = await s.live.request('PATCH', `/api/hosts/${s.sshHostId}`, {
      cookie: s.cookies.operator,
      body: { name: `sec-${AREA}-renamed`, tags: ['t1'], notes: 'ok' },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: `sec-${AREA}-renamed`,
      tags: ['t1'],
      notes: 'ok',
      libvirt: { driver: 'qemu', mode: 'system' },
      libvirtUri: 'qemu:///system',
    });
    const back = await s.live.request('PATCH', `/api/hosts/${s.sshHostId}`, {
      cookie: s.cookies.operator,
      body: { name: 'sec-hostset-ssh', tags: [], notes: '' },
    });
    expect(back.status, back.body).toBe(200);
  });

  it('removing a host is admin-only too', async () => {
    for (const who of ['operator', 'viewer'] as const) {
      const before = await hostRows();
      const res = await s.live.request('DELETE', `/api/hosts/${s.sshHostId}`, { cookie: s.cookies[who] });
      const audit = await lastAudit();
      recordAttempt(AREA, `${who} DELETE /api/hosts/:id`, res.status === 403 && (await hostRows()) === before ? 'refused' : 'got-through');
      expect(res.status).toBe(403);
      expect(await hostRows()).toBe(before);
      expect(audit).toMatchObject({ action: 'host.delete', result: 'error', statusCode: 403, targetId: s.sshHostId });
    }
  });

  it('admins may change the endpoint with the structured field; the API shows the URI Mirador built', async () => {
    const res = await s.live.request('PATCH', `/api/hosts/${s.sshHostId}`, {
      cookie: s.cookies.admin,
      body: { libvirt: { driver: 'test', mode: 'system' } },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ libvirt: { driver: 'test', mode: 'system' }, libvirtUri: 'test:///default', libvirtProblem: null });
    const legacy = await s.live.request('PATCH', `/api/hosts/${s.sshHostId}`, {
      cookie: s.cookies.admin,
      body: { libvirtUri: 'qemu:///system' },
    });
    expect(legacy.json()).toMatchObject({ libvirt: { driver: 'qemu', mode: 'system' }, libvirtUri: 'qemu:///system' });
  });
});

describe('Docker socket paths', () => {
  it('refuses hostile socket paths: 403 for operators, 400 naming dockerSocket for admins', async () => {
    for (const [what, path] of hostileSockets) {
      await expectRefused({
        who: 'operator',
        method: 'PATCH',
        path: `/api/hosts/${s.sshHostId}`,
        body: { dockerSocket: path },
        status: 403,
        field: 'dockerSocket',
        attempt: `dockerSocket ${what}`,
        action: 'host.update',
      });
      await expectRefused({
        who: 'admin',
        method: 'PATCH',
        path: `/api/hosts/${s.sshHostId}`,
        body: { dockerSocket: path },
        status: 400,
        field: 'dockerSocket',
        attempt: `dockerSocket ${what}`,
        action: 'host.update',
      });
    }
  }, 120_000);

  it('a connection test reports a socket path that is not a socket on the host (after resolving symlinks)', async () => {
    const link = `/tmp/sec-${AREA}-${tag}.link`;
    execFileSync('ln', ['-sfn', '/etc/passwd', link]);
    try {
      const made = await s.live.request('POST', '/api/hosts', {
        cookie: s.cookies.admin,
        body: {
          name: `sec-${AREA}-sock`,
          address: s.lab.ssh.host,
          port: s.lab.ssh.port,
          authMethod: 'key',
          privateKey: labPrivateKey(s.lab),
          libvirt: null,
          dockerMode: 'ssh',
          dockerSocket: link,
        },
      });
      expect(made.status, made.body).toBe(201);
      const r = (await s.live.request('POST', `/api/hosts/${made.json().id}/test`, { cookie: s.cookies.admin })).json();
      expect(r.facts.dockerError).toBe(`The Docker socket ${link} is not a socket on the host (it resolves to /etc/passwd)`);
      expect(r.facts.dockerVersion).toBeUndefined();
      const fixed = await s.live.request('PATCH', `/api/hosts/${made.json().id}`, {
        cookie: s.cookies.admin,
        body: { dockerSocket: s.lab.dockerSocket },
      });
      expect(fixed.status, fixed.body).toBe(200);
      const ok = (await s.live.request('POST', `/api/hosts/${made.json().id}/test`, { cookie: s.cookies.admin })).json();
      expect(ok.facts.dockerVersion, JSON.stringify(ok.facts)).toMatch(/^\d+\.\d+/);
      expect((await s.live.request('DELETE', `/api/hosts/${made.json().id}`, { cookie: s.cookies.admin })).status).toBe(204);
    } finally {
      rmSync(link, { force: true });
    }
  }, 60_000);
});

describe('the local endpoint', () => {
  const path = () => `/api/hosts/${s.localHostId}`;

  it('keeps its Docker socket and connection fixed, even for admins', async () => {
    for (const [field, value] of [
      ['dockerSocket', '/tmp/other.sock'],
      ['dockerMode', 'none'],
      ['address', '127.0.0.2'],
      ['port', 22],
      ['username', 'nobody'],
    ] as const) {
      await expectRefused({
        who: 'admin',
        method: 'PATCH',
        path: path(),
        body: { [field]: value },
        status: 400,
        field,
        attempt: `local ${field}`,
        action: 'host.update',
      });
      await expectRefused({
        who: 'operator',
        method: 'PATCH',
        path: path(),
        body: { [field]: value },
        status: 403,
        field,
        attempt: `local ${field}`,
        action: 'host.update',
      });
    }
  });

  it('lets an admin (not an operator) pick its libvirt endpoint', async () => {
    await expectRefused({
      who: 'operator',
      method: 'PATCH',
      path: path(),
      body: { libvirt: { driver: 'qemu', mode: 'system' } },
      status: 403,
      field: 'libvirt',
      attempt: 'local libvirt',
      action: 'host.update',
    });
    const res = await s.live.request('PATCH', path(), { cookie: s.cookies.admin, body: { libvirt: { driver: 'qemu', mode: 'system' } } });
    expect(res.json()).toMatchObject({
      libvirt: { driver: 'qemu', mode: 'system' },
      libvirtUri: 'qemu:///system',
      dockerSocket: s.lab.dockerSocket,
    });
    expect((await s.live.request('PATCH', path(), { cookie: s.cookies.admin, body: { libvirt: null } })).json().libvirt).toBeNull();
  });
});

describe('a hostile URI written straight into the database', () => {
  // Each host gets its own row: an inventory, once made, keeps the URI it was made with.
  const stored: Array<[string, string]> = [
    ['ssh transport ?command=', `qemu+ssh://localhost/system?command=${CANARY}`],
    ['ssh transport ?netcat=', `qemu+ssh://localhost/system?netcat=${CANARY}`],
    ['ext transport', `qemu+ext:///system?command=${CANARY}`],
    ['test driver with a file', `test://${CANARY}`],
  ];

  it('runs nothing on the host: the inventory, the connection test and virt resources say to pick the endpoint again', async () => {
    const db = s.live.test.app.db;
    for (const [what, uri] of stored) {
      const made = await s.live.request('POST', '/api/hosts', {
        cookie: s.cookies.admin,
        body: {
          name: `sec-${AREA}-db-${stored.findIndex((x) => x[1] === uri)}`,
          address: s.lab.ssh.host,
          port: s.lab.ssh.port,
          authMethod: 'key',
          privateKey: labPrivateKey(s.lab),
          libvirt: { driver: 'qemu', mode: 'system' },
        },
      });
      expect(made.status, made.body).toBe(201);
      const id = made.json().id as string;
      expect((await s.live.request('POST', `/api/hosts/${id}/test`, { cookie: s.cookies.admin })).json().ok).toBe(true);
      // As an older version (or anyone with the database file) would have left it.
      await db.host.update({ where: { id }, data: { libvirtUri: uri } });

      const host = (await s.live.request('GET', `/api/hosts/${id}`, { cookie: s.cookies.viewer })).json();
      expect(host).toMatchObject({
        libvirt: null,
        libvirtUri: null,
        libvirtProblem: expect.stringMatching(/pick the libvirt endpoint again/),
      });

      const vms = await s.live.request('GET', `/api/hosts/${id}/vms`, { cookie: s.cookies.viewer });
      expect(vms.status, vms.body).toBe(200);
      expect(vms.json().hosts[0]).toMatchObject({
        hostId: id,
        ok: false,
        error: expect.stringMatching(/not one Mirador builds.*pick the libvirt endpoint again/),
      });
      expect(vms.json().items).toEqual([]);

      const resources = await s.live.request('GET', `/api/hosts/${id}/virt-resources`, { cookie: s.cookies.viewer });
      expect(resources.status, resources.body).toBe(409);
      expect(resources.json()).toMatchObject({
        code: 'libvirt_endpoint_invalid',
        message: expect.stringMatching(/pick the libvirt endpoint again/),
      });

      const tested = (await s.live.request('POST', `/api/hosts/${id}/test`, { cookie: s.cookies.admin })).json();
      expect(tested.facts.libvirtError).toMatch(/pick the libvirt endpoint again/);
      expect(tested.facts.libvirtVersion).toBeUndefined();

      const all = (await s.live.request('GET', '/api/vms', { cookie: s.cookies.viewer })).json();
      expect(all.hosts.find((h: { hostId: string }) => h.hostId === id)).toMatchObject({ ok: false });
      expect(all.hosts.find((h: { hostId: string }) => h.hostId === s.sshHostId)).toMatchObject({ ok: true });

      // The event stream would start right after connecting: give anything that slipped through time to run.
      await new Promise((r) => setTimeout(r, 500));
      const ran = existsSync(HIT);
      recordAttempt(AREA, `stored libvirtUri ${what} (inventory, test, virt-resources)`, ran ? 'got-through' : 'refused');
      expect(ran, what).toBe(false);

      // The fix: an admin picks the endpoint again.
      const fixed = (
        await s.live.request('PATCH', `/api/hosts/${id}`, {
          cookie: s.cookies.admin,
          body: { libvirt: { driver: 'test', mode: 'system' } },
        })
      ).json();
      expect(fixed).toMatchObject({ libvirtUri: 'test:///default', libvirtProblem: null });
      await expect
        .poll(async () => (await s.live.request('GET', `/api/hosts/${id}/vms`, { cookie: s.cookies.viewer })).json().hosts[0].ok, {
          timeout: 20_000,
          interval: 250,
        })
        .toBe(true);
      expect((await s.live.request('DELETE', `/api/hosts/${id}`, { cookie: s.cookies.admin })).status).toBe(204);
    }
  }, 180_000);
});
