import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';
import { followersUnder, isRunning, ourSshSessions } from '../helpers/lab-processes.js';

type Msg = { type: string; vm?: { name: string }; [k: string]: unknown };

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the live VM inventory follows libvirt and ends its follower with it (lab libvirt)', { timeout: 120_000 }, () => {
  let lab: Lab;
  let t: TestApp;
  let admin: string;
  let localId: string;
  let base: string;
  const name = `mirador-live-${randomBytes(3).toString('hex')}`;
  /** The "local" host runs virsh below this process. */
  const localFollowers = () => followersUnder([process.pid]);

  const listOf = async (hostId: string) =>
    (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin })).json<{
      items: Array<{ name: string }>;
      hosts: Array<{ ok: boolean; loading: boolean; error: string | null }>;
    }>();
  const setEndpoint = async (hostId: string, libvirt: { driver: string; mode: string } | null) => {
    const res = await t.call({ method: 'PATCH', url: `/api/hosts/${hostId}`, cookie: admin, payload: { libvirt } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const gone = (pids: number[]) => expect.poll(() => pids.filter(isRunning), { timeout: 5_000 }).toEqual([]);

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp({ dockerSocket: lab.dockerSocket });
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
    localId = hosts.find((h) => h.kind === 'local')!.id;
    await setEndpoint(localId, { driver: 'qemu', mode: 'system' });
  });
  afterAll(async () => {
    try {
      virsh('undefine', name);
    } catch {
      /* never defined, or gone already */
    }
    await t?.close();
  });

  it('follows with one event process; when it dies, reconnects and reads everything again', async () => {
    expect((await listOf(localId)).hosts[0]).toMatchObject({ ok: true, error: null });
    await expect.poll(() => localFollowers().length).toBe(1);
    const [first] = localFollowers();
    const ws = await wsConnect<Msg>(`ws://${base}/api/ws`, admin);
    try {
      ws.send({ type: 'subscribe', topic: 'vms' });
      await ws.waitFor((m) => m.type === 'subscribed');
      process.kill(first!, 'SIGKILL');
      // Made while nothing follows the host (the retry waits a second): only the resync can see it.
      const file = join(mkdtempSync(join(tmpdir(), 'mirador-live-')), 'domain.xml');
      writeFileSync(
        file,
        `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
      );
      virsh('define', file);
      await ws.waitFor((m) => m.type === 'vm.updated' && m.vm?.name === name, 15_000);
    } finally {
      ws.close();
    }
    await expect.poll(() => localFollowers().length, { timeout: 10_000 }).toBe(1);
    expect(localFollowers()).not.toContain(first);
    const after = await listOf(localId);
    expect(after.hosts[0]).toMatchObject({ ok: true, error: null });
    expect(after.items.map((v) => v.name)).toContain(name);
  });

  it('over SSH: the remote event process ends when the host loses its endpoint (connection kept) and when the host is deleted', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      // libvirt's test driver never writes an event: a follower left behind would never notice on its own.
      payload: {
        name: 'lab-ssh',
        address: lab.ssh.host,
        port: lab.ssh.port,
        authMethod: 'key',
        privateKey: labPrivateKey(lab),
        libvirt: { driver: 'test', mode: 'system' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${id}/test`, cookie: admin })).json().ok).toBe(true);
    const remoteFollowers = () => followersUnder(ourSshSessions(lab.ssh.port));

    expect((await listOf(id)).hosts[0]).toMatchObject({ ok: true });
    await expect.poll(() => remoteFollowers().length).toBe(1);
    const first = remoteFollowers();
    await setEndpoint(id, null);
    await gone(first);

    await setEndpoint(id, { driver: 'test', mode: 'system' });
    expect((await listOf(id)).hosts[0]).toMatchObject({ ok: true });
    await expect.poll(() => remoteFollowers().length).toBe(1);
    const second = remoteFollowers();
    expect((await t.call({ method: 'DELETE', url: `/api/hosts/${id}`, cookie: admin })).statusCode).toBe(204);
    await gone(second);
  });

  it('ends the local event process when the host loses its endpoint, and when the host is deleted', async () => {
    await expect.poll(() => localFollowers().length).toBe(1);
    const first = localFollowers();
    await setEndpoint(localId, null);
    await gone(first);
    expect(localFollowers()).toEqual([]);

    await setEndpoint(localId, { driver: 'qemu', mode: 'system' });
    expect((await listOf(localId)).hosts[0]).toMatchObject({ ok: true });
    await expect.poll(() => localFollowers().length).toBe(1);
    const following = localFollowers();
    expect((await t.call({ method: 'DELETE', url: `/api/hosts/${localId}`, cookie: admin })).statusCode).toBe(204);
    await gone(following);
    // Nothing comes back by itself: no retry runs for a host that is gone.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(localFollowers()).toEqual([]);
  });

  it('closing the server ends the event processes, local and over SSH', async () => {
    const t2 = await startTestApp({ dockerSocket: lab.dockerSocket });
    const following: number[] = [];
    try {
      const c = await t2.setupAdmin();
      const local = (await t2.call({ method: 'GET', url: '/api/hosts', cookie: c })).json<Array<{ id: string; kind: string }>>();
      const id = local.find((h) => h.kind === 'local')!.id;
      await t2.call({ method: 'PATCH', url: `/api/hosts/${id}`, cookie: c, payload: { libvirt: { driver: 'qemu', mode: 'system' } } });
      const made = await t2.call({
        method: 'POST',
        url: '/api/hosts',
        cookie: c,
        payload: {
          name: 'lab-ssh',
          address: lab.ssh.host,
          port: lab.ssh.port,
          authMethod: 'key',
          privateKey: labPrivateKey(lab),
          libvirt: { driver: 'test', mode: 'system' },
        },
      });
      const sshId = made.json<{ id: string }>().id;
      expect((await t2.call({ method: 'POST', url: `/api/hosts/${sshId}/test`, cookie: c })).json().ok).toBe(true);
      const list = (await t2.call({ method: 'GET', url: '/api/vms', cookie: c })).json<{ hosts: Array<{ ok: boolean }> }>();
      expect(list.hosts).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
      const remote = () => followersUnder(ourSshSessions(lab.ssh.port));
      await expect.poll(() => [localFollowers().length, remote().length]).toEqual([1, 1]);
      following.push(...localFollowers(), ...remote());
    } finally {
      await t2.close();
    }
    await gone(following);
  });
});
