import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePoolXml } from '@mirador/libvirt';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { recordAttempt } from './tally.js';

/**
 * The finding after issue #8: an operator named /root/secret (or /etc/shadow, /dev/sda) as a VM's
 * disk, kernel or ISO, and libvirt gave the guest that file. Now every host path in a VM request is
 * resolved on the host and must be a regular file inside a storage pool or /var/lib/libvirt/boot,
 * unless an admin asks. Each attempt is made as an operator against a live server and the lab host
 * over SSH; it must be refused naming the field, define nothing (domains, tasks, DB unchanged), leave
 * the canary untouched, and be audited as an error.
 */
const AREA = 'vm-paths';
const tag = randomBytes(3).toString('hex');
const P = `sec-vmpaths-${tag}`;
const CANARY = `/root/${P}.canary`;
const CANARY_TEXT = `canary ${tag}\n`;
/** An ISO-looking file outside every pool. */
const STRAY_ISO = join(tmpdir(), `${P}.iso`);

let s: SecurityLab;
let kit: { kernel: string; initrd: string };
let poolDir: string;
const planted: string[] = [];
const domains: string[] = [];

function tally(attempt: string, refused: boolean): void {
  recordAttempt(AREA, attempt, refused ? 'refused' : 'got-through');
}

const domainNames = () =>
  virsh(s.lab, 'list', '--all', '--name')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
/**
 * What a refused request could have changed here: this file's domains and pool volumes, the tasks
 * and hosts in Mirador's DB. (Docker state is left out: other suites may change it meanwhile.)
 */
async function vmState() {
  const db = s.live.test.app.db;
  const mine = (l: string) => l.includes('sec-vmpaths-');
  return {
    domains: domainNames().filter(mine),
    volumes: virsh(s.lab, 'vol-list', s.lab.storagePool)
      .split('\n')
      .map((l) => l.trim())
      .filter(mine)
      .sort(),
    tasks: await db.task.count(),
    hosts: await db.host.findMany({ orderBy: { id: 'asc' }, select: { id: true, libvirtUri: true, hostKeyFingerprint: true } }),
  };
}
const canaryState = () => {
  const st = statSync(CANARY);
  return { text: readFileSync(CANARY, 'utf8'), uid: st.uid, gid: st.gid, mode: st.mode };
};
const lastAudit = () => s.live.test.app.db.auditLog.findFirst({ orderBy: { seq: 'desc' } });

function body(over: Record<string, unknown>) {
  return {
    name: `${P}-x`,
    memoryMiB: 64,
    vcpus: 1,
    domainType: 'qemu',
    start: false,
    network: { kind: 'none' },
    disk: { kind: 'none' },
    install: { kind: 'kernel', kernel: kit.kernel, initrd: kit.initrd, cmdline: 'console=ttyS0' },
    ...over,
  };
}

/** A block device present on the lab host (the one its disks live on). */
function blockDevice(): string {
  for (const d of ['/dev/sda', '/dev/vda', '/dev/nvme0n1', '/dev/xvda', '/dev/loop0']) {
    try {
      if (statSync(d).isBlockDevice()) return d;
    } catch {
      /* absent */
    }
  }
  throw new Error('no block device found on the lab host');
}

