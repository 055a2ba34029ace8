import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4, parseNetworkDetail, subnetOf, subnetsOverlap, type Ipv4Subnet } from '@mirador/libvirt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';

/** virsh on the lab host directly (not through Mirador). */
function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const quiet = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    /* already gone */
  }
};

/** Every IPv4 subnet in use on this machine: its interfaces and every libvirt network. */
function subnetsInUse(): Ipv4Subnet[] {
  const out: Ipv4Subnet[] = [];
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as Array<{
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  for (const l of links) for (const a of l.addr_info ?? []) if (a.family === 'inet') out.push(subnetOf(parseIpv4(a.local)!, a.prefixlen));
  for (const n of virsh('net-list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)) {
    for (const ip of parseNetworkDetail(virsh('net-dumpxml', n)).ips) {
      const a = parseIpv4(ip.address);
      if (a !== null && ip.prefix !== null) out.push(subnetOf(a, ip.prefix));
    }
  }
  return out;
}

/** Free /24s inside 10.231.0.0/16, checked against what this machine uses right now. */
function freeSubnets(count: number): string[] {
  const used = subnetsInUse();
  const found: string[] = [];
  const offset = randomBytes(1)[0]!;
  for (let i = 0; i < 256 && found.length < count; i++) {
    const third = (offset + i) % 250;
    const s = subnetOf(parseIpv4(`10.231.${third}.0`)!, 24);
    if (!used.some((u) => subnetsOverlap(u, s))) found.push(`10.231.${third}`);
  }
  if (found.length < count) throw new Error('no free /24 left in 10.231.0.0/16');
  return found;
}

describe('libvirt networks on the lab libvirtd over SSH', { timeout: 180_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab & { vmKit: { kernel: string } };
  let hostId: string;
  const tag = randomBytes(3).toString('hex');
  const natName = `mir-nat-${tag}`;
  const isoName = `mir-iso-${tag}`;
  const vmName = `mir-netvm-${tag}`;
  let natNet: string;
  let isoNet: string;
  const url = (suffix = '') => `/api/hosts/${hostId}/libvirt-networks${suffix}`;
  const natBody = () => ({
    name: natName,
    kind: 'nat',
    ipv4: {
      subnet: `${natNet}.0`,
      prefix: 24,
      gateway: `${natNet}.1`,
      dhcp: { start: `${natNet}.100`, end: `${natNet}.150` },
      hosts: [{ mac: '52:54:00:de:ad:01', ip: `${natNet}.10`, name: 'fixed' }],
    },
  });

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    [natNet, isoNet] = freeSubnets(2) as [string, string];
    t = await startTestApp();
    admin = await t.setupAdmin();
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'lab', address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    hostId = res.json().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json().ok).toBe(true);
  });
  afterAll(async () => {
    quiet(() => virsh('destroy', vmName));
    quiet(() => virsh('undefine', vmName));
    for (const n of [natName, isoName]) {
      quiet(() => virsh('net-destroy', n));
      quiet(() => virsh('net-undefine', n));
    }
    await t?.close();
  });

  it('lists the host bridges for the bridged form', async () => {
    const res = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/interfaces`, cookie: admin });
    expect(res.statusCode).toBe(200);
    const virbr0 = res.json().items.find((i: { name: string }) => i.name === 'virbr0');
    expect(virbr0).toMatchObject({ isBridge: true, kind: 'bridge' });
    expect(res.json().cli[0]).toContain('ip -details -json address show');
  });

  it('refuses bad input with a 400 naming the field, and creates nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...natBody(), name: '../x' }, 'name'],
      [{ ...natBody(), name: '--help' }, 'name'],
      [{ ...natBody(), ipv4: { ...natBody().ipv4, dhcp: { start: `${isoNet}.2`, end: `${natNet}.20` } } }, 'ipv4.dhcp.start'],
      [{ ...natBody(), ipv4: { ...natBody().ipv4, hosts: [{ mac: 'zz:54:00:00:00:01', ip: `${natNet}.9` }] } }, 'ipv4.hosts.0.mac'],
      [{ ...natBody(), ipv4: { ...natBody().ipv4, gateway: `${natNet}.120` } }, 'ipv4.dhcp'],
      [{ ...natBody(), kind: 'bogus' }, 'kind'],
      [{ name: natName, kind: 'bridge', hostBridge: 'no-such-br0' }, 'hostBridge'],
      [{ name: natName, kind: 'bridge', hostBridge: 'eth0' }, 'hostBridge'],
    ];
    for (const [payload, field] of cases) {
      const res = await t.call({ method: 'POST', url: url(), cookie: admin, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().field, res.body).toBe(field);
    }
    expect(virsh('net-list', '--all', '--name')).not.toContain(natName);
  });

  it('previews the XML and the virsh lines without running anything', async () => {
    const res = await t.call({ method: 'POST', url: url('/preview'), cookie: admin, payload: natBody() });
    expect(res.statusCode, res.body).toBe(200);
    const { xml, commands } = res.json();
    expect(parseNetworkDetail(xml)).toMatchObject({ name: natName, forwardMode: 'nat' });
    expect(commands).toEqual([
      'virsh -c qemu:///system net-define /dev/stdin',
      `virsh -c qemu:///system net-start ${natName}`,
      `virsh -c qemu:///system net-autostart ${natName}`,
    ]);
    expect(virsh('net-list', '--all', '--name')).not.toContain(natName);
  });

  it('creates a NAT network with a DHCP range, lists it, shows its XML, toggles autostart, edits it and stops it', async () => {
    const created = await t.call({ method: 'POST', url: url(), cookie: admin, payload: natBody() });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().network).toMatchObject({ name: natName, active: true, autostart: true, persistent: true, forwardMode: 'nat' });
    expect(virsh('net-info', natName)).toMatch(/Active:\s+yes/);

    const list = await t.call({ method: 'GET', url: url(), cookie: admin });
    const net = list.json().items.find((n: { name: string }) => n.name === natName);
    expect(net.bridge).toMatch(/^virbr\d+$/);
    expect(net.ips[0]).toMatchObject({
      address: `${natNet}.1`,
      prefix: 24,
      dhcpRanges: [{ start: `${natNet}.100`, end: `${natNet}.150` }],
      hosts: [{ mac: '52:54:00:de:ad:01', ip: `${natNet}.10`, name: 'fixed' }],
    });
    expect(net.cli.stop).toBe(`virsh -c qemu:///system net-destroy ${natName}`);
    expect(list.json().cli.list).toBe('virsh -c qemu:///system net-list --all');

    const detail = await t.call({ method: 'GET', url: url(`/${natName}`), cookie: admin });
    expect(detail.json().xml).toContain(`<name>${natName}</name>`);

    const off = await t.call({ method: 'PUT', url: url(`/${natName}/autostart`), cookie: admin, payload: { enabled: false } });
    expect(off.json().network.autostart).toBe(false);
    expect(off.json().commands).toEqual([`virsh -c qemu:///system net-autostart ${natName} --disable`]);
    const on = await t.call({ method: 'PUT', url: url(`/${natName}/autostart`), cookie: admin, payload: { enabled: true } });
    expect(on.json().network.autostart).toBe(true);

    const leases = await t.call({ method: 'GET', url: url(`/${natName}/dhcp-leases`), cookie: admin });
    expect(leases.statusCode, leases.body).toBe(200);
    expect(leases.json()).toMatchObject({ items: [], cli: `virsh -c qemu:///system net-dhcp-leases ${natName}` });

    // Overlaps are refused before libvirt sees them, naming what they overlap.
    const overlap = await t.call({ method: 'POST', url: url(), cookie: admin, payload: { ...natBody(), name: `${natName}-2` } });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json()).toMatchObject({ field: 'ipv4.subnet' });
    expect(overlap.json().message).toContain(natName);
    const eth = await t.call({
      method: 'POST',
      url: url('/preview'),
      cookie: admin,
      payload: { name: `${natName}-3`, kind: 'route', ipv4: { subnet: '192.168.122.128', prefix: 25, gateway: '192.168.122.129' } },
    });
    expect(eth.statusCode).toBe(409);
    expect(eth.json().message).toContain('default');

    // XML edits: libvirt's refusal comes back as a 400 and nothing changes; the right edit applies.
    const xml: string = detail.json().xml;
    const renamed = await t.call({
      method: 'PUT',
      url: url(`/${natName}/xml`),
      cookie: admin,
      payload: { xml: xml.replace(natName, 'other') },
    });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().field).toBe('xml');
    const invalid = await t.call({
      method: 'PUT',
      url: url(`/${natName}/xml`),
      cookie: admin,
      payload: { xml: xml.replace(`address='${natNet}.1'`, "address='not-an-ip'") },
    });
    expect(invalid.statusCode, invalid.body).toBe(400);
    expect(invalid.json().message).toMatch(/libvirt refused/);
    expect(virsh('net-dumpxml', '--inactive', natName)).toContain(`${natNet}.1`);
    const edited = await t.call({
      method: 'PUT',
      url: url(`/${natName}/xml`),
      cookie: admin,
      payload: { xml: xml.replace(`end='${natNet}.150'`, `end='${natNet}.160'`) },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(virsh('net-dumpxml', '--inactive', natName)).toContain(`${natNet}.160`);

    const stopped = await t.call({ method: 'POST', url: url(`/${natName}/stop`), cookie: admin });
    expect(stopped.statusCode, stopped.body).toBe(200);
    expect(stopped.json().network).toMatchObject({ active: false });
    const started = await t.call({ method: 'POST', url: url(`/${natName}/start`), cookie: admin });
    expect(started.json().network).toMatchObject({ active: true });
  });

  it('refuses to stop or delete a network with a running VM attached unless the VM is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirador-net-'));
    try {
      const domain =
        `<domain type='qemu'><name>${vmName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64'>hvm</type><kernel>${lab.vmKit.kernel}</kernel></os>` +
        `<devices><interface type='network'><source network='${natName}'/><mac address='52:54:00:de:ad:02'/></interface>` +
        `<serial type='pty'/><console type='pty'/></devices></domain>`;
      writeFileSync(join(dir, 'd.xml'), domain);
      virsh('define', join(dir, 'd.xml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    virsh('start', vmName);
    // The VM inventory follows libvirt events; wait until it sees the guest running on the network.
    let attached: Array<{ name: string; state: string }> = [];
    for (let i = 0; i < 50 && !attached.some((v) => v.state === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const list = await t.call({ method: 'GET', url: url(), cookie: admin });
      attached = list.json().items.find((n: { name: string }) => n.name === natName)?.vms ?? [];
    }
    expect(attached).toEqual([{ name: vmName, state: 'running', mac: '52:54:00:de:ad:02' }]);

    for (const [method, path] of [
      ['POST', `/${natName}/stop`],
      ['DELETE', `/${natName}`],
      ['DELETE', `/${natName}?confirmVms=someone-else`],
    ] as const) {
      const res = await t.call({ method, url: url(path), cookie: admin });
      expect(res.statusCode, path).toBe(409);
      expect(res.json().message).toContain(vmName);
    }
    expect(virsh('net-info', natName)).toMatch(/Active:\s+yes/);

    const deleted = await t.call({ method: 'DELETE', url: url(`/${natName}?confirmVms=${vmName}`), cookie: admin });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json().commands).toEqual([
      `virsh -c qemu:///system net-destroy ${natName}`,
      `virsh -c qemu:///system net-undefine ${natName}`,
    ]);
    expect(virsh('net-list', '--all', '--name')).not.toContain(natName);
  });

  it('creates, starts and deletes an isolated network', async () => {
    const created = await t.call({
      method: 'POST',
      url: url(),
      cookie: admin,
      payload: { name: isoName, kind: 'isolated', ipv4: { subnet: `${isoNet}.0`, prefix: 24, gateway: `${isoNet}.1` }, autostart: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().network).toMatchObject({ forwardMode: 'isolated', active: true, autostart: false });
    expect(virsh('net-dumpxml', isoName)).not.toContain('<forward');
    const del = await t.call({ method: 'DELETE', url: url(`/${isoName}`), cookie: admin });
    expect(del.statusCode, del.body).toBe(200);
    expect(virsh('net-list', '--all', '--name')).not.toContain(isoName);
    const gone = await t.call({ method: 'GET', url: url(`/${isoName}`), cookie: admin });
    expect(gone.statusCode).toBe(404);
  });
});
