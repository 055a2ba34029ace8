import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host, HostTestResult, VmList } from '@mirador/contract';
import { startLiveServer, type LiveServer } from '../security/live.js';
import { labPrivateKey } from '../helpers/lab.js';
import { assertNothingLost } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { dataDirSettled, readFaultLab, sleep, type FaultLab } from './fault-lab.js';

/** ssh2's handshake timeout as Mirador uses it (connectSsh's readyTimeoutMs default). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A host whose sshd accepts TCP connections and then says nothing, not even its banner. The "host" is a
 * loopback port of this test: healthy, it passes bytes on to the lab's fault sshd; hanging, it accepts and
 * holds every new connection (the ones already passed on are cut, as when the machine behind froze and
 * came back). Nothing of the lab itself is touched.
 */
class HangingPort {
  readonly held = new Set<Socket>();
  readonly piped = new Set<Socket>();
  /** When each connection was accepted while hanging. */
  readonly hungAccepts: number[] = [];
  hanging = false;
  private server: Server;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((sock) => {
      sock.on('error', () => {});
      if (this.hanging) {
        this.hungAccepts.push(Date.now());
        this.held.add(sock);
        sock.on('close', () => this.held.delete(sock));
        return;
      }
      const up = connect(this.target.port, this.target.host);
      up.on('error', () => sock.destroy());
      sock.on('close', () => up.destroy());
      up.on('close', () => sock.destroy());
      sock.pipe(up).pipe(sock);
      this.piped.add(sock);
      sock.on('close', () => this.piped.delete(sock));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  hang() {
    this.hanging = true;
    for (const s of this.piped) s.destroy();
  }

  heal() {
    this.hanging = false;
    for (const s of this.held) s.destroy();
  }

  close() {
    this.heal();
    for (const s of this.piped) s.destroy();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('fault: a host whose sshd accepts and never sends its banner', { timeout: 120_000 }, () => {
  let lab: FaultLab;
  let live: LiveServer;
  let admin: string;
  let port: HangingPort;
  let address: { host: string; port: number };
  let hostId: string;

  /** A request, with how long it took: none may hang. */
  const timed = async <T>(method: string, path: string, payload?: unknown) => {
    const start = Date.now();
    const res = await live.test.call({ method: method as 'GET', url: path, cookie: admin, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: (res.body ? res.json<T>() : null) as T, ms: Date.now() - start, raw: res.body };
  };
  const addHost = async (name: string) => {
    const res = await timed<Host>('POST', '/api/hosts', {
      name,
      address: address.host,
      port: address.port,
      authMethod: 'key',
      privateKey: labPrivateKey(lab),
      libvirt: { driver: 'qemu', mode: 'system' },
    });
    expect(res.status, res.raw).toBe(201);
    return res;
  };

  beforeAll(async () => {
    lab = readFaultLab();
    port = new HangingPort({ host: lab.faultSshd.host, port: lab.faultSshd.port });
    address = { host: '127.0.0.1', port: await port.listen() };
    live = await startLiveServer({ warmInventories: true, hostCheckIntervalSeconds: 300 });
    admin = await live.test.setupAdmin();
    hostId = (await addHost('hang')).body.id;
    const tested = await timed<HostTestResult>('POST', `/api/hosts/${hostId}/test`);
    expect(tested.body.ok, tested.raw).toBe(true);
    const list = await timed<VmList>('GET', `/api/hosts/${hostId}/vms`);
    expect(list.body.hosts[0], list.raw).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await live?.close();
    await port?.close();
  });

  it('answers with a clear timeout reason within the handshake timeout, retries calmly, and recovers by itself', async () => {
    const faultAt = Date.now();
    port.hang();

    // Adding and testing a host there: the test answers "timed out" within the handshake timeout.
    const added = await addHost('hang-new');
    expect(added.ms).toBeLessThan(2_000);
    const test = await timed<HostTestResult>('POST', `/api/hosts/${added.body.id}/test`);
    expect(test.ms).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3_000);
    expect(test.body, test.raw).toMatchObject({ ok: false, reachable: false, error: { code: 'timeout' } });
    expect(test.body.error!.message).toMatch(/timed out/i);
    const addedHost = (await timed<Host>('GET', `/api/hosts/${added.body.id}`)).body;
    expect(addedHost).toMatchObject({ status: 'offline' });
    expect(addedHost.statusMessage).toMatch(/timed out/i);

    // The known host: its VM list and status say "timed out", and no list request waits longer than that.
    const slowest = { ms: 0 };
    const list = await until(
      'the VM list to say the connection timed out',
      async () => {
        const res = await timed<VmList>('GET', `/api/hosts/${hostId}/vms`);
        slowest.ms = Math.max(slowest.ms, res.ms);
        const h = res.body.hosts[0]!;
        return !h.ok && h.error && /timed out/i.test(h.error) ? h.error : null;
      },
      { timeoutMs: 3 * HANDSHAKE_TIMEOUT_MS },
    );
    expect(slowest.ms).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 6_000);
    const status = await until(
      'the host status to say the connection timed out',
      async () => {
        const h = (await timed<Host>('GET', `/api/hosts/${hostId}`)).body;
        return h.status === 'offline' && /timed out/i.test(h.statusMessage ?? '') ? h.statusMessage : null;
      },
      { timeoutMs: 10_000 },
    );
    const statusMs = Date.now() - faultAt;
    // A list asked again answers at once from what is known (it does not wait for another handshake).
    const again = await timed<VmList>('GET', `/api/hosts/${hostId}/vms`);
    expect(again.ms).toBeLessThan(2_000);
    expect(again.body.hosts[0]!.ok).toBe(false);

    // No tight loop: over 25 s, a handful of connections (each one waits out the handshake timeout).
    await sleep(Math.max(0, faultAt + 25_000 - Date.now()));
    const attempts = port.hungAccepts.filter((at) => at - faultAt <= 25_000).length;
    expect(attempts, 'connections to the hanging sshd in 25 s').toBeLessThanOrEqual(6);

    port.heal();
    const back = await until(
      'the VM list and the host to be live again',
      async () => {
        const [l, h] = await Promise.all([timed<VmList>('GET', `/api/hosts/${hostId}/vms`), timed<Host>('GET', `/api/hosts/${hostId}`)]);
        return l.body.hosts[0]!.ok && h.body.status === 'online' ? true : null;
      },
      { timeoutMs: 30_000 },
    );
    expect((await timed('DELETE', `/api/hosts/${added.body.id}`)).status).toBe(204);

    await dataDirSettled(live.test.dataDir);

    const checked = await assertNothingLost({ base: live.base, cookie: admin, dataDir: live.test.dataDir });
    reportFault({
      fault: 'sshd accepts and never sends a banner',
      truth: `host test: "${test.body.error!.message}" (${test.ms} ms); VM list: "${list.value}" (${list.ms} ms, slowest list request ${slowest.ms} ms); host status: "${status.value}" (${statusMs} ms)`,
      truthMs: Math.max(test.ms, list.ms),
      recoveryMs: back.ms,
      checked: [`${attempts} connections to the hanging sshd in 25 s (no tight retry loop)`, ...checked],
    });
  });
});
