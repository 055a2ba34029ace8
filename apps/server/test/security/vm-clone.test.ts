import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Cloning (issue #11) copies disks on the host and defines a new domain from another's definition.
 * Viewers clone nothing; hostile clone names, source names and disk modes are refused with a 400
 * naming the field before anything runs; fields the contract does not have (paths, UUIDs, MACs) are
 * never honoured; a disk that is not a pool volume (a file anywhere on the host) is never copied;
 * an existing name is never overwritten. Each attempt must leave the host's domains and volumes as
 * they were.
 */
const AREA = 'vm-clone';
const tag = randomBytes(3).toString('hex');
const OUTSIDE = `mirador-test-secclone-${tag}`;
const CLONE = `mirador-test-secclone-c-${tag}`;

let s: SecurityLab;
let dir: string;
let outsideDisk: string;

const url = (vm: string, rest = '') => `/api/hosts/${s.sshHostId}/vms/${vm}/clone${rest}`;
const post = (cookie: string, vm: string, body: unknown, rest = '') => s.live.request('POST', url(vm, rest), { cookie, body });
async function state() {
  return JSON.stringify({
    snap: await s.snapshot(),
    domains: virsh(s.lab, 'list', '--all', '--name'),
    volumes: virsh(s.lab, 'vol-list', '--pool', s.lab.storagePool),
  });
}

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  // A VM whose disk is a plain file outside every storage pool (as someone with a shell could define).
  dir = mkdtempSync(join(tmpdir(), 'sec-clone-'));
  outsideDisk = join(dir, 'outside.img');
  writeFileSync(outsideDisk, Buffer.alloc(1024 * 1024));
  const xml =
    `<domain type='qemu'><name>${OUTSIDE}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
    `<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>` +
    `<source file='${outsideDisk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
  writeFileSync(join(dir, 'domain.xml'), xml);
  virsh(s.lab, 'define', join(dir, 'domain.xml'));
});

afterAll(async () => {
  for (const vm of [OUTSIDE, CLONE]) {
    try {
      virsh(s.lab, 'undefine', vm);
    } catch {
      /* not defined */
    }
  }
  rmSync(dir, { recursive: true, force: true });
  await s?.close();
});

describe('clone: who may, and what a request can name', { timeout: 120_000 }, () => {
  it('refuses viewers both the clone and its preview', async () => {
    const before = await state();
    for (const rest of ['', '/preview']) {
      const res = await post(s.cookies.viewer, s.vmName, { name: CLONE, disks: 'copy' }, rest);
      expect(tally(AREA, `viewer POST clone${rest}`, res.status === 403)).toBe(true);
    }
    expect(await state()).toBe(before);
  });

  it('refuses hostile clone names, modes and source names with a 400 naming the field', async () => {
    const before = await state();
    const names = ['x; rm -rf /', '$(reboot)', '../../etc/x', '<name>x</name>', "a'b", '-help', 'a b', '', 'a'.repeat(65), 'x\ny'];
    for (const name of names) {
      const res = await post(s.cookies.operator, s.vmName, { name, disks: 'copy' });
      expect(tally(AREA, `clone name ${JSON.stringify(name)}`, res.status === 400 && res.json().field === 'name'), res.body).toBe(true);
    }
    for (const disks of ['copy --reflink', 'linked;id', 'full', 1]) {
      const res = await post(s.cookies.operator, s.vmName, { name: CLONE, disks });
      expect(tally(AREA, `disk mode ${JSON.stringify(disks)}`, res.status === 400 && res.json().field === 'disks'), res.body).toBe(true);
    }
    for (const vm of ['..%2F..%2Fetc', '%24(reboot)', '-x', 'a%20b']) {
      const res = await post(s.cookies.operator, vm, { name: CLONE, disks: 'copy' });
      expect(tally(AREA, `source name ${vm}`, res.status === 400 || res.status === 404), res.body).toBe(true);
    }
    expect(await state()).toBe(before);
  });

  it('never honours fields the contract does not have (disk paths, UUIDs, MACs)', async () => {
    const before = await state();
    const res = await post(
      s.cookies.operator,
      s.vmName,
      { name: CLONE, disks: 'copy', files: ['/etc/shadow'], uuid: '00000000-0000-0000-0000-000000000001', macs: ['ff:ff:ff:ff:ff:ff'] },
      '/preview',
    );
    // Either refused outright, or the unknown fields are dropped: nothing in the plan names them.
    const ignored = res.status === 400 || (res.status === 200 && !/shadow|00000000-|ff:ff/.test(res.body));
    expect(tally(AREA, 'unknown fields files/uuid/macs in a clone request', ignored), res.body).toBe(true);
    expect(await state()).toBe(before);
  });

  it('never copies a disk that is not a pool volume: refused, naming it, nothing made', async () => {
    const before = await state();
    for (const rest of ['/preview', '']) {
      const res = await post(s.cookies.operator, OUTSIDE, { name: CLONE, disks: 'copy' }, rest);
      const refused = res.status === 409 && res.json().field === 'disks' && res.json().message.includes(outsideDisk);
      expect(tally(AREA, `clone of a VM with a disk outside the pools${rest}`, refused), res.body).toBe(true);
    }
    expect(await state()).toBe(before);
  });

  it('never overwrites an existing VM; an unknown source is 404', async () => {
    const before = await state();
    const taken = await post(s.cookies.operator, OUTSIDE, { name: s.vmName, disks: 'copy' });
    expect(tally(AREA, 'clone onto an existing VM name', taken.status === 409 && taken.json().field === 'name'), taken.body).toBe(true);
    const missing = await post(s.cookies.operator, `mirador-test-nope-${tag}`, { name: CLONE, disks: 'copy' });
    expect(tally(AREA, 'clone of an unknown VM', missing.status === 404), missing.body).toBe(true);
    expect(await state()).toBe(before);
  });

  it('audits refused clone requests', async () => {
    const res = await s.live.request('GET', '/api/audit?action=vm.clone&limit=100', { cookie: s.cookies.admin });
    expect(res.status, res.body).toBe(200);
    const items = (res.json() as { items: Array<{ action: string; outcome?: string }> }).items;
    expect(tally(AREA, 'refused clones appear in the audit log', items.filter((i) => i.action === 'vm.clone').length >= 5)).toBe(true);
  });
});
