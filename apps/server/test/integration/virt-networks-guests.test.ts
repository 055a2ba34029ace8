import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4, parseNetworkDetail, subnetOf, subnetsOverlap, type Ipv4Subnet } from '@mirador/libvirt';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost, createKernelVm, labVirsh } from '../helpers/lab-vm.js';

const virsh = (...args: string[]) => labVirsh(readLab(), ...args);
const quiet = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    /* already gone */
  }
};

/** A /24 in 10.213.0.0/16 that neither this machine's interfaces nor any libvirt network uses right now. */
function freeSubnet(): string {
  const used: Ipv4Subnet[] = [];
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as Array<{
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  for (const l of links) for (const a of l.addr_info ?? []) if (a.family === 'inet') used.push(subnetOf(parseIpv4(a.local)!, a.prefixlen));
  for (const n of virsh('net-list', '--all', '--name')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)) {
    for (const ip of parseNetworkDetail(virsh('net-dumpxml', n)).ips) {
      const a = parseIpv4(ip.address);
      if (a !== null && ip.prefix !== null) used.push(subnetOf(a, ip.prefix));
    }
  }
  const offset = randomBytes(1)[0]!;
  for (let i = 0; i < 250; i++) {
    const third = (offset + i) % 250;
    if (!used.some((u) => subnetsOverlap(u, subnetOf(parseIpv4(`10.213.${third}.0`)!, 24)))) return `10.213.${third}`;
  }
  throw new Error('no free /24 left in 10.213.0.0/16');
}

