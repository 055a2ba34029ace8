import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost, createKernelVm, labVirsh, removeLabVms } from '../helpers/lab-vm.js';
import { wsConnect } from '../helpers/ws-client.js';

type Task = { id: string; status: string; error?: string | null; log: Array<{ line: string }> };

// TCG guests on a 2-core machine boot slowly: generous, bounded timeouts.
describe('clone a VM (virt-clone): copy, linked, running source, failures undone', { timeout: 240_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  let base: string;
  const tag = randomBytes(3).toString('hex');
  const source = `mirador-test-clsrc-${tag}`;
  const copy = `mirador-test-clcopy-${tag}`;
  const linked = `mirador-test-cllink-${tag}`;
  const hot = `mirador-test-clhot-${tag}`;
  const broken = `mirador-test-clbad-${tag}`;
  const brokenClone = `mirador-test-clbadc-${tag}`;
  const offNet = `mirador-test-net-${tag}`;
  const virsh = (...args: string[]) => labVirsh(lab, ...args);
  const volumes = () => virsh('vol-list', '--pool', lab.storagePool);
  const cloneUrl = (vm = source) => `/api/hosts/${hostId}/vms/${vm}/clone`;
  const post = (payload: Record<string, unknown>, vm = source) => t.call({ method: 'POST', url: cloneUrl(vm), cookie: admin, payload });
  const taskOf = async (id: string) => (await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie: admin })).json<Task>();
  const endOf = async (id: string) => {
    await expect.poll(async () => (await taskOf(id)).status, { timeout: 180_000, interval: 300 }).not.toMatch(/^(running|queued)$/);
    return taskOf(id);
  };

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    hostId = await addLabHost(t, admin, lab);
    await createKernelVm(t, admin, hostId, lab, source, {
      disk: { kind: 'new', pool: lab.storagePool, sizeGiB: 1 },
      network: { kind: 'network', name: 'default' },
      start: false,
    });
  });

  afterAll(async () => {
    removeLabVms(lab, source, copy, linked, hot, broken, brokenClone);
    for (const vm of [linked, copy, hot, brokenClone, broken, source])
      for (const suffix of ['.qcow2', '-1.qcow2']) {
        try {
          virsh('vol-delete', '--pool', lab.storagePool, `${vm}${suffix}`);
        } catch {
          /* not made */
        }
      }
    try {
      virsh('net-undefine', offNet);
    } catch {
      /* not made */
    }
    await t?.close();
  });

  it('refuses a hostile name (400 naming the field) and a taken one (409), running nothing', async () => {
    const before = volumes();
    for (const bad of ['x; rm -rf /', '$(reboot)', '../x', '<a>', '-x', 'a'.repeat(65)]) {
      const res = await post({ name: bad, disks: 'copy' });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().field, bad).toBe('name');
    }
    expect((await post({ name: 'x', disks: 'sideways' })).statusCode).toBe(400);
    const taken = await post({ name: source, disks: 'copy' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().field).toBe('name');
    expect(volumes()).toBe(before);
  });

  it('shows the virt-clone line and the virsh steps before doing anything', async () => {
    const res = await t.call({ method: 'POST', url: `${cloneUrl()}/preview`, cookie: admin, payload: { name: copy, disks: 'copy' } });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.command).toMatch(new RegExp(`^virt-clone --connect \\S+ --original ${source} --name ${copy} --auto-clone$`));
    expect(p.commands[0]).toContain(`vol-clone --pool ${lab.storagePool} ${source}.qcow2 ${copy}.qcow2`);
    expect(p.disks).toEqual([expect.objectContaining({ target: 'vda', action: 'copy', newVolume: `${lab.storagePool}/${copy}.qcow2` })]);
    expect(p.sourceRunning).toBe(false);
    expect(virsh('list', '--all', '--name')).not.toContain(copy);
  });

  it('makes a full copy with a new UUID, MAC and disk, leaves the source untouched, and the clone boots', async () => {
    const sourceBefore = virsh('dumpxml', '--inactive', source);
    const res = await post({ name: copy, disks: 'copy', start: true });
    expect(res.statusCode, res.body).toBe(202);
    const task = await endOf(res.json().id);
    expect(task.status, task.error ?? '').toBe('ok');
    expect(task.log.map((l) => l.line).join('\n')).toContain('vol-clone');
    expect(virsh('dumpxml', '--inactive', source)).toBe(sourceBefore);

    const src = virsh('dumpxml', '--inactive', source);
    const cl = virsh('dumpxml', '--inactive', copy);
    const uuid = (xml: string) => /<uuid>([^<]+)<\/uuid>/.exec(xml)?.[1];
    const mac = (xml: string) => /<mac address='([^']+)'/.exec(xml)?.[1];
    expect(uuid(cl)).toBeTruthy();
    expect(uuid(cl)).not.toBe(uuid(src));
    expect(mac(cl)).toMatch(/^52:54:00:/);
    expect(mac(cl)).not.toBe(mac(src));
    expect(cl).toContain(`volume='${copy}.qcow2'`);
    expect(src).toContain(`volume='${source}.qcow2'`);
    expect(virsh('vol-path', '--pool', lab.storagePool, `${copy}.qcow2`).trim()).not.toBe(
      virsh('vol-path', '--pool', lab.storagePool, `${source}.qcow2`).trim(),
    );
    // Its own VNC password (the source's is never carried over).
    const pw = (vm: string) => /passwd='([^']+)'/.exec(virsh('dumpxml', '--security-info', '--inactive', vm))?.[1];
    expect(pw(copy)).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(pw(copy)).not.toBe(pw(source));

    // The inventory knows the clone at once, and its guest comes up on the serial console.
    const detail = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms/${copy}`, cookie: admin });
    expect(detail.statusCode).toBe(200);
    const consoleWs = await wsConnect<{ type: string; data?: string }>(`ws://${base}/api/hosts/${hostId}/vms/${copy}/console`, admin);
    await expect
      .poll(() => consoleWs.messages.map((m) => m.data ?? '').join(''), { timeout: 150_000, interval: 500 })
      .toContain('mirador-lab-vm ready');
    consoleWs.close();
    removeLabVms(lab, copy);
  });

  it('makes a linked clone: a qcow2 whose backing file is the source disk', async () => {
    const res = await post({ name: linked, disks: 'linked' });
    expect(res.statusCode, res.body).toBe(202);
    const task = await endOf(res.json().id);
    expect(task.status, task.error ?? '').toBe('ok');
    const vol = virsh('vol-dumpxml', '--pool', lab.storagePool, `${linked}.qcow2`);
    const sourcePath = virsh('vol-path', '--pool', lab.storagePool, `${source}.qcow2`).trim();
    expect(vol).toMatch(new RegExp(`<backingStore>\\s*<path>${sourcePath}</path>\\s*<format type='qcow2'/>`));
    expect(vol).toMatch(/<format type='qcow2'\/>/);
    expect(virsh('dumpxml', '--inactive', linked)).toContain(`volume='${linked}.qcow2'`);
  });

  it('refuses a running source without consent; with it, pauses the source for the copy and resumes it', async () => {
    virsh('start', source);
    // The inventory hears the start through libvirt's events.
    await expect
      .poll(async () => (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms/${source}`, cookie: admin })).json().state, {
        timeout: 20_000,
      })
      .toBe('running');
    const refused = await post({ name: hot, disks: 'copy' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().field).toBe('allowRunningSource');
    const linkedRefused = await post({ name: hot, disks: 'linked', allowRunningSource: true });
    expect(linkedRefused.statusCode).toBe(409);
    expect(linkedRefused.json().field).toBe('disks');
    expect(volumes()).not.toContain(hot);

    const res = await post({ name: hot, disks: 'copy', allowRunningSource: true });
    expect(res.statusCode, res.body).toBe(202);
    const task = await endOf(res.json().id);
    expect(task.status, task.error ?? '').toBe('ok');
    const log = task.log.map((l) => l.line).join('\n');
    expect(log).toMatch(new RegExp(`virsh -c \\S+ suspend ${source}`));
    expect(log).toMatch(new RegExp(`virsh -c \\S+ resume ${source}`));
    // QEMU holds the running image locked, so it makes the copy itself (blockcopy into a new volume).
    expect(log).toMatch(new RegExp(`blockcopy ${source} vda --dest \\S+/${hot}\\.qcow2 --format qcow2 --reuse-external`));
    expect(log.indexOf(' suspend ')).toBeLessThan(log.indexOf(' blockcopy '));
    expect(log.indexOf(' blockcopy ')).toBeLessThan(log.indexOf(' resume '));
    expect(virsh('dumpxml', '--inactive', hot)).toContain(`volume='${hot}.qcow2'`);
    expect(virsh('vol-dumpxml', '--pool', lab.storagePool, `${hot}.qcow2`)).not.toContain('<backingStore>');
    expect(virsh('domstate', source).trim()).toBe('running');
    expect(virsh('list', '--all', '--name')).toContain(hot);
    removeLabVms(lab, source);
  });

  it('undoes everything when a step fails: the clone cannot start (its network is inactive), nothing is left', async () => {
    // A libvirt network that is defined but not started: the source can be defined on it, never started.
    const dir = mkdtempSync(join(tmpdir(), 'mirador-clone-'));
    const file = join(dir, 'net.xml');
    writeFileSync(file, `<network><name>${offNet}</name><bridge name='mtc${tag}'/></network>`);
    virsh('net-define', file);
    await createKernelVm(t, admin, hostId, lab, broken, {
      disk: { kind: 'new', pool: lab.storagePool, sizeGiB: 1 },
      network: { kind: 'network', name: offNet },
      start: false,
    });
    const res = await post({ name: brokenClone, disks: 'copy', start: true }, broken);
    expect(res.statusCode, res.body).toBe(202);
    const task = await endOf(res.json().id);
    expect(task.status).toBe('error');
    expect(task.error).toMatch(/not active/i);
    const log = task.log.map((l) => l.line).join('\n');
    expect(log).toContain('Undoing');
    expect(virsh('list', '--all', '--name')).not.toContain(brokenClone);
    expect(volumes()).not.toContain(brokenClone);
    expect(virsh('list', '--all', '--name')).toContain(broken);
    expect(volumes()).toContain(`${broken}.qcow2`);
  });
});