beforeAll(async () => {
  s = await startSecurityLab('vmpaths');
  kit = (s.lab as unknown as { vmKit: typeof kit }).vmKit;
  poolDir = parsePoolXml(virsh(s.lab, 'pool-dumpxml', s.lab.storagePool)).targetPath!;
  writeFileSync(CANARY, CANARY_TEXT, { mode: 0o600 });
  writeFileSync(STRAY_ISO, 'not really an iso');
  const plant = (name: string, target: string) => {
    const at = join(poolDir, name);
    rmSync(at, { force: true });
    symlinkSync(target, at);
    planted.push(at);
    return at;
  };
  plant(`${P}-etc`, '/etc');
  plant(`${P}-canary.qcow2`, CANARY);
  plant(`${P}-kernel`, kit.kernel);
  // A qcow2 image in the pool whose header names the canary as its backing file.
  const backed = join(poolDir, `${P}-backed.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', CANARY, '-F', 'raw', backed]);
  planted.push(backed);
  mkdirSync(join(poolDir, `${P}-dir`), { recursive: true });
  planted.push(join(poolDir, `${P}-dir`));
  virsh(s.lab, 'pool-refresh', s.lab.storagePool);
});

/** Cleanup: virsh without its complaints about what is already gone. */
const quietly = (...args: string[]) => {
  try {
    execFileSync('virsh', ['-c', s.lab.libvirtUri, ...args], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
};

afterAll(async () => {
  for (const d of domains) {
    quietly('destroy', d);
    quietly('undefine', d, '--nvram');
  }
  quietly('vol-delete', '--pool', s.lab.storagePool, `${P}-ok.qcow2`);
  for (const p of planted) rmSync(p, { recursive: true, force: true });
  rmSync(CANARY, { force: true });
  rmSync(STRAY_ISO, { force: true });
  quietly('pool-refresh', s.lab.storagePool);
  await s?.close();
});

describe('host paths in VM requests (operator)', { timeout: 120_000 }, () => {
  const attempts: Array<[string, string, () => Record<string, unknown>]> = [
    ['disk.path = a root-only canary file', 'disk.path', () => ({ disk: { kind: 'path', path: CANARY } })],
    ['disk.path = /etc/shadow', 'disk.path', () => ({ disk: { kind: 'path', path: '/etc/shadow' } })],
    ['disk.path = a block device', 'disk.path', () => ({ disk: { kind: 'path', path: blockDevice() } })],
    ['disk.path = pool symlink to /etc, then shadow', 'disk.path', () => ({ disk: { kind: 'path', path: `${poolDir}/${P}-etc/shadow` } })],
    ['disk.path = pool symlink to the canary', 'disk.path', () => ({ disk: { kind: 'path', path: `${poolDir}/${P}-canary.qcow2` } })],
    [
      'disk.path = pool/./symlink (dot segment) to /etc',
      'disk.path',
      () => ({ disk: { kind: 'path', path: `${poolDir}/./${P}-etc/passwd` } }),
    ],
    ['disk.path = the pool directory itself', 'disk.path', () => ({ disk: { kind: 'path', path: poolDir } })],
    ['disk.path = a directory inside the pool', 'disk.path', () => ({ disk: { kind: 'path', path: `${poolDir}/${P}-dir` } })],
    ['disk.path = a path that does not exist', 'disk.path', () => ({ disk: { kind: 'path', path: `${poolDir}/${P}-missing.qcow2` } })],
    [
      'disk.path = pool qcow2 whose backing file is the canary',
      'disk.path',
      () => ({ disk: { kind: 'path', path: `${poolDir}/${P}-backed.qcow2` } }),
    ],
    [
      'disk.volume = pool volume that is a symlink to the canary',
      'disk.volume',
      () => ({ disk: { kind: 'volume', pool: s.lab.storagePool, volume: `${P}-canary.qcow2` } }),
    ],
    [
      'disk.volume = pool volume whose backing file is the canary',
      'disk.volume',
      () => ({ disk: { kind: 'volume', pool: s.lab.storagePool, volume: `${P}-backed.qcow2` } }),
    ],
    ['install.kernel = /etc/passwd', 'install.kernel', () => ({ install: { kind: 'kernel', kernel: '/etc/passwd' } })],
    [
      'install.kernel = pool symlink to /etc, then passwd',
      'install.kernel',
      () => ({ install: { kind: 'kernel', kernel: `${poolDir}/${P}-etc/passwd` } }),
    ],
    ['install.initrd = the canary', 'install.initrd', () => ({ install: { kind: 'kernel', kernel: kit.kernel, initrd: CANARY } })],
    ['install.iso = a file outside the pools', 'install.iso', () => ({ install: { kind: 'cdrom', iso: STRAY_ISO } })],
    ['install.iso = the canary', 'install.iso', () => ({ install: { kind: 'cdrom', iso: CANARY } })],
    ['install.iso = a block device', 'install.iso', () => ({ install: { kind: 'cdrom', iso: blockDevice() } })],
  ];

  for (const [label, field, over] of attempts) {
    it(`refuses ${label}`, async () => {
      const b = body({ name: `${P}-x`, ...over() });
      const before = { vm: await vmState(), canary: canaryState() };

      const preview = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms/preview`, { cookie: s.cookies.operator, body: b });
      const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms`, { cookie: s.cookies.operator, body: b });
      const audit = await lastAudit();
      const after = { vm: await vmState(), canary: canaryState() };

      const refused =
        preview.status === 403 &&
        preview.json().field === field &&
        res.status === 403 &&
        res.json().field === field &&
        res.json().message.includes(`${field}:`) &&
        JSON.stringify(before) === JSON.stringify(after) &&
        audit?.action === 'vm.create' &&
        audit.result === 'error' &&
        audit.statusCode === 403;
      tally(`operator creates a VM with ${label}`, refused);

      expect(preview.status, preview.body).toBe(403);
      expect(preview.json().field).toBe(field);
      expect(res.status, res.body).toBe(403);
      expect(res.json()).toMatchObject({ field });
      expect(res.json().message).toContain(`${field}:`);
      expect(after).toEqual(before);
      expect(audit).toMatchObject({ action: 'vm.create', result: 'error', statusCode: 403, targetName: b.name, hostId: s.sshHostId });
    });
  }

  it('refuses ".." escapes at the contract (nothing reaches the host)', async () => {
    const before = await vmState();
    for (const path of [`${poolDir}/../../../../root/${P}.canary`, `${poolDir}/${P}-etc/../../etc/shadow`]) {
      const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms`, {
        cookie: s.cookies.operator,
        body: body({ disk: { kind: 'path', path } }),
      });
      const ok = res.status === 400 && /disk/.test(res.json().field ?? '');
      tally(`operator creates a VM with disk.path ${path}`, ok);
      expect(res.status, res.body).toBe(400);
      expect(res.json().field).toMatch(/disk/);
    }
    expect(await vmState()).toEqual(before);
  });

  it('lets an admin name any file, with a warning in the preview', async () => {
    const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms/preview`, {
      cookie: s.cookies.admin,
      body: body({ disk: { kind: 'path', path: CANARY } }),
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json().xml).toContain(`file="${CANARY}"`);
    expect(res.json().warnings.join(' ')).toMatch(/^disk\.path: .*outside the host's storage pools/);
  });

  it('uses the resolved path: a pool symlink to the lab kernel becomes the kernel itself', async () => {
    const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms/preview`, {
      cookie: s.cookies.operator,
      body: body({ install: { kind: 'kernel', kernel: `${poolDir}/${P}-kernel`, initrd: kit.initrd } }),
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json().xml).toContain(`<kernel>${kit.kernel}</kernel>`);
    expect(res.json().xml).not.toContain(`${P}-kernel`);
  });
});

