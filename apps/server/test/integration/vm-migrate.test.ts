import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost, createKernelVm, labVirsh, removeLabVms, waitForTask } from '../helpers/lab-vm.js';

interface Check {
  id: string;
  ok: boolean | null;
  title: string;
  detail: string;
  fix?: string;
}
interface Preflight {
  ok: boolean;
  destinationUri: string | null;
  command: string | null;
  checks: Check[];
}

/**
 * A real live migration (issue #11) between the lab's two libvirt daemons: root's qemu:///system
 * (reached as root@127.0.0.1:2222) and the lab user mirlab2's qemu:///session (its own host UUID, behind its
 * own sshd on 127.0.0.1:2224; scripts/lab/second-libvirt.sh). The guest's QEMU process moves from root to
 * mirlab2 with its RAM. The way back goes through the root client (as packages/libvirt/test/migrate.test.ts
 * does): mirlab2 has no SSH key for root@2222, so Mirador's pre-flight for the reverse direction fails, and
 * says so.
 */
describe('live migration between two libvirt hosts of the inventory', { timeout: 600_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab;
  let sourceId: string;
  let destId: string;
  let destUri: string;
  const tag = randomBytes(3).toString('hex');
  const vm = `mirador-test-mig-${tag}`;
  const withNic = `mirador-test-mignic-${tag}`;
  const taken = `mirador-test-migtaken-${tag}`;
  const offline = `mirador-test-migoff-${tag}`;
  const dest = (...args: string[]) => {
    try {
      return execFileSync('virsh', ['-c', destUri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (err) {
      return `failed: ${(err as { stderr?: string }).stderr ?? String(err)}`;
    }
  };
  const preflight = async (name: string, body: Record<string, unknown>, host = sourceId) => {
    const res = await t.call({ method: 'POST', url: `/api/hosts/${host}/vms/${name}/migrate/preflight`, cookie: admin, payload: body });
    return res;
  };
  const failed = (p: Preflight) => p.checks.filter((c) => c.ok === false);

  beforeAll(async () => {
    lab = readLab();
    const second = lab.secondLibvirt;
    destUri = second.migrationUri;
    t = await startTestApp();
    admin = await t.setupAdmin();
    sourceId = await addLabHost(t, admin, lab);
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: {
        name: 'lab-session',
        address: second.ssh.host,
        port: second.ssh.port,
        username: second.ssh.user,
        authMethod: 'key',
        privateKey: readFileSync(second.ssh.privateKeyPath, 'utf8'),
        libvirtUri: second.uri,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    destId = res.json<{ id: string }>().id;
    const tested = await t.call({ method: 'POST', url: `/api/hosts/${destId}/test`, cookie: admin });
    expect(tested.json<{ ok: boolean }>().ok, tested.body).toBe(true);
    // The default VM: kernel boot, no disk, no NIC, and a VNC display (it migrates to the session too).
    await createKernelVm(t, admin, sourceId, lab, vm);
  });

  afterAll(async () => {
    removeLabVms(lab, vm, withNic, taken, offline);
    for (const name of [vm, taken, offline]) {
      dest('destroy', name);
      dest('undefine', name);
    }
    await t?.close();
  });

  it('runs every pre-flight check for real and passes for a diskless VM without NIC', async () => {
    const res = await preflight(vm, { destinationHostId: destId });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json<Preflight>();
    expect(failed(p), JSON.stringify(p.checks, null, 1)).toEqual([]);
    expect(p.ok).toBe(true);
    expect(p.destinationUri).toBe(lab.secondLibvirt.migrationUri);
    expect(p.command).toBe(
      `virsh -c qemu:///system migrate --live --persistent --undefinesource --migrateuri tcp://127.0.0.1 ${vm} ${lab.secondLibvirt.migrationUri}`,
    );
    const byId = new Map(p.checks.map((c) => [c.id, c]));
    for (const id of ['state', 'destination', 'reach', 'name', 'machine', 'cpu', 'networks', 'disks', 'memory'])
      expect(byId.has(id), `check ${id}`).toBe(true);
    expect(byId.get('reach')!.detail).toContain('answered qemu+ssh://mirlab2@127.0.0.1:2224/session');
  });

  it('migrates the running VM live: a task with the virsh line, the VM runs on the destination, gone from the source', async () => {
    const started = Date.now();
    const res = await t.call({
      method: 'POST',
      url: `/api/hosts/${sourceId}/vms/${vm}/migrate`,
      cookie: admin,
      payload: { destinationHostId: destId },
    });
    expect(res.statusCode, res.body).toBe(202);
    const taskId = res.json<{ id: string }>().id;
    await waitForTask(t, admin, taskId, 300_000);
    const task = (await t.call({ method: 'GET', url: `/api/tasks/${taskId}`, cookie: admin })).json<{ logs?: { line: string }[] }>();
    const log = JSON.stringify(task);
    expect(log).toContain(`virsh -c qemu:///system migrate --live --persistent --undefinesource`);
    console.log(`migration task took ${Date.now() - started} ms`);
    expect(dest('domstate', vm)).toContain('running');
    expect(() => labVirsh(lab, 'domstate', vm)).toThrow();
    // Both inventories were read again when it ended.
    const onDest = await t.call({ method: 'GET', url: `/api/hosts/${destId}/vms/${vm}`, cookie: admin });
    expect(onDest.statusCode, onDest.body).toBe(200);
    expect(onDest.json<{ state: string }>().state).toBe('running');
    const onSource = await t.call({ method: 'GET', url: `/api/hosts/${sourceId}/vms/${vm}`, cookie: admin });
    expect(onSource.statusCode).toBe(404);
  });

  it('explains why the way back fails: mirlab2 has no SSH key for root@2222 (then the root client brings it back)', async () => {
    const res = await preflight(vm, { destinationHostId: sourceId }, destId);
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json<Preflight>();
    expect(p.ok).toBe(false);
    const reach = p.checks.find((c) => c.id === 'reach')!;
    expect(reach.ok).toBe(false);
    // mirlab2 has neither root@2222's host key nor a key root accepts: the first missing piece is named.
    expect(`${reach.detail} ${reach.fix ?? ''}`).toMatch(
      /mirlab2 on lab-session (has no SSH key accepted by root@127\.0\.0\.1|does not know)/,
    );
    expect(reach.fix).toMatch(/ssh(-copy-id)? -p 2222 root@127\.0\.0\.1/);
    const refused = await t.call({
      method: 'POST',
      url: `/api/hosts/${destId}/vms/${vm}/migrate`,
      cookie: admin,
      payload: { destinationHostId: sourceId },
    });
    expect(refused.statusCode).toBe(409);
    const back = execFileSync(
      'virsh',
      ['-c', destUri, 'migrate', '--live', '--persistent', '--undefinesource', '--migrateuri', 'tcp://127.0.0.1', vm, lab.libvirtUri],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(back).toBeDefined();
    expect(labVirsh(lab, 'domstate', vm)).toContain('running');
  });

  it('fails the pre-flight and says why: a NIC on a network the destination lacks, a name already taken', async () => {
    expect(lab.libvirtNetwork, 'the lab has a libvirt network').toBeTruthy();
    await createKernelVm(t, admin, sourceId, lab, withNic, { graphics: 'none', network: { kind: 'network', name: lab.libvirtNetwork } });
    const nic = (await preflight(withNic, { destinationHostId: destId })).json<Preflight>();
    const net = nic.checks.find((c) => c.id === 'networks')!;
    expect(net.ok).toBe(false);
    expect(net.detail).toContain(`network "${lab.libvirtNetwork!}"`);
    const refused = await t.call({
      method: 'POST',
      url: `/api/hosts/${sourceId}/vms/${withNic}/migrate`,
      cookie: admin,
      payload: { destinationHostId: destId },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ message: string }>().message).toContain(lab.libvirtNetwork!);
    expect(labVirsh(lab, 'domstate', withNic)).toContain('running');

    // A VM of the same name on the destination (defined there directly, shut off).
    const xml = `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;
    const dir = mkdtempSync(join(tmpdir(), 'mirador-migrate-'));
    try {
      writeFileSync(join(dir, 'vm.xml'), xml);
      execFileSync('virsh', ['-c', destUri, 'define', join(dir, 'vm.xml')], { encoding: 'utf8', timeout: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await t.call({ method: 'GET', url: `/api/hosts/${destId}/vms`, cookie: admin });
    const name = (await preflight(vm, { destinationHostId: destId })).json<Preflight>();
    const c = name.checks.find((x) => x.id === 'name')!;
    expect(c.ok, JSON.stringify(c)).toBe(false);
    expect(c.detail).toContain(`already has a VM named "${vm}"`);
    dest('undefine', vm);
  });

  it('refuses the same host (400); a shut-off VM with a missing network is refused (409) and stays', async () => {
    const same = await preflight(vm, { destinationHostId: sourceId });
    expect(same.statusCode).toBe(400);
    expect(same.json<{ field?: string }>().field).toBe('destinationHostId');
    labVirsh(lab, 'destroy', withNic);
    await t.call({ method: 'GET', url: `/api/hosts/${sourceId}/vms/${withNic}`, cookie: admin });
    const off = await t.call({
      method: 'POST',
      url: `/api/hosts/${sourceId}/vms/${withNic}/migrate`,
      cookie: admin,
      payload: { destinationHostId: destId },
    });
    expect(off.statusCode).toBe(409);
    expect(off.json<{ message: string }>().message).toContain(lab.libvirtNetwork!);
    expect(labVirsh(lab, 'domstate', withNic)).toContain('shut off');
  });

  it('moves a shut-off VM offline: its definition (VNC password included) is defined on the destination', async () => {
    await createKernelVm(t, admin, sourceId, lab, offline, { start: false });
    const secret = /passwd='([^']+)'/.exec(labVirsh(lab, 'dumpxml', '--security-info', offline))?.[1];
    const p = (await preflight(offline, { destinationHostId: destId })).json<Preflight>();
    expect(failed(p), JSON.stringify(p.checks, null, 1)).toEqual([]);
    expect(p.command).toContain(`virsh -c qemu:///session define /dev/stdin < ${offline}.xml`);
    const res = await t.call({
      method: 'POST',
      url: `/api/hosts/${sourceId}/vms/${offline}/migrate`,
      cookie: admin,
      payload: { destinationHostId: destId },
    });
    expect(res.statusCode, res.body).toBe(202);
    await waitForTask(t, admin, res.json<{ id: string }>().id, 120_000);
    expect(dest('domstate', offline)).toContain('shut off');
    expect(dest('dumpxml', '--security-info', offline)).toContain(`passwd='${secret}'`);
    expect(() => labVirsh(lab, 'domstate', offline)).toThrow();
  });
});
