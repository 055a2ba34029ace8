import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

type Msg = { type: string; vm?: { name: string }; [k: string]: unknown };

/** virsh itself, not the script(1) or shell that started it. */
const EVENT_FOLLOWER = /^virsh -c \S+ event --all --loop/;

/** Every live process: parent and command line (zombies count as gone). */
function processes(): Map<number, { ppid: number; args: string }> {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      table.set(Number(d), { ppid: Number(ppid), args: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      /* exited while we looked */
    }
  }
  return table;
}

/** `virsh event` processes below the given processes (any depth: script(1), shells and sshd sit between). */
function followersUnder(roots: number[]): number[] {
  const table = processes();
  const below = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table)
      if (!below.has(pid) && below.has(p.ppid)) {
        below.add(pid);
        grew = true;
      }
  }
  return [...below].filter((pid) => !roots.includes(pid) && EVENT_FOLLOWER.test(table.get(pid)?.args ?? '')).sort();
}

const isRunning = (pid: number) => processes().has(pid);

const socketInodes = (pid: number | 'self') =>
  new Set(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''];
      } catch {
        return [];
      }
    }),
  );

/** IPv4 TCP sockets: inode → local and remote port. */
function tcpSockets() {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9)
    .map((f) => ({ local: parseInt(f[1]!.split(':')[1]!, 16), remote: parseInt(f[2]!.split(':')[1]!, 16), inode: f[9]! }));
}

/**
 * The lab sshd processes serving this process's SSH connections: other test runs share the lab,
 * so their `virsh event` processes must not be mistaken for ours.
 */
function ourSshSessions(sshPort: number): number[] {
  const mine = socketInodes('self');
  const sockets = tcpSockets();
  const ourPorts = new Set(sockets.filter((s) => mine.has(s.inode) && s.remote === sshPort).map((s) => s.local));
  const theirInodes = new Set(sockets.filter((s) => s.local === sshPort && ourPorts.has(s.remote)).map((s) => s.inode));
  const sessions: number[] = [];
  for (const [pid, p] of processes()) {
    if (!p.args.startsWith('sshd')) continue;
    try {
      if ([...socketInodes(pid)].some((i) => theirInodes.has(i))) sessions.push(pid);
    } catch {
      /* exited while we looked */
    }
  }
  return sessions;
}

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
