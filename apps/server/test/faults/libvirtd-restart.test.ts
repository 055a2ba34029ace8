import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmList } from '@mirador/contract';
import { startLiveServer, type LiveServer } from '../security/live.js';
import { createKernelVm } from '../helpers/lab-vm.js';
import { wsConnect } from '../helpers/ws-client.js';
import { assertNothingLost } from './after-fault.js';
import { reportFault, until } from './fault-report.js';
import { dataDirSettled, readFaultLab, sleep, virshOf, type FaultLab } from './fault-lab.js';
import { isRunning, ourSshSessionTree, processes, type Proc } from '../helpers/lab-processes.js';

type ConsoleMsg = { type: string; state?: string; message?: string; data?: string };

/**
 * libvirtd restarts while a VM's serial console is open. The daemon is the second lab libvirt — the session
 * daemon of the lab user mirlab2 behind sshd 127.0.0.1:2224 (scripts/lab/second-libvirt.sh) — never the lab's
 * system libvirtd. It autostarts on its next client (`libvirtd --timeout=120`), which is how the lab starts it.
 */
describe('fault: libvirtd restarted with a serial console open', { timeout: 150_000 }, () => {
  let lab: FaultLab;
  let live: LiveServer;
  let admin: string;
  let hostId: string;
  let uid: number;
  const vm = `mirador-test-flibvirt-${randomBytes(3).toString('hex')}`;

  /** virsh as mirlab2 on its session daemon (cleanup, checks). */
  const second = (...args: string[]) => {
    const s = lab.secondLibvirt;
    return execFileSync(
      'ssh',
      [
        '-i',
        s.ssh.privateKeyPath,
        '-p',
        String(s.ssh.port),
        '-o',
        'BatchMode=yes',
        '-o',
        `UserKnownHostsFile=${s.ssh.knownHostsPath}`,
        '-o',
        'LogLevel=ERROR',
        `${s.ssh.user}@${s.ssh.host}`,
        ['virsh', '-q', '-c', s.uri, ...args].join(' '),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
  };
  const daemons = () => [...processes().values()].filter((p) => p.uid === uid && p.comm === 'libvirtd');
  /** Our virsh processes on the second host (other test runs may use it at the same time). */
  const userVirsh = (): Proc[] => virshOf(ourSshSessionTree(lab.secondLibvirt.ssh.port).filter((p) => p.uid === uid));
  const vmList = async () => {
    const res = await live.test.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin });
    return res.json<VmList>();
  };
  const consoleUrl = () => `${live.base.replace(/^http/, 'ws')}/api/hosts/${hostId}/vms/${vm}/console`;

  beforeAll(async () => {
    lab = readFaultLab();
    const s = lab.secondLibvirt;
    uid = Number(execFileSync('id', ['-u', s.user], { encoding: 'utf8' }).trim());
    live = await startLiveServer({ warmInventories: true, hostCheckIntervalSeconds: 300 });
    admin = await live.test.setupAdmin();
    const res = await live.test.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'fault-session',
        address: s.ssh.host,
        port: s.ssh.port,
        username: s.ssh.user,
        authMethod: 'key',
        privateKey: readFileSync(s.ssh.privateKeyPath, 'utf8'),
        libvirt: { driver: 'qemu', mode: 'session' },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    hostId = res.json<{ id: string }>().id;
    const tested = await live.test.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin });
    expect(tested.json<{ ok: boolean }>().ok, tested.body).toBe(true);
    // Kernel boot, no disk, no NIC and no graphics: what a session daemon can run.
    await createKernelVm(live.test, admin, hostId, lab, vm, { graphics: 'none' });
  });

  afterAll(async () => {
    await live?.close();
    for (const args of [
      ['destroy', vm],
      ['undefine', vm],
    ]) {
      try {
        second(...args);
      } catch {
        /* not running / not defined */
      }
    }
  });

  it('says the console ended with the reason, keeps the VM running, and everything comes back by itself', async () => {
    const before = await vmList();
    expect(before.hosts[0], JSON.stringify(before.hosts)).toMatchObject({ ok: true });
    expect(before.items.find((v) => v.name === vm)?.state).toBe('running');
    const consoleWs = await wsConnect<ConsoleMsg>(consoleUrl(), admin);
    await consoleWs.waitFor((m) => m.type === 'status' && m.state === 'attached', 30_000);
    // The guest is up (its shell answers) before the fault, so an answer afterwards proves the console works.
    const transcript = (from = 0) =>
      consoleWs.messages
        .slice(from)
        .filter((m) => m.type === 'output')
        .map((m) => m.data)
        .join('');
    await until(
      "the guest's shell prompt",
      async () => {
        if (transcript().includes(lab.vmKit.prompt)) return true;
        consoleWs.send({ type: 'input', data: '\r' });
        return null;
      },
      { timeoutMs: 60_000, everyMs: 1000 },
    );
    const [daemon, ...others] = daemons();
    expect(daemon, 'the session libvirtd of the lab user').toBeTruthy();
    expect(others).toEqual([]);
    const virshBefore = await until(
      "Mirador's virsh event follower and console on the second host",
      async () => {
        const v = userVirsh();
        return v.some((p) => / event /.test(p.args)) && v.some((p) => / console /.test(p.args)) ? v : null;
      },
      { timeoutMs: 15_000 },
    );
    const qemu = [...processes().values()].find((p) => p.uid === uid && p.args.includes(`guest=${vm}`));
    expect(qemu, "the VM's QEMU process").toBeTruthy();

    // The fault: the daemon is told to stop (SIGTERM, by its pid), and comes back when a client connects.
    const mark = consoleWs.messages.length;
    const faultAt = Date.now();
    process.kill(daemon!.pid, 'SIGTERM');
    const consoleEnd = until(
      'the console to say it ended, with the reason',
      async () => consoleWs.messages.slice(mark).find((m) => m.type === 'status' && m.state !== 'attached')?.message,
      { timeoutMs: 20_000, everyMs: 50 },
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; console said ${JSON.stringify(consoleWs.messages.slice(mark))}; virsh now: ${JSON.stringify(userVirsh().map((p) => `${p.pid} ${p.args}`))} before: ${JSON.stringify(virshBefore.value.map((p) => p.pid))}`,
      );
    });
    // A list asked while the inventory reconnects waits for it (briefly) rather than answer from before:
    // its truth is either "not current" with the reason, or a picture read after the restart.
    let slowestListMs = 0;
    const listTruth = until(
      'the VM list to say the inventory is not current, or to answer from a read after the fault',
      async () => {
        const asked = Date.now();
        const h = (await vmList()).hosts[0]!;
        slowestListMs = Math.max(slowestListMs, Date.now() - asked);
        if (!h.ok) return h.error ?? (h.loading ? 'loading' : 'not ok');
        return h.loadedAt && new Date(h.loadedAt).getTime() > faultAt ? `live again, read at ${h.loadedAt}` : null;
      },
      { timeoutMs: 20_000, everyMs: 50 },
    );
    const [end, list] = await Promise.all([consoleEnd, listTruth]);
    await until('the old daemon to exit', async () => !isRunning(daemon!.pid) || null, { timeoutMs: 30_000, everyMs: 100 });
    const stoppedMs = Date.now() - faultAt;
    expect(end.value).not.toBe('');

    // Back by itself: a new daemon (autostarted by Mirador's reconnect), the inventory live, the VM still running.
    const back = await until(
      'the inventory to be live again with the VM running',
      async () => {
        const res = await vmList();
        return res.hosts[0]!.ok && res.items.find((v) => v.name === vm)?.state === 'running' ? true : null;
      },
      { timeoutMs: 45_000 },
    );
    const [restarted] = daemons();
    expect(restarted?.pid).not.toBe(daemon!.pid);
    expect(restarted?.args).toMatch(/libvirtd --timeout=120/);
    expect(isRunning(qemu!.pid), 'the QEMU process of the VM lived through the restart').toBe(true);
    expect(second('domstate', vm).trim()).toBe('running');
    await until(
      'the open console to attach again',
      async () => (consoleWs.messages.slice(mark).some((m) => m.type === 'status' && m.state === 'attached') ? true : null),
      { timeoutMs: 30_000 },
    );
    const reattachedMs = Date.now() - faultAt;
    // It really is the guest's console again: it answers.
    consoleWs.send({ type: 'input', data: 'echo back-$((6*7))\r' });
    await until('the guest to answer on the console', async () => transcript(mark).includes('back-42') || null, {
      timeoutMs: 15_000,
      everyMs: 250,
    });
    consoleWs.close();
    const fresh = await wsConnect<ConsoleMsg>(consoleUrl(), admin);
    await fresh.waitFor((m) => m.type === 'status' && m.state === 'attached', 20_000);
    fresh.close();

    // The virsh of the old daemon ended with it; one follower follows the new one.
    await until('the virsh processes of the old daemon to end', async () => virshBefore.value.every((p) => !isRunning(p.pid)) || null, {
      timeoutMs: 10_000,
    }).catch(() => null);
    expect(virshBefore.value.filter((p) => isRunning(p.pid)).map((p) => `${p.pid} ${p.args}`)).toEqual([]);
    await until('one virsh event follower', async () => (userVirsh().filter((p) => / event /.test(p.args)).length === 1 ? true : null), {
      timeoutMs: 10_000,
    });

    await sleep(1000);
    await dataDirSettled(live.test.dataDir);
    const checked = await assertNothingLost({
      base: live.base,
      cookie: admin,
      dataDir: live.test.dataDir,
      host: { what: 'virsh of the old daemon', list: () => virshBefore.value.filter((p) => isRunning(p.pid)).map((p) => p.args) },
    });
    reportFault({
      fault: 'libvirtd (session daemon of the second lab host) restarted with a serial console open',
      truth: `console: "${end.value}" (${end.ms} ms); VM list: "${list.value}" (${list.ms} ms, slowest list request ${slowestListMs} ms); old daemon gone in ${stoppedMs} ms`,
      truthMs: Math.max(end.ms, list.ms),
      recoveryMs: back.ms,
      checked: [
        `inventory live again ${back.ms} ms after the daemon was gone (autostarted by the reconnect); open console attached again ${reattachedMs} ms after the fault`,
        'the VM kept running (same QEMU process)',
        ...checked,
      ],
    });
  });
});
