import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Hot-plug devices (issue #11) put host files and names into a VM's definition: a disk image is
 * opened by QEMU (and chowned for it by libvirt), a bridge joins the guest to a host network. Viewers
 * change nothing; hostile names, MACs, buses, targets and paths are refused with a 400 naming the
 * field, host files outside the storage pools are refused to operators, and nothing reaches virsh:
 * the VM's definition and the pool's volumes stay byte-for-byte the same.
 */
const AREA = 'vm-devices';

let s: SecurityLab;
const api = (rest: string) => `/api/hosts/${s.sshHostId}/vms/${s.vmName}/${rest}`;

function state(): string {
  return JSON.stringify({
    xml: virsh(s.lab, 'dumpxml', '--inactive', s.vmName),
    // The pool is shared with other tests running at the same time: only names this file could make count.
    volumes: virsh(s.lab, 'vol-list', s.lab.storagePool)
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n && !n.startsWith('mirador-test-') && !/^(Name|-+)$/.test(n))
      .sort(),
  });
}

beforeAll(async () => {
  s = await startSecurityLab(AREA);
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('VM devices: who may change them and with what', { timeout: 120_000 }, () => {
  it('refuses every device change to a viewer, before anything runs', async () => {
    const before = state();
    const tries: Array<[string, string, unknown]> = [
      ['POST', 'disks', { source: { kind: 'new', pool: s.lab.storagePool, name: 'sec-vm-devices-v.qcow2', sizeMiB: 1 }, persistent: true }],
      ['POST', 'disks/preview', { source: { kind: 'new', pool: s.lab.storagePool, name: 'sec-vm-devices-v.qcow2', sizeMiB: 1 } }],
      ['DELETE', 'disks/vda', undefined],
      ['POST', 'disks/hda/media', { action: 'eject' }],
      ['POST', 'nics', { kind: 'network', source: 'default' }],
      ['POST', 'nics/preview', { kind: 'network', source: 'default' }],
      ['DELETE', 'nics/52:54:00:00:00:01', undefined],
      ['PATCH', 'nics/52:54:00:00:00:01', { link: 'down' }],
    ];
    for (const [method, path, body] of tries) {
      const res = await s.live.request(method, api(path), { cookie: s.cookies.viewer, ...(body !== undefined ? { body } : {}) });
      expect(tally(AREA, `viewer ${method} ${path}`, res.status === 403), `${method} ${path}: ${res.status} ${res.body}`).toBe(true);
    }
    // Reading is allowed.
    expect((await s.live.request('GET', api('disks'), { cookie: s.cookies.viewer })).status).toBe(200);
    expect(state()).toBe(before);
  });

  it('refuses hostile names, MACs, buses, targets, sizes and paths with a 400 naming the field; nothing changes', async () => {
    const before = state();
    const pool = s.lab.storagePool;
    const disk = (source: unknown, extra: Record<string, unknown> = {}) => ({ source, persistent: true, ...extra });
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', 'disks', disk({ kind: 'new', pool: '../../etc', name: 'x.qcow2', sizeMiB: 1 }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: '-rf', sizeMiB: 1 }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x$(reboot).qcow2', sizeMiB: 1 }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: -1 }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: 1e12 }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: 1, format: 'vmdk' }), 'source'],
      ['POST', 'disks', disk({ kind: 'volume', pool, volume: '../../../etc/shadow' }), 'source'],
      ['POST', 'disks', disk({ kind: 'iso', path: '/var/lib/libvirt/images/../../../../etc/shadow' }), 'source'],
      ['POST', 'disks', disk({ kind: 'iso', path: "/tmp/x.iso'/><disk" }), 'source'],
      ['POST', 'disks', disk({ kind: 'file', path: '/etc/shadow' }), 'source'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: 1 }, { bus: "virtio'/><x" }), 'bus'],
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: 1 }, { cache: 'unsafe;reboot' }), 'cache'],
      ['POST', 'disks', disk({ kind: 'iso', path: '/var/lib/libvirt/boot/x.iso' }, { bus: 'virtio' }), 'bus'],
      // The VM is shut off: there is no live side to hot-plug into.
      ['POST', 'disks', disk({ kind: 'new', pool, name: 'x.qcow2', sizeMiB: 1 }, { live: true }), 'live'],
      ['DELETE', 'disks/vda%3Bid', undefined, 'target'],
      ['DELETE', 'disks/..%2Fvda', undefined, 'target'],
      ['POST', 'disks/sda%20--config/media', { action: 'eject' }, 'target'],
      ['POST', 'disks/hdc/media', { action: 'insert', path: '/etc/../root/x.iso' }, 'path'],
      ['POST', 'nics', { kind: 'network', source: "default'/><x" }, 'source'],
      ['POST', 'nics', { kind: 'network', source: '-c' }, 'source'],
      ['POST', 'nics', { kind: 'bridge', source: 'br0 && reboot' }, 'source'],
      ['POST', 'nics', { kind: 'bridge', source: 'sec-no-such-br' }, 'source'],
      ['POST', 'nics', { kind: 'network', source: 'default', model: 'ne2k_pci' }, 'model'],
      ['POST', 'nics', { kind: 'network', source: 'default', mac: '01:00:5e:00:00:01' }, 'mac'],
      ['POST', 'nics', { kind: 'network', source: 'default', mac: '52:54:00:00:00:01\n' }, 'mac'],
      ['POST', 'nics', { kind: 'network', source: 'default', mac: "52:54:00:00:00:01' --config" }, 'mac'],
      ['POST', 'nics', { kind: 'network', source: 'default', mac: '00:00:00:00:00:00' }, 'mac'],
      ['DELETE', 'nics/52:54:00:00:00:01%3Breboot', undefined, 'mac'],
      ['PATCH', 'nics/--config', { link: 'down' }, 'mac'],
      ['PATCH', 'nics/52:54:00:00:00:01', { link: 'sideways' }, 'link'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await s.live.request(method, api(path), { cookie: s.cookies.admin, ...(body !== undefined ? { body } : {}) });
      const ok = res.status === 400 && String(res.json().field ?? '').startsWith(field);
      expect(
        tally(AREA, `${method} ${path} ${JSON.stringify(body)}`, ok),
        `${method} ${path} ${JSON.stringify(body)}: ${res.status} ${res.body}`,
      ).toBe(true);
    }
    expect(state()).toBe(before);
  });

  it('holds operators to the storage pools for ISOs, like VM create does', async () => {
    const before = state();
    for (const path of ['/etc/shadow', '/root/.ssh/authorized_keys', '/dev/sda']) {
      const res = await s.live.request('POST', api('disks'), {
        cookie: s.cookies.operator,
        body: { source: { kind: 'iso', path }, persistent: true, bus: 'sata' },
      });
      expect(tally(AREA, `operator ISO ${path}`, res.status === 403 || res.status === 400), `${path}: ${res.status} ${res.body}`).toBe(
        true,
      );
    }
    expect(state()).toBe(before);
  });
});
