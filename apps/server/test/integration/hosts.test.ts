import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';

describe('hosts inventory against the real lab sshd', () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab;
  let hostId: string;

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp();
    admin = await t.setupAdmin();
  });
  afterAll(async () => t?.close());

  it('adds the lab host with a pasted key and never returns or stores the key in clear', async () => {
    const key = labPrivateKey(lab);
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'lab',
        address: lab.ssh.host,
        port: lab.ssh.port,
        username: lab.ssh.user,
        authMethod: 'key',
        privateKey: key,
        tags: ['teaching', 'rack-1'],
        notes: 'the lab box',
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain('PRIVATE KEY');
    const host = res.json();
    hostId = host.id;
    expect(host).toMatchObject({
      name: 'lab',
      hasSecret: true,
      hostKey: null,
      status: 'unknown',
      tags: ['teaching', 'rack-1'],
      libvirt: { driver: 'qemu', mode: 'system' },
      libvirtUri: 'qemu:///system',
      libvirtProblem: null,
    });

    const raw = new Database(join(t.dataDir, 'mirador.db'), { readonly: true });
    const dump = JSON.stringify(raw.prepare('SELECT * FROM Host').all());
    raw.close();
    expect(dump).not.toContain('PRIVATE KEY');
    expect(dump).not.toContain(key.split('\n')[1]!);

    const list = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).body;
    expect(list).not.toContain('PRIVATE KEY');
    expect(JSON.parse(list).map((h: { name: string }) => h.name)).toContain('lab');
  });

  it('tests the connection, pins the host key on first use, and reports what the host offers', async () => {
    const res = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin });
    expect(res.statusCode).toBe(200);
    const r = res.json();
    expect(r).toMatchObject({ ok: true, reachable: true, authOk: true });
    expect(r.hostKey).toMatchObject({ fingerprint: lab.ssh.hostKeyFingerprint, algorithm: 'ssh-ed25519', pin: 'new' });
    expect(r.facts.os).toMatch(/Debian/);
    expect(r.facts.libvirtVersion).toMatch(/^\d+\.\d+/);
    expect(typeof r.facts.kvm).toBe('boolean');

    const host = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}`, cookie: admin })).json();
    expect(host.status).toBe('online');
    expect(host.hostKey.fingerprint).toBe(lab.ssh.hostKeyFingerprint);

    const again = (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json();
    expect(again.hostKey.pin).toBe('match');
  });

  it('refuses a host whose key no longer matches the pin, and says so clearly', async () => {
    // Point the host at the impostor sshd: same credentials, different host key.
    const patched = await t.call({ method: 'PATCH', url: `/api/hosts/${hostId}`, cookie: admin, payload: { port: lab.sshImpostor.port } });
    expect(patched.json().hostKey.fingerprint).toBe(lab.ssh.hostKeyFingerprint);
    const r = (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json();
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('host_key_mismatch');
    expect(r.error.message).toContain(lab.ssh.hostKeyFingerprint);
    expect(r.error.message).toContain(lab.sshImpostor.hostKeyFingerprint);
    expect(r.hostKey).toMatchObject({
      pin: 'mismatch',
      fingerprint: lab.sshImpostor.hostKeyFingerprint,
      expected: lab.ssh.hostKeyFingerprint,
    });
    const host = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}`, cookie: admin })).json();
    expect(host.status).toBe('error');
    expect(host.hostKey.fingerprint).toBe(lab.ssh.hostKeyFingerprint);

    const audit = (await t.call({ method: 'GET', url: `/api/audit?action=host.test&result=error`, cookie: admin })).json();
    expect(audit.items[0].errorMessage).toMatch(/does not match the pinned key/);

    // Everything that reaches the host says the same, as an answer people can read (not a 500): the VM
    // inventory's event stream is the first thing a page or a create preview starts.
    const preview = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/vms/preview`,
      cookie: admin,
      payload: {
        name: 'never-made',
        memoryMiB: 128,
        vcpus: 1,
        disk: { kind: 'none' },
        install: { kind: 'import' },
        network: { kind: 'none' },
      },
    });
    expect(preview.statusCode, preview.body).toBe(502);
    expect(preview.json().code).toBe('host_key_mismatch');
    const vms = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin });
    expect(vms.statusCode, vms.body).toBeLessThan(500);
    expect(vms.body).toContain('does not match the pinned key');
  });

  it('lets an admin forget the pinned key so the next connection pins the new one', async () => {
    const forgotten = await t.call({ method: 'POST', url: `/api/hosts/${hostId}/forget-host-key`, cookie: admin });
    expect(forgotten.json().hostKey).toBeNull();
    const r = (await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json();
    expect(r.hostKey).toMatchObject({ pin: 'new', fingerprint: lab.sshImpostor.hostKeyFingerprint });
  });

  it('reports the exact reason a connection fails', async () => {
    const closed = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'nobody-home', address: '127.0.0.1', port: 1, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    const r1 = (await t.call({ method: 'POST', url: `/api/hosts/${closed.json().id}/test`, cookie: admin })).json();
    expect(r1).toMatchObject({ ok: false, reachable: false, error: { code: 'unreachable' } });
    expect(r1.error.message).toMatch(/refused/);
    expect((await t.call({ method: 'GET', url: `/api/hosts/${closed.json().id}`, cookie: admin })).json().status).toBe('offline');

    // A key Mirador generated but nobody installed yet: reachable, authentication refused.
    const gen = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'fresh', address: lab.ssh.host, port: lab.ssh.port, authMethod: 'generate' },
    });
    expect(gen.json().publicKey).toMatch(/^ssh-ed25519 AAAA\S+ mirador@fresh$/);
    const r2 = (await t.call({ method: 'POST', url: `/api/hosts/${gen.json().id}/test`, cookie: admin })).json();
    expect(r2).toMatchObject({ ok: false, reachable: true, error: { code: 'auth_failed' } });
  });

  it('refuses hostile or malformed input with 400 naming the field, and writes nothing', async () => {
    const before = await t.app.db.host.count();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x; rm -rf /', address: '127.0.0.1', authMethod: 'generate' }, 'name'],
      [{ name: '$(reboot)', address: '127.0.0.1', authMethod: 'generate' }, 'name'],
      [{ name: '../x', address: '127.0.0.1', authMethod: 'generate' }, 'name'],
      [{ name: '<a>&', address: '127.0.0.1', authMethod: 'generate' }, 'name'],
      [{ name: 'ok', address: '-oProxyCommand=touch /tmp/pwned', authMethod: 'generate' }, 'address'],
      [{ name: 'ok', address: '127.0.0.1', username: 'root;id', authMethod: 'generate' }, 'username'],
      [{ name: 'ok', address: '127.0.0.1', port: 70000, authMethod: 'generate' }, 'port'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'key', privateKey: 'x'.repeat(100) }, 'privateKey'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'key' }, 'privateKey'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'password' }, 'password'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'generate', libvirtUri: 'qemu:///system;reboot' }, 'libvirtUri'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'generate', libvirtUri: 'qemu+ssh://h/system?command=/bin/x' }, 'libvirtUri'],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'generate', libvirt: { driver: 'xen', mode: 'session' } }, 'libvirt'],
      [
        { name: 'ok', address: '127.0.0.1', authMethod: 'generate', libvirt: { driver: 'qemu', mode: 'system', socket: '/x' } },
        'libvirt.socket',
      ],
      [{ name: 'ok', address: '127.0.0.1', authMethod: 'generate', dockerSocket: 'run/docker.sock' }, 'dockerSocket'],
      [{ name: 'lab', address: '127.0.0.1', authMethod: 'generate' }, 'name'],
    ];
    for (const [payload, field] of cases) {
      const res = await t.call({ method: 'POST', url: '/api/hosts', cookie: admin, payload });
      expect([400, 409], JSON.stringify(payload)).toContain(res.statusCode);
      expect(res.json().field, JSON.stringify(payload)).toBe(field);
      expect(res.json().message.length).toBeGreaterThan(5);
    }
    expect(await t.app.db.host.count()).toBe(before);
    expect((await t.call({ method: 'GET', url: '/api/hosts/does-not-exist', cookie: admin })).statusCode).toBe(404);
    expect((await t.call({ method: 'POST', url: '/api/hosts/does-not-exist/test', cookie: admin })).statusCode).toBe(404);
  });

  it('takes the libvirt endpoint as a driver and a mode, and shows the URI it builds', async () => {
    const session = await t.call({
      method: 'PATCH',
      url: `/api/hosts/${hostId}`,
      cookie: admin,
      payload: { libvirt: { driver: 'qemu', mode: 'session' } },
    });
    expect(session.json()).toMatchObject({ libvirt: { driver: 'qemu', mode: 'session' }, libvirtUri: 'qemu:///session' });
    const none = await t.call({ method: 'PATCH', url: `/api/hosts/${hostId}`, cookie: admin, payload: { libvirt: null } });
    expect(none.json()).toMatchObject({ libvirt: null, libvirtUri: null, libvirtProblem: null });
    // The old field still works, for the URIs Mirador builds.
    const legacy = await t.call({ method: 'PATCH', url: `/api/hosts/${hostId}`, cookie: admin, payload: { libvirtUri: 'qemu:///system' } });
    expect(legacy.json()).toMatchObject({ libvirt: { driver: 'qemu', mode: 'system' }, libvirtUri: 'qemu:///system' });
  });

  it('removes a host from the inventory', async () => {
    expect((await t.call({ method: 'DELETE', url: `/api/hosts/${hostId}`, cookie: admin })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: `/api/hosts/${hostId}`, cookie: admin })).statusCode).toBe(404);
  });

  it('adds the local Docker engine automatically when its socket exists', async () => {
    const t2 = await startTestApp({ dockerSocket: lab.dockerSocket });
    try {
      const c = await t2.setupAdmin();
      const hosts = (await t2.call({ method: 'GET', url: '/api/hosts', cookie: c })).json();
      const local = hosts.find((h: { kind: string }) => h.kind === 'local');
      expect(local).toMatchObject({ name: 'local', dockerMode: 'socket', dockerSocket: lab.dockerSocket });
      const r = (await t2.call({ method: 'POST', url: `/api/hosts/${local.id}/test`, cookie: c })).json();
      expect(r.ok).toBe(true);
      expect(r.facts.dockerVersion).toMatch(/^\d+\.\d+/);
      // Deleting it is respected: it does not come back on the next start.
      await t2.call({ method: 'DELETE', url: `/api/hosts/${local.id}`, cookie: c });
      expect(readFileSync(join(t2.dataDir, 'mirador.db')).length).toBeGreaterThan(0);
    } finally {
      await t2.close();
    }
  });

  it('keeps host status current in the background, once a person has accepted the host key', async () => {
    const t3 = await startTestApp({ hostCheckIntervalSeconds: 1 });
    try {
      const c = await t3.setupAdmin();
      const created = (
        await t3.call({
          method: 'POST',
          url: '/api/hosts',
          cookie: c,
          payload: { name: 'watched', address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
        })
      ).json();
      // Not yet tested by anyone: background checks leave it alone (no silent key pinning).
      await new Promise((r) => setTimeout(r, 3000));
      const untouched = (await t3.call({ method: 'GET', url: `/api/hosts/${created.id}`, cookie: c })).json();
      expect(untouched).toMatchObject({ status: 'unknown', hostKey: null });

      await t3.call({ method: 'POST', url: `/api/hosts/${created.id}/test`, cookie: c });
      await t3.app.db.host.update({ where: { id: created.id }, data: { status: 'unknown' } });
      await expect
        .poll(async () => (await t3.call({ method: 'GET', url: `/api/hosts/${created.id}`, cookie: c })).json().status, {
          timeout: 20_000,
          interval: 500,
        })
        .toBe('online');
    } finally {
      await t3.close();
    }
  });
});