// TCG guests boot slowly on a small CI machine: the lease wait is generous but bounded.
describe('libvirt networks with guests on the lab libvirtd over SSH', { timeout: 300_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab;
  let hostId: string;
  const tag = randomBytes(3).toString('hex');
  const bridgedName = `mir-br-${tag}`;
  const natName = `mir-dhcp-${tag}`;
  const vmName = `mirador-test-lease-${tag}`;
  const url = (suffix = '') => `/api/hosts/${hostId}/libvirt-networks${suffix}`;

  beforeAll(async () => {
    lab = readLab();
    if (!lab.bridge) throw new Error('lab.json has no "bridge": re-run bash scripts/lab.sh up');
    t = await startTestApp();
    admin = await t.setupAdmin();
    hostId = await addLabHost(t, admin, lab);
  });
  afterAll(async () => {
    quiet(() => virsh('destroy', vmName));
    quiet(() => virsh('undefine', '--nvram', vmName));
    quiet(() => virsh('undefine', vmName));
    for (const n of [bridgedName, natName]) {
      quiet(() => virsh('net-destroy', n));
      quiet(() => virsh('net-undefine', n));
    }
    await t?.close();
  });

  it("creates a bridged network onto the lab's uplink-less bridge, starts it and deletes it", async () => {
    const ifaces = await t.call({ method: 'GET', url: `/api/hosts/${hostId}/interfaces`, cookie: admin });
    expect(ifaces.statusCode, ifaces.body).toBe(200);
    expect(ifaces.json().items.find((i: { name: string }) => i.name === lab.bridge)).toMatchObject({
      name: lab.bridge,
      kind: 'bridge',
      isBridge: true,
      master: null,
    });

    const created = await t.call({
      method: 'POST',
      url: url(),
      cookie: admin,
      payload: { name: bridgedName, kind: 'bridge', hostBridge: lab.bridge, start: false, autostart: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().network).toMatchObject({ name: bridgedName, forwardMode: 'bridge', active: false, autostart: false });
    const xml = virsh('net-dumpxml', bridgedName);
    expect(xml).toMatch(/<forward mode=['"]bridge['"]\s*\/>/);
    expect(xml).toMatch(new RegExp(`<bridge name=['"]${lab.bridge}['"]\\s*/>`));
    expect(xml).not.toContain('<ip');

    const started = await t.call({ method: 'POST', url: url(`/${bridgedName}/start`), cookie: admin });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json().network).toMatchObject({ active: true, bridge: lab.bridge });
    expect(virsh('net-info', bridgedName)).toMatch(/Active:\s+yes/);

    const del = await t.call({ method: 'DELETE', url: url(`/${bridgedName}`), cookie: admin });
    expect(del.statusCode, del.body).toBe(200);
    expect(virsh('net-list', '--all', '--name')).not.toContain(bridgedName);
    // Deleting the libvirt network leaves the host's bridge alone.
    expect(execFileSync('ip', ['-br', 'link', 'show', lab.bridge], { encoding: 'utf8' })).toContain(lab.bridge);
  });

  it('a kernel-boot VM on a new NAT network gets a DHCP lease, shown in the leases and on the VM; the network stays while the VM runs', async () => {
    const net = freeSubnet();
    const created = await t.call({
      method: 'POST',
      url: url(),
      cookie: admin,
      payload: {
        name: natName,
        kind: 'nat',
        ipv4: { subnet: `${net}.0`, prefix: 24, gateway: `${net}.1`, dhcp: { start: `${net}.100`, end: `${net}.150` } },
        autostart: false,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().network).toMatchObject({ active: true, forwardMode: 'nat' });

    await createKernelVm(t, admin, hostId, lab, vmName, { network: { kind: 'network', name: natName } });

    const detail = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms/${vmName}`, cookie: admin })).json();
    expect(detail.nics).toHaveLength(1);
    expect(detail.nics[0]).toMatchObject({ type: 'network', source: natName });
    const mac = (detail.nics[0].mac as string).toLowerCase();
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);

    // The guest's busybox init DHCPs eth0 as soon as it is up.
    const t0 = Date.now();
    let lease: { ip: string; vm: string | null } | undefined;
    while (!lease && Date.now() - t0 < 90_000) {
      const res = await t.call({ method: 'GET', url: url(`/${natName}/dhcp-leases`), cookie: admin });
      expect(res.statusCode, res.body).toBe(200);
      lease = res.json().items.find((l: { mac: string }) => l.mac === mac);
      if (!lease) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(lease, `no lease for ${mac} within 90 s`).toBeDefined();
    console.log(`[lease] ${mac} got ${lease!.ip} ${((Date.now() - t0) / 1000).toFixed(1)} s after the VM was created`);
    expect(lease).toMatchObject({ vm: vmName });
    const [a, b, c, d] = lease!.ip.split('.').map(Number);
    expect(`${a}.${b}.${c}`).toBe(net);
    expect(d).toBeGreaterThanOrEqual(100);
    expect(d).toBeLessThanOrEqual(150);

    // The inventory looks for missing addresses of running guests every 20 s (no libvirt event says "leased").
    const t1 = Date.now();
    await expect
      .poll(
        async () => {
          const list = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin })).json();
          return list.items.find((v: { name: string }) => v.name === vmName)?.nics?.[0]?.ip ?? null;
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(lease!.ip);
    console.log(`[lease] VM list showed ${lease!.ip} ${((Date.now() - t1) / 1000).toFixed(1)} s after the lease`);
    const again = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms/${vmName}`, cookie: admin })).json();
    expect(again.nics[0].ip).toBe(lease!.ip);

    // Deleting (or stopping) the network under a running guest needs the guest named; nothing happens otherwise.
    for (const [method, path] of [
      ['DELETE', `/${natName}`],
      ['POST', `/${natName}/stop`],
    ] as const) {
      const res = await t.call({ method, url: url(path), cookie: admin });
      expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(409);
      expect(res.json()).toMatchObject({ field: 'confirmVms' });
      expect(res.json().message).toContain(vmName);
    }
    expect(virsh('net-info', natName)).toMatch(/Active:\s+yes/);
    expect(virsh('domstate', vmName).trim()).toBe('running');

    // Once the guest is off, the network goes without any confirmation.
    virsh('destroy', vmName);
    await expect
      .poll(
        async () =>
          (await t.call({ method: 'GET', url: url(), cookie: admin })).json().items.find((n: { name: string }) => n.name === natName)?.vms,
        { timeout: 20_000 },
      )
      .toEqual([{ name: vmName, state: 'shut off', mac }]);
    const del = await t.call({ method: 'DELETE', url: url(`/${natName}`), cookie: admin });
    expect(del.statusCode, del.body).toBe(200);
    expect(virsh('net-list', '--all', '--name')).not.toContain(natName);
  });
});