describe('creating and deleting from the pools (operator)', { timeout: 180_000 }, () => {
  const ok = `${P}-ok`;
  const other = `${P}-other`;
  const outside = `${P}-outside`;

  async function waitTask(id: string) {
    await expect
      .poll(async () => (await s.live.request('GET', `/api/tasks/${id}`, { cookie: s.cookies.operator })).json().status, {
        timeout: 120_000,
        interval: 300,
      })
      .not.toBe('running');
    return (await s.live.request('GET', `/api/tasks/${id}`, { cookie: s.cookies.operator })).json();
  }

  function define(name: string, diskFile: string) {
    const dir = join(tmpdir(), `${P}-xml`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.xml`);
    writeFileSync(
      file,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64'>hvm</type><kernel>${kit.kernel}</kernel></os><devices>` +
        `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${diskFile}'/><target dev='vda' bus='virtio'/></disk>` +
        `</devices></domain>`,
    );
    domains.push(name);
    virsh(s.lab, 'define', file);
    rmSync(dir, { recursive: true, force: true });
  }

  async function inventoryHas(name: string) {
    await expect
      .poll(
        async () =>
          (await s.live.request('GET', `/api/hosts/${s.sshHostId}/vms`, { cookie: s.cookies.operator }))
            .json()
            .items.some((v: { name: string }) => v.name === name),
        { timeout: 20_000 },
      )
      .toBe(true);
  }

  it('creates a VM from the lab kit with a new pool volume', async () => {
    domains.push(ok);
    const res = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms`, {
      cookie: s.cookies.operator,
      body: body({ name: ok, disk: { kind: 'new', pool: s.lab.storagePool, sizeGiB: 1 } }),
    });
    expect(res.status, res.body).toBe(202);
    const task = await waitTask(res.json().id);
    expect(task.status, task.error).toBe('ok');
    const xml = virsh(s.lab, 'dumpxml', ok);
    expect(xml).toContain(`<kernel>${kit.kernel}</kernel>`);
    expect(xml).toContain(`<source pool='${s.lab.storagePool}' volume='${ok}.qcow2'/>`);
  });

  it('refuses (409) to delete the storage of a VM whose volume another VM uses', async () => {
    define(other, join(poolDir, `${ok}.qcow2`));
    await inventoryHas(other);
    const before = domainNames();
    const res = await s.live.request('DELETE', `/api/hosts/${s.sshHostId}/vms/${ok}?removeStorage=true`, { cookie: s.cookies.operator });
    const audit = await lastAudit();
    const refused =
      res.status === 409 &&
      res.json().message.includes(`${s.lab.storagePool}/${ok}.qcow2`) &&
      existsSync(join(poolDir, `${ok}.qcow2`)) &&
      domainNames().includes(ok);
    tally('operator deletes a VM with removeStorage while another VM uses its volume', refused);
    expect(res.status, res.body).toBe(409);
    expect(res.json().message).toContain(`"${s.lab.storagePool}/${ok}.qcow2" is also used by "${other}"`);
    expect(domainNames()).toEqual(before);
    expect(existsSync(join(poolDir, `${ok}.qcow2`))).toBe(true);
    expect(audit).toMatchObject({ action: 'vm.delete', result: 'error', statusCode: 409, targetName: ok });
    virsh(s.lab, 'undefine', other);
  });

  it('deletes the VM and its pool volume once nobody else uses it', async () => {
    await expect
      .poll(
        async () =>
          (await s.live.request('GET', `/api/hosts/${s.sshHostId}/vms`, { cookie: s.cookies.operator }))
            .json()
            .items.some((v: { name: string }) => v.name === other),
        { timeout: 20_000 },
      )
      .toBe(false);
    const res = await s.live.request('DELETE', `/api/hosts/${s.sshHostId}/vms/${ok}?removeStorage=true`, { cookie: s.cookies.operator });
    expect(res.status, res.body).toBe(200);
    expect(res.json().warnings).toEqual([]);
    expect(domainNames()).not.toContain(ok);
    expect(existsSync(join(poolDir, `${ok}.qcow2`))).toBe(false);
  });

  it('never deletes a disk outside the pools (libvirt only deletes pool volumes)', async () => {
    define(outside, CANARY);
    await inventoryHas(outside);
    const before = canaryState();
    const res = await s.live.request('DELETE', `/api/hosts/${s.sshHostId}/vms/${outside}?removeStorage=true`, {
      cookie: s.cookies.operator,
    });
    const kept = existsSync(CANARY) && JSON.stringify(canaryState()) === JSON.stringify(before);
    tally('operator deletes a VM with removeStorage whose disk is a file outside the pools', kept);
    expect(res.status, res.body).toBe(200);
    expect(res.json().warnings.join(' ')).toMatch(/left in place/);
    expect(canaryState()).toEqual(before);
  });
});
