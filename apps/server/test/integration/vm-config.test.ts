import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost } from '../helpers/lab-vm.js';

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
/** `virsh vcpupin` rows as { vcpu: cpuset }. */
function pins(...flags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of virsh('vcpupin', ...flags).matchAll(/^\s*(\d+)\s+(\S+)\s*$/gm)) out[m[1]!] = m[2]!;
  return out;
}

// A running TCG guest on the lab: settings, pinning and tuning read back with virsh itself.
describe('VM settings, vCPU pinning and tuning', { timeout: 240_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  const name = `mirador-test-cfg-${randomBytes(3).toString('hex')}`;
  const url = (rest = '') => `/api/hosts/${hostId}/vms/${name}/config${rest}`;

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    hostId = await addLabHost(t, admin, lab);
    const res = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/vms`,
      cookie: admin,
      payload: {
        name,
        memoryMiB: 128,
        vcpus: 2,
        domainType: 'qemu',
        disk: { kind: 'none' },
        install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
        network: { kind: 'none' },
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as string;
    const until = Date.now() + 120_000;
    for (;;) {
      const task = (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie: admin })).json();
      if (task.status !== 'running') {
        if (task.status !== 'ok') throw new Error(`create: ${task.status} ${task.error}`);
        break;
      }
      if (Date.now() > until) throw new Error('create did not finish');
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  afterAll(async () => {
    for (const args of [
      ['destroy', name],
      ['undefine', name],
    ]) {
      try {
        virsh(...args);
      } catch {}
    }
    await t?.close();
  });

  it('reads the settings of the running VM and the host topology', async () => {
    const res = await t.call({ method: 'GET', url: url(), cookie: admin });
    expect(res.statusCode, res.body).toBe(200);
    const cfg = res.json();
    expect(cfg.running).toBe(true);
    expect(cfg.config).toMatchObject({ vcpus: 2, maxVcpus: 2, memoryMiB: 128, maxMemoryMiB: 128 });
    expect(cfg.live.vcpus).toBe(2);
    expect(cfg.topology.onlineCpus).toEqual([0, 1]);
    expect(cfg.topology.cells[0].cpus).toEqual([0, 1]);
    expect(cfg.livePinning.vcpus).toEqual([
      { vcpu: 0, cpuset: '0-1' },
      { vcpu: 1, cpuset: '0-1' },
    ]);
    // Secrets of the definition (the VNC password) never leave the server.
    expect(res.body).not.toMatch(/passwd/);
  });

  it('pins vCPU 0 to CPU 1 live and persistently, then back to 0-1', async () => {
    const res = await t.call({
      method: 'PUT',
      url: url('/pinning'),
      cookie: admin,
      payload: { vcpus: [{ vcpu: 0, cpuset: '1' }], emulator: '0' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out.changes).toEqual([
      { field: 'vcpus[0].cpuset', applies: 'now' },
      { field: 'emulator', applies: 'now' },
    ]);
    expect(out.commands[0]).toBe(`virsh -c qemu:///system vcpupin ${name} 0 1 --live --config`);
    expect(pins(name)['0']).toBe('1');
    expect(pins(name, '--config')['0']).toBe('1');
    expect(virsh('dumpxml', '--inactive', name)).toMatch(/<vcpupin vcpu='0' cpuset='1'\/>/);
    expect(virsh('emulatorpin', name)).toMatch(/\*:\s+0\s*$/m);
    expect(out.config.cputuneXml).toMatch(/<vcpupin vcpu="0" cpuset="1"\/>/);
    expect(out.config.livePinning.vcpus[0]).toEqual({ vcpu: 0, cpuset: '1' });

    const back = await t.call({
      method: 'PUT',
      url: url('/pinning'),
      cookie: admin,
      payload: { vcpus: [{ vcpu: 0, cpuset: '0-1' }], emulator: '' },
    });
    expect(back.statusCode, back.body).toBe(200);
    expect(pins(name)['0']).toBe('0-1');
    expect(pins(name, '--config')['0']).toBe('0-1');
    expect(virsh('emulatorpin', name)).toMatch(/\*:\s+0-1\s*$/m);
  });

  it('audits every change, refused ones too, with the definition unchanged by a refused one', async () => {
    const before = virsh('dumpxml', '--inactive', name);
    const bad = await t.call({ method: 'PUT', url: url('/pinning'), cookie: admin, payload: { vcpus: [{ vcpu: 1, cpuset: '1;reboot' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('vcpus[0].cpuset');
    expect(virsh('dumpxml', '--inactive', name)).toBe(before);
    const entries = (await t.call({ method: 'GET', url: `/api/audit?action=vm.pin&limit=10`, cookie: admin })).json().items as Array<{
      result: string;
      target: { name: string };
    }>;
    expect(entries.filter((e) => e.target.name === name).map((e) => e.result)).toEqual(expect.arrayContaining(['ok', 'error']));
  });

  it('saves memory and vCPU changes to the definition; what needs a restart says "next boot"', async () => {
    const res = await t.call({
      method: 'PATCH',
      url: url(),
      cookie: admin,
      payload: { maxVcpus: 3, maxMemoryMiB: 192, title: 'settings test', onCrash: 'restart', boot: ['hd', 'cdrom'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const byField = Object.fromEntries((res.json().changes as Array<{ field: string; applies: string }>).map((c) => [c.field, c.applies]));
    expect(byField).toMatchObject({ maxVcpus: 'next-boot', maxMemoryMiB: 'next-boot', boot: 'next-boot', title: 'now' });
    expect(res.json().commands[0]).toBe('virsh -c qemu:///system define /dev/stdin');
    const inactive = virsh('dumpxml', '--inactive', name);
    expect(inactive).toMatch(/<vcpu placement='static' current='2'>3<\/vcpu>/);
    expect(inactive).toMatch(/<memory unit='KiB'>196608<\/memory>/);
    expect(inactive).toMatch(/<on_crash>restart<\/on_crash>/);
    expect(inactive).toMatch(/<boot dev='hd'\/>\s*<boot dev='cdrom'\/>/);
    expect(virsh('dumpxml', name)).toMatch(/<title>settings test<\/title>/);
    // The running VM keeps its boot-time maximum until it restarts.
    expect(virsh('dumpxml', name)).toMatch(/<memory unit='KiB'>131072<\/memory>/);
    expect(res.json().config.live.maxMemoryMiB).toBe(128);
    expect(res.json().config.config.maxMemoryMiB).toBe(192);
  });

  it('lowers the balloon live within the boot-time maximum', async () => {
    const res = await t.call({ method: 'PATCH', url: url(), cookie: admin, payload: { memoryMiB: 112 } });
    expect(res.statusCode, res.body).toBe(200);
    const change = res.json().changes[0];
    expect(change.field).toBe('memoryMiB');
    expect(virsh('dumpxml', '--inactive', name)).toMatch(/<currentMemory unit='KiB'>114688<\/currentMemory>/);
    if (change.applies === 'now') expect(res.json().commands).toContain(`virsh -c qemu:///system setmem ${name} 112M --live`);
  });

  it("tunes CPU shares live and persistently; unsupported tuning is libvirt's 409, not a pretend success", async () => {
    const res = await t.call({ method: 'PATCH', url: url('/tuning'), cookie: admin, payload: { shares: 512 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(virsh('schedinfo', name)).toMatch(/cpu_shares\s*:\s*512/);
    expect(virsh('schedinfo', '--config', name)).toMatch(/cpu_shares\s*:\s*512/);
    const blkio = await t.call({ method: 'PATCH', url: url('/tuning'), cookie: admin, payload: { blkioWeight: 500 } });
    if (blkio.statusCode === 409) expect(blkio.json().message).toMatch(/^blkioWeight: .+/);
    else expect(blkio.statusCode, blkio.body).toBe(200);
  });
});
