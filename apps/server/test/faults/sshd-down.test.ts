import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host, VmList } from '@mirador/contract';
import { startLiveServer, type LiveServer } from '../security/live.js';
import { labPrivateKey } from '../helpers/lab.js';
import { createKernelVm, removeLabVms } from '../helpers/lab-vm.js';
import { wsConnect } from '../helpers/ws-client.js';
import { assertNothingLost } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { dataDirSettled, pidFromFile, readFaultLab, sleep, spawnDetached, virshOf, type FaultLab } from './fault-lab.js';
import { descendants, processes } from '../helpers/lab-processes.js';

type ConsoleMsg = { type: string; state?: string; message?: string; data?: string };

const OUTAGE_MS = 30_000;

/**
 * sshd dies — the listener and every session with it — for 30 s, then comes back. The daemon is the lab's
 * fault sshd (127.0.0.1:2225, scripts/lab/fault-sshd.sh), never the lab's own 2222. Mirador reaches the lab's
 * system libvirt through it, with a VM of its own running and its serial console open.
 */
describe('fault: sshd killed (listener and sessions) for 30 s', { timeout: 150_000 }, () => {
  let lab: FaultLab;
  let live: LiveServer;
  let admin: string;
  let hostId: string;
  const vm = `mirador-test-fsshd-${randomBytes(3).toString('hex')}`;

  const api = async <T>(path: string) => {
    const res = await live.test.call({ method: 'GET', url: path, cookie: admin });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const vmList = async () => (await api<VmList>(`/api/hosts/${hostId}/vms`)).hosts[0]!;
  const host = () => api<Host>(`/api/hosts/${hostId}`);
  const consoleUrl = () => `${live.base.replace(/^http/, 'ws')}/api/hosts/${hostId}/vms/${vm}/console`;
  const listener = () => pidFromFile(lab.faultSshd.pidFile);

  beforeAll(async () => {
    lab = readFaultLab();
    // As the real server runs: inventories warm, the background host check at its default pace.
    live = await startLiveServer({ warmInventories: true, hostCheckIntervalSeconds: 300 });
    admin = await live.test.setupAdmin();
    if (!listener()) throw new Error(`the fault sshd (${lab.faultSshd.pidFile}) is not running: bash scripts/lab.sh up`);
    const res = await live.test.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'fault-sshd',
        address: lab.faultSshd.host,
        port: lab.faultSshd.port,
        authMethod: 'key',
        privateKey: labPrivateKey(lab),
        libvirt: { driver: 'qemu', mode: 'system' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    hostId = res.json<{ id: string }>().id;
    const tested = await live.test.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin });
    expect(tested.json<{ ok: boolean }>().ok, tested.body).toBe(true);
    expect(tested.json<{ hostKey: { fingerprint: string } }>().hostKey.fingerprint).toBe(lab.faultSshd.hostKeyFingerprint);
    await createKernelVm(live.test, admin, hostId, lab, vm);
  });

  afterAll(async () => {
    // Whatever happened, the fault sshd runs again for the next run.
    if (lab && !listener()) spawnDetached(lab.faultSshd.command, lab.faultSshd.logFile);
    if (lab) removeLabVms(lab, vm);
    await live?.close();
  });

  it('says unreachable with the reason within seconds, ends nothing it cannot see, and recovers by itself', async () => {
    expect(await vmList()).toMatchObject({ ok: true, error: null });
    const consoleWs = await wsConnect<ConsoleMsg>(consoleUrl(), admin);
    await consoleWs.waitFor((m) => m.type === 'status' && m.state === 'attached', 30_000);

    // What runs on the host for Mirador: the sshd sessions, and below them virsh (event follower, console).
    const listenerPid = listener()!;
    const onHost = await until(
      "Mirador's virsh event follower and console on the host",
      async () => {
        const below = descendants([listenerPid]);
        const virsh = virshOf(below);
        return virsh.some((p) => / event /.test(p.args)) && virsh.some((p) => / console /.test(p.args)) ? below : null;
      },
      { timeoutMs: 15_000 },
    );
    const sessions = onHost.value.filter((p) => p.comm === 'sshd');
    const virshBefore = virshOf(onHost.value);
    expect(sessions.length).toBeGreaterThan(0);

    // The fault: the listener and its sessions die at once (SIGKILL, no goodbye on the wire).
    const mark = consoleWs.messages.length;
    const faultAt = Date.now();
    for (const p of [listenerPid, ...sessions.map((s) => s.pid)]) process.kill(p, 'SIGKILL');

    const listTruth = until(
      'the VM list to say the host is unreachable',
      async () => {
        const h = await vmList();
        return !h.ok && h.error ? h.error : null;
      },
      { timeoutMs: 20_000 },
    );
    const hostTruth = until(
      'the host status to say offline',
      async () => {
        const h = await host();
        return h.status === 'offline' && h.statusMessage ? h.statusMessage : null;
      },
      { timeoutMs: 20_000 },
    );
    const consoleTruth = until(
      'the open console to say it lost the VM',
      async () => consoleWs.messages.slice(mark).find((m) => m.type === 'status' && m.state !== 'attached')?.message,
      { timeoutMs: 20_000, everyMs: 50 },
    );
    const [list, hostStatus, consoleEnd] = await Promise.all([listTruth, hostTruth, consoleTruth]);
    expect(list.value).toMatch(/127\.0\.0\.1:2225/);
    expect(hostStatus.value).toMatch(/127\.0\.0\.1:2225/);
    expect(consoleEnd.value).not.toBe('');

    // The commands Mirador ran on the host lost their terminal with their session: none may live on.
    const orphans = await until(
      'the virsh processes of the dead sessions to end',
      async () => (virshBefore.every((p) => !processes().has(p.pid)) ? true : null),
      { timeoutMs: 10_000 },
    ).catch(() => ({ ms: null }));
    expect(
      virshBefore.filter((p) => processes().has(p.pid)).map((p) => `${p.pid} ${p.args}`),
      'virsh left running by the dead sessions',
    ).toEqual([]);

    // Still unreachable halfway through, and nothing waits as a task meanwhile.
    await sleep(Math.max(0, faultAt + OUTAGE_MS / 2 - Date.now()));
    expect((await vmList()).ok).toBe(false);
    await sleep(Math.max(0, faultAt + OUTAGE_MS - Date.now()));

    spawnDetached(lab.faultSshd.command, lab.faultSshd.logFile);
    const backAt = Date.now();
    const listBack = until(
      'the VM list to be live again with the VM',
      async () => {
        const res = await api<VmList>(`/api/hosts/${hostId}/vms`);
        return res.hosts[0]!.ok && res.items.some((v) => v.name === vm && v.state === 'running') ? true : null;
      },
      { timeoutMs: 45_000 },
    );
    const hostBack = until('the host status to say online', async () => ((await host()).status === 'online' ? true : null), {
      timeoutMs: 45_000,
    });
    // The console that was open re-attaches by itself once the host is back.
    const seen = consoleWs.messages.length;
    const reattached = until(
      'the open console to attach again',
      async () => (consoleWs.messages.slice(seen).some((m) => m.type === 'status' && m.state === 'attached') ? true : null),
      { timeoutMs: 45_000 },
    );
    const [lb, hb, cb] = await Promise.all([listBack, hostBack, reattached]);
    consoleWs.close();

    // A console opened now works too.
    const fresh = await wsConnect<ConsoleMsg>(consoleUrl(), admin);
    await fresh.waitFor((m) => m.type === 'status' && m.state === 'attached', 20_000);
    const consoleOpensMs = Date.now() - backAt;
    fresh.close();

    // Exactly one event follower again (the dead one was not doubled by the retries).
    await until(
      'one virsh event follower under the restarted sshd',
      async () => {
        const l = listener();
        const followers = l ? virshOf(descendants([l])).filter((p) => / event /.test(p.args)) : [];
        return followers.length === 1 ? true : null;
      },
      { timeoutMs: 10_000 },
    );

    // The consoles' close records are being appended (audit head written via a temp file): let them land.
    await sleep(1000);
    await dataDirSettled(live.test.dataDir);
    const checked = await assertNothingLost({
      base: live.base,
      cookie: admin,
      dataDir: live.test.dataDir,
      host: { what: 'virsh of the killed sessions', list: () => virshBefore.filter((p) => processes().has(p.pid)).map((p) => p.args) },
    });
    reportFault({
      fault: 'sshd killed (listener + sessions) for 30 s',
      truth: `VM list: "${list.value}" (${list.ms} ms); host offline: "${hostStatus.value}" (${hostStatus.ms} ms); console: "${consoleEnd.value}" (${consoleEnd.ms} ms); orphaned virsh gone in ${orphans.ms ?? '?'} ms`,
      truthMs: Math.max(list.ms, hostStatus.ms, consoleEnd.ms),
      recoveryMs: Math.max(lb.ms, hb.ms, cb.ms),
      checked: [
        `after sshd was back: VM list live ${lb.ms} ms, host online ${hb.ms} ms, open console re-attached ${cb.ms} ms, new console ${consoleOpensMs} ms`,
        ...checked,
      ],
    });
  });
});
