import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost, createKernelVm } from '../helpers/lab-vm.js';
import { wsConnect } from '../helpers/ws-client.js';

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Msg = { type: string; data?: string; state?: string; message?: string };

/**
 * Hot-plug against a running TCG guest of the lab kit (busybox, virtio_blk and virtio_net loaded):
 * the guest itself is the witness, read through the serial console websocket.
 */
describe('VM devices: hot-plug disks and NICs', { timeout: 300_000 }, () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  let base: string;
  let console_: Awaited<ReturnType<typeof wsConnect<Msg>>>;
  const tag = randomBytes(3).toString('hex');
  const name = `mirador-test-dev-${tag}`;
  const volume = `mirador-test-dev-${tag}.qcow2`;
  const iso = `mirador-test-dev-${tag}.iso`;
  const url = (rest: string) => `/api/hosts/${hostId}/vms/${name}/${rest}`;
  const transcript = () =>
    console_.messages
      .filter((m) => m.type === 'output')
      .map((m) => m.data)
      .join('');

  /** Runs a command in the guest and returns what it printed between two markers. */
  async function guest(cmd: string, timeoutMs = 60_000): Promise<string> {
    const mark = randomBytes(3).toString('hex');
    const before = transcript().length;
    // The markers are printed by the shell, not echoed with the command, so $(…) makes them differ from the input.
    console_.send({ type: 'input', data: `echo B$((0))${mark}; ${cmd}; echo E$((0))${mark}\r` });
    const until = Date.now() + timeoutMs;
    for (;;) {
      const out = transcript().slice(before);
      const m = new RegExp(`B0${mark}\\r?\\n([\\s\\S]*?)E0${mark}`).exec(out);
      if (m) return m[1]!;
      if (Date.now() > until) throw new Error(`guest command "${cmd}" did not finish; console: ${out.slice(-500)}`);
      await sleep(300);
    }
  }

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    hostId = await addLabHost(t, admin, lab);
    viewer = await t.userSession('viewer', 'vic');
    await createKernelVm(t, admin, hostId, lab, name);
    console_ = await wsConnect<Msg>(`ws://${base}/api/hosts/${hostId}/vms/${name}/console`, admin);
    await console_.waitFor((m) => m.type === 'status' && m.state === 'attached', 60_000);
    for (let i = 0; i < 120 && !transcript().includes('lab-vm#'); i++) {
      console_.send({ type: 'input', data: '\r' });
      await sleep(1000);
    }
    expect(transcript()).toContain('lab-vm#');
  });

  afterAll(async () => {
    console_?.close();
    for (const args of [
      ['destroy', name],
      ['undefine', name],
      ['vol-delete', volume, '--pool', lab.storagePool],
      ['vol-delete', iso, '--pool', lab.storagePool],
    ]) {
      try {
        virsh(...args);
      } catch {}
    }
    await t?.close();
  });

  it('hot-plugs a new 64 MiB qcow2 virtio disk the guest sees, then detaches it (and deletes the volume)', async () => {
    const t0 = Date.now();
    const before = await guest('ls /sys/block');
    const preview = await t.call({
      method: 'POST',
      url: url('disks/preview'),
      cookie: admin,
      payload: { source: { kind: 'new', pool: lab.storagePool, name: volume, sizeMiB: 64 }, live: true, persistent: false },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().commands[0]).toBe(`virsh -c qemu:///system vol-create-as ${lab.storagePool} ${volume} 67108864 --format qcow2`);
    expect(preview.json().commands[1]).toBe(`virsh -c qemu:///system attach-device ${name} /dev/stdin --live < vda.xml`);
    // A preview runs nothing.
    expect(() => virsh('vol-info', volume, '--pool', lab.storagePool)).toThrow();

    const res = await t.call({
      method: 'POST',
      url: url('disks'),
      cookie: admin,
      payload: { source: { kind: 'new', pool: lab.storagePool, name: volume, sizeMiB: 64 }, cache: 'none', live: true, persistent: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    const target = res.json().device as string;
    expect(target).toBe('vda');
    expect(res.json().xml).toContain('cache="none"');
    expect(virsh('domblklist', name)).toContain(volume);

    const list = (await t.call({ method: 'GET', url: url('disks'), cookie: viewer })).json();
    expect(list.disks).toContainEqual(
      expect.objectContaining({
        target: 'vda',
        bus: 'virtio',
        pool: lab.storagePool,
        volume,
        format: 'qcow2',
        cache: 'none',
        capacityBytes: 64 * 1024 * 1024,
        live: true,
        persistent: false,
      }),
    );
    // The guest's kernel sees the new block device.
    let seen = '';
    for (let i = 0; i < 40 && !/\bvda\b/.test(seen); i++) {
      seen = await guest('ls /sys/block');
      if (!/\bvda\b/.test(seen)) await sleep(1000);
    }
    expect(before).not.toMatch(/\bvda\b/);
    expect(seen).toMatch(/\bvda\b/);
    expect(await guest('cat /sys/block/vda/size')).toMatch(/^131072\r?$/m);
    console.log(`[timing] hot-plug disk seen in guest after ${Date.now() - t0} ms`);

    const t1 = Date.now();
    const det = await t.call({ method: 'DELETE', url: url(`disks/${target}?deleteVolume=true`), cookie: admin });
    expect(det.statusCode, det.body).toBe(200);
    expect(det.json().commands[0]).toBe(`virsh -c qemu:///system detach-disk ${name} vda --live`);
    let gone = seen;
    for (let i = 0; i < 40 && /\bvda\b/.test(gone); i++) {
      gone = await guest('ls /sys/block');
      if (/\bvda\b/.test(gone)) await sleep(1000);
    }
    expect(gone).not.toMatch(/\bvda\b/);
    expect(virsh('domblklist', name)).not.toContain(volume);
    // Deleted only because it was asked for, once the guest had let go.
    if (det.json().warnings.length === 0) expect(() => virsh('vol-info', volume, '--pool', lab.storagePool)).toThrow();
    console.log(`[timing] detach seen in guest after ${Date.now() - t1} ms; warnings ${JSON.stringify(det.json().warnings)}`);

    const audit = (await t.call({ method: 'GET', url: `/api/audit?action=vm.disk.&targetId=${name}&limit=10`, cookie: admin })).json();
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['vm.disk.attach', 'vm.disk.detach']));
  });

  it('hot-plugs a NIC into the lab network, sets its link down and up, and refuses a duplicate MAC', async (ctx) => {
    if (!lab.libvirtNetwork) return ctx.skip();
    const t0 = Date.now();
    const res = await t.call({
      method: 'POST',
      url: url('nics'),
      cookie: admin,
      payload: { kind: 'network', source: lab.libvirtNetwork, live: true, persistent: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    const mac = res.json().device as string;
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(virsh('domiflist', name)).toContain(mac);
    let seen = '';
    for (let i = 0; i < 40 && !/\beth\d+\b/.test(seen); i++) {
      seen = await guest('ls /sys/class/net');
      if (!/\beth\d+\b/.test(seen)) await sleep(1000);
    }
    expect(seen).toMatch(/\beth\d+\b/);
    const eth = /\b(eth\d+)\b/.exec(seen)![1]!;
    expect((await guest(`cat /sys/class/net/${eth}/address`)).trim()).toBe(mac);
    console.log(`[timing] hot-plug NIC seen in guest after ${Date.now() - t0} ms`);

    const down = await t.call({ method: 'PATCH', url: url(`nics/${mac}`), cookie: admin, payload: { link: 'down' } });
    expect(down.statusCode, down.body).toBe(200);
    expect(down.json().commands).toEqual([`virsh -c qemu:///system domif-setlink ${name} ${mac} down`]);
    expect(virsh('domif-getlink', name, mac).trim()).toMatch(/ down$/);
    const nics = (await t.call({ method: 'GET', url: url('nics'), cookie: admin })).json();
    expect(nics.nics).toContainEqual(
      expect.objectContaining({ mac, link: 'down', source: lab.libvirtNetwork, model: 'virtio', live: true }),
    );
    const up = await t.call({ method: 'PATCH', url: url(`nics/${mac}`), cookie: admin, payload: { link: 'up' } });
    expect(up.statusCode, up.body).toBe(200);
    expect(virsh('domif-getlink', name, mac).trim()).toMatch(/ up$/);

    const dup = await t.call({
      method: 'POST',
      url: url('nics'),
      cookie: admin,
      payload: { kind: 'network', source: lab.libvirtNetwork, mac: mac.toUpperCase(), live: true, persistent: false },
    });
    expect(dup.statusCode, dup.body).toBe(409);
    expect(dup.json().field).toBe('mac');

    const det = await t.call({ method: 'DELETE', url: url(`nics/${mac}`), cookie: admin });
    expect(det.statusCode, det.body).toBe(200);
    expect(det.json().commands).toEqual([`virsh -c qemu:///system detach-interface ${name} network --mac ${mac} --live`]);
    await expect.poll(() => virsh('domiflist', name), { timeout: 30_000, interval: 1000 }).not.toContain(mac);
  });

  it('attaches an ISO as a CD-ROM to the definition, ejects and inserts media, detaches it', async () => {
    virsh('vol-create-as', lab.storagePool, iso, '1M', '--format', 'raw');
    const isoPath = virsh('vol-path', iso, '--pool', lab.storagePool).trim();
    // SATA cannot be hot-plugged: on a running VM the CD-ROM goes to the definition (next boot).
    const res = await t.call({
      method: 'POST',
      url: url('disks'),
      cookie: admin,
      payload: { source: { kind: 'iso', path: isoPath }, live: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().device).toBe('sda');
    expect(res.json().commands).toEqual([`virsh -c qemu:///system attach-device ${name} /dev/stdin --config < sda.xml`]);
    const list = (await t.call({ method: 'GET', url: url('disks'), cookie: admin })).json();
    expect(list.disks).toContainEqual(
      expect.objectContaining({
        target: 'sda',
        device: 'cdrom',
        bus: 'sata',
        path: isoPath,
        readonly: true,
        live: false,
        persistent: true,
      }),
    );

    const eject = await t.call({ method: 'POST', url: url('disks/sda/media'), cookie: admin, payload: { action: 'eject' } });
    expect(eject.statusCode, eject.body).toBe(200);
    expect(eject.json().commands).toEqual([`virsh -c qemu:///system change-media ${name} sda --eject --config`]);
    expect(virsh('dumpxml', '--inactive', name)).not.toContain(isoPath);
    const insert = await t.call({
      method: 'POST',
      url: url('disks/sda/media'),
      cookie: admin,
      payload: { action: 'insert', path: isoPath },
    });
    expect(insert.statusCode, insert.body).toBe(200);
    expect(insert.json().commands).toEqual([`virsh -c qemu:///system change-media ${name} sda --source ${isoPath} --insert --config`]);
    expect(virsh('dumpxml', '--inactive', name)).toContain(isoPath);
    // A disk is not a drive: nothing to eject.
    const notDrive = await t.call({ method: 'POST', url: url('disks/vdz/media'), cookie: admin, payload: { action: 'eject' } });
    expect(notDrive.statusCode).toBe(404);

    const det = await t.call({ method: 'DELETE', url: url('disks/sda?deleteVolume=true'), cookie: admin });
    expect(det.statusCode).toBe(400);
    expect(det.json().field).toBe('deleteVolume');
    const det2 = await t.call({ method: 'DELETE', url: url('disks/sda'), cookie: admin });
    expect(det2.statusCode, det2.body).toBe(200);
    expect(det2.json().commands).toEqual([`virsh -c qemu:///system detach-disk ${name} sda --config`]);
    expect(virsh('dumpxml', '--inactive', name)).not.toContain('cdrom');
    // The ISO itself stays.
    expect(virsh('vol-info', iso, '--pool', lab.storagePool)).toContain(iso);
  });

  it('refuses viewers, hostile input (400 naming the field) and impossible buses, changing nothing', async () => {
    const xml = virsh('dumpxml', name);
    const viewerTry = await t.call({
      method: 'POST',
      url: url('disks'),
      cookie: viewer,
      payload: { source: { kind: 'iso', path: '/var/lib/libvirt/boot/x.iso' } },
    });
    expect(viewerTry.statusCode).toBe(403);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['disks', { source: { kind: 'new', pool: '../etc', name: 'x.qcow2', sizeMiB: 1 } }, 'source'],
      ['disks', { source: { kind: 'new', pool: lab.storagePool, name: 'x.qcow2', sizeMiB: 1 }, bus: 'usb' }, 'bus'],
      // A running q35 VM cannot hot-plug SATA, and has no IDE at all.
      [
        'disks',
        { source: { kind: 'new', pool: lab.storagePool, name: 'x.qcow2', sizeMiB: 1 }, bus: 'sata', live: true, persistent: false },
        'bus',
      ],
      [
        'disks',
        { source: { kind: 'new', pool: lab.storagePool, name: 'x.qcow2', sizeMiB: 1 }, bus: 'ide', persistent: true, live: false },
        'bus',
      ],
      ['disks', { source: { kind: 'iso', path: '/var/lib/libvirt/boot/x.iso' }, bus: 'virtio', live: false }, 'bus'],
      ['nics', { kind: 'network', source: 'default;reboot' }, 'source'],
      ['nics', { kind: 'bridge', source: 'no-such-br0' }, 'source'],
      ['nics', { kind: 'network', source: lab.libvirtNetwork ?? 'default', mac: '01:00:5e:00:00:01' }, 'mac'],
      ['nics', { kind: 'network', source: lab.libvirtNetwork ?? 'default', mac: '52:54:00:zz:00:01' }, 'mac'],
    ];
    for (const [path, payload, field] of cases) {
      const res = await t.call({ method: 'POST', url: url(path), cookie: admin, payload });
      expect(res.statusCode, `${path} ${JSON.stringify(payload)}: ${res.body}`).toBe(400);
      expect(res.json().field, res.body).toMatch(new RegExp(`^${field}`));
    }
    expect(virsh('dumpxml', name)).toBe(xml);
    expect(() => virsh('vol-info', 'x.qcow2', '--pool', lab.storagePool)).toThrow();
  });
});
