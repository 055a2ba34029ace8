import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';
import { followersUnder, isRunning, ourSshSessions } from '../helpers/lab-processes.js';

type Msg = { type: string; host?: { id: string; status: string; statusMessage: string | null }; [k: string]: unknown };

/**
 * A TCP proxy owned by this test in front of the lab sshd: stopping it resets every connection
 * through it (sshd sees its sessions die) and refuses new ones, without touching the lab's sshd.
 */
function sshProxy(target: number) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  return {
    get port() {
      return port;
    },
    async start() {
      const s = createServer((client) => {
        const upstream = connect(target, '127.0.0.1');
        for (const [a, b] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(a);
          a.on('error', () => b.destroy());
          a.on('close', () => (sockets.delete(a), b.destroy()));
          a.pipe(b);
        }
      });
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
      port = (s.address() as { port: number }).port;
      server = s;
    },
    /** Abrupt: both sides of every connection are reset, as when a host vanishes. */
    async stop() {
      const s = server;
      server = null;
      for (const sock of sockets) sock.resetAndDestroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

describe(
  'a host whose SSH connection drops: one truth everywhere, nothing left running (lab sshd behind a test proxy)',
  { timeout: 90_000 },
  () => {
    let lab: Lab;
    let t: TestApp;
    let admin: string;
    let hostId: string;
    const proxy = sshProxy(2222);

    const host = async () =>
      (await t.call({ method: 'GET', url: `/api/hosts/${hostId}`, cookie: admin })).json<{
        status: string;
        statusMessage: string | null;
      }>();
    const vms = async () =>
      (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin })).json<{
        items: Array<{ name: string }>;
        hosts: Array<{ ok: boolean; error: string | null }>;
      }>();
    /** The `virsh event` processes of our connections through the proxy. */
    const ourFollowers = () => followersUnder(ourSshSessions(lab.ssh.port));

    beforeAll(async () => {
      lab = readLab();
      expect(lab.ssh.port).toBe(2222);
      await proxy.start();
      t = await startTestApp();
      admin = await t.setupAdmin();
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const res = await t.call({
        method: 'POST',
        url: '/api/hosts',
        cookie: admin,
        // The test driver never writes an event: a follower left behind would never notice on its own.
        payload: {
          name: 'lab-via-proxy',
          address: '127.0.0.1',
          port: proxy.port,
          authMethod: 'key',
          privateKey: labPrivateKey(lab),
          libvirt: { driver: 'test', mode: 'system' },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      hostId = res.json<{ id: string }>().id;
      expect((await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json().ok).toBe(true);
    });
    afterAll(async () => {
      await t?.close();
      await proxy.stop();
    });

    it('sshd gone: the host turns offline with the reason within seconds, pushed to browsers, and its event process ends; back: online and listed again', async () => {
      const first = await vms();
      expect(first.hosts[0]).toMatchObject({ ok: true, error: null });
      expect(first.items.map((v) => v.name)).toContain('test');
      expect(await host()).toMatchObject({ status: 'online' });
      await expect.poll(() => ourFollowers().length, { timeout: 10_000 }).toBe(1);
      const follower = ourFollowers();

      const base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      const ws = await wsConnect<Msg>(`ws://${base}/api/ws`, admin);
      try {
        ws.send({ type: 'subscribe', topic: 'hosts' });
        await ws.waitFor((m) => m.type === 'subscribed');

        const cut = Date.now();
        await proxy.stop();
        const pushed = await ws.waitFor((m) => m.type === 'host.updated' && m.host?.id === hostId && m.host.status === 'offline', 10_000);
        const toOffline = Date.now() - cut;
        expect(pushed.host!.statusMessage).toMatch(/127\.0\.0\.1/);
        expect(await host()).toMatchObject({ status: 'offline', statusMessage: expect.any(String) });
        // The VM list tells the same truth: the host is not reachable (what was read stays listed).
        await expect
          .poll(async () => (await vms()).hosts[0], { timeout: 10_000 })
          .toMatchObject({ ok: false, error: expect.stringMatching(/not reachable|connection/i) });
        // sshd saw its connection die: the terminal it gave `virsh event` hung up, so virsh is gone.
        await expect.poll(() => follower.filter(isRunning), { timeout: 5_000 }).toEqual([]);
        const toNoFollower = Date.now() - cut;

        // Down long enough for the connection's and the inventory's retries to back off a few times.
        await new Promise((r) => setTimeout(r, 6_000));
        expect(await host()).toMatchObject({ status: 'offline' });
        const back = Date.now();
        await proxy.start();
        await ws.waitFor((m) => m.type === 'host.updated' && m.host?.id === hostId && m.host.status === 'online', 40_000);
        const toOnline = Date.now() - back;
        await expect.poll(async () => (await vms()).hosts[0], { timeout: 20_000 }).toMatchObject({ ok: true, error: null });
        const toListed = Date.now() - back;
        expect((await vms()).items.map((v) => v.name)).toContain('test');
        await expect.poll(() => ourFollowers().length, { timeout: 10_000 }).toBe(1);
        expect(ourFollowers()).not.toEqual(follower);
        console.log(
          `connection cut → host offline ${toOffline} ms, no event process ${toNoFollower} ms; back → online ${toOnline} ms, VMs listed ${toListed} ms`,
        );
      } finally {
        ws.close();
      }
    });

    it('deleting the host ends its event process on the host', async () => {
      await expect.poll(() => ourFollowers().length, { timeout: 10_000 }).toBe(1);
      const follower = ourFollowers();
      expect((await t.call({ method: 'DELETE', url: `/api/hosts/${hostId}`, cookie: admin })).statusCode).toBe(204);
      await expect.poll(() => follower.filter(isRunning), { timeout: 5_000 }).toEqual([]);
    });
  },
);
