import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4, parseNetworkDetail, subnetOf, subnetsOverlap, type Ipv4Subnet } from '@mirador/libvirt';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * libvirt networks (issue 10): viewers change nothing; names that would be options, paths or shell
 * get a 400 before virsh runs; an edited XML that renames the network, declares a DOCTYPE or
 * entities, or carries a processing instruction is refused and leaves the definition as it was.
 */
const AREA = 'virt-networks';
const NET = `sec-virtnet-${randomBytes(3).toString('hex')}`;
let s: SecurityLab;
let prefix: string;

const api = (method: string, path: string, cookie: string, body?: unknown) =>
  s.live.request(method, `/api/hosts/${s.sshHostId}${path}`, { cookie, body });
/** What a refused request could have changed: the network's definition and whether it runs. */
const state = () => ({
  xml: virsh(s.lab, 'net-dumpxml', '--inactive', NET),
  info: virsh(s.lab, 'net-info', NET),
  all: virsh(s.lab, 'net-list', '--all', '--name'),
});

/** A /24 in 10.231.0.0/16 that no interface or libvirt network of this machine uses. */
function freeSubnet(): string {
  const used: Ipv4Subnet[] = [];
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as Array<{
    addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  for (const l of links) for (const a of l.addr_info ?? []) if (a.family === 'inet') used.push(subnetOf(parseIpv4(a.local)!, a.prefixlen));
  for (const n of virsh(s.lab, 'net-list', '--all', '--name')
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean)) {
    for (const ip of parseNetworkDetail(virsh(s.lab, 'net-dumpxml', n)).ips) {
      const a = parseIpv4(ip.address);
      if (a !== null && ip.prefix !== null) used.push(subnetOf(a, ip.prefix));
    }
  }
  const start = randomBytes(1)[0]!;
  for (let i = 0; i < 250; i++) {
    const third = (start + i) % 250;
    if (!used.some((u) => subnetsOverlap(u, subnetOf(parseIpv4(`10.231.${third}.0`)!, 24)))) return `10.231.${third}`;
  }
  throw new Error('no free /24 in 10.231.0.0/16');
}

const quietly = (...args: string[]) => {
  try {
    execFileSync('virsh', ['-c', s.lab.libvirtUri, ...args], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
};

beforeAll(async () => {
  s = await startSecurityLab('virtnet');
  prefix = freeSubnet();
  const res = await api('POST', '/libvirt-networks', s.cookies.admin, {
    name: NET,
    kind: 'nat',
    ipv4: { subnet: `${prefix}.0`, prefix: 24, gateway: `${prefix}.1`, dhcp: { start: `${prefix}.10`, end: `${prefix}.20` } },
    autostart: false,
  });
  expect(res.status, res.body).toBe(201);
}, 180_000);

afterAll(async () => {
  if (s) {
    quietly('net-destroy', NET);
    quietly('net-undefine', NET);
  }
  await s?.close();
});

describe('libvirt networks: viewers change nothing', { timeout: 120_000 }, () => {
  const mutations = (): Array<[string, string, unknown]> => [
    ['POST', '/libvirt-networks', { name: `${NET}-v`, kind: 'isolated' }],
    ['POST', '/libvirt-networks/preview', { name: `${NET}-v`, kind: 'isolated' }],
    ['POST', `/libvirt-networks/${NET}/start`, undefined],
    ['POST', `/libvirt-networks/${NET}/stop`, undefined],
    ['PUT', `/libvirt-networks/${NET}/autostart`, { enabled: true }],
    ['PUT', `/libvirt-networks/${NET}/xml`, { xml: `<network><name>${NET}</name></network>` }],
    ['DELETE', `/libvirt-networks/${NET}`, undefined],
  ];
  it('refuses the viewer every mutation with 403, and nothing changes', async () => {
    const before = state();
    for (const [method, path, body] of mutations()) {
      const res = await api(method, path, s.cookies.viewer, body);
      expect(tally(AREA, `viewer ${method} ${path.replace(NET, ':name')}`, res.status === 403), `${method} ${path}: ${res.body}`).toBe(
        true,
      );
    }
    expect(state()).toEqual(before);
    // Reading stays open to viewers.
    expect((await api('GET', '/libvirt-networks', s.cookies.viewer)).status).toBe(200);
    expect((await api('GET', `/libvirt-networks/${NET}/dhcp-leases`, s.cookies.viewer)).status).toBe(200);
  });
});

describe('libvirt networks: hostile names', { timeout: 120_000 }, () => {
  const names = ['../x', 'a b', '--help', '$(id)', 'x'.repeat(65), 'réseau', '网络', 'a;id', "a'b", '<x>', '.hidden', ''];
  for (const name of names) {
    it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, async () => {
      const before = state();
      const create = await api('POST', '/libvirt-networks', s.cookies.operator, { name, kind: 'isolated' });
      const preview = await api('POST', '/libvirt-networks/preview', s.cookies.operator, { name, kind: 'isolated' });
      const paths = await Promise.all(
        [
          ['POST', `/libvirt-networks/${encodeURIComponent(name)}/start`],
          ['POST', `/libvirt-networks/${encodeURIComponent(name)}/stop`],
          ['DELETE', `/libvirt-networks/${encodeURIComponent(name)}`],
          ['GET', `/libvirt-networks/${encodeURIComponent(name)}/dhcp-leases`],
        ].map(([m, p]) => api(m!, p!, s.cookies.operator)),
      );
      const refused =
        create.status === 400 &&
        create.json().field === 'name' &&
        preview.status === 400 &&
        preview.json().field === 'name' &&
        paths.every((r) => r.status === 400 || r.status === 404) &&
        JSON.stringify(state()) === JSON.stringify(before);
      expect(
        tally(AREA, `hostile network name ${JSON.stringify(name.slice(0, 20))}`, refused),
        [create, preview, ...paths].map((r) => `${r.status} ${r.body}`).join('\n'),
      ).toBe(true);
    });
  }
});

describe('libvirt networks: hostile XML edits', { timeout: 120_000 }, () => {
  const edits = (xml: string): Array<[string, string]> => [
    ['another name', xml.replace(`<name>${NET}</name>`, '<name>default</name>')],
    ['another uuid', xml.replace(/<uuid>[^<]+<\/uuid>/, '<uuid>00000000-0000-4000-8000-000000000001</uuid>')],
    [
      'DOCTYPE with an external entity',
      `<?xml version="1.0"?>\n<!DOCTYPE network [<!ENTITY x SYSTEM "file:///etc/shadow">]>\n${xml.replace('</name>', '</name><title>&x;</title>')}`,
    ],
    [
      'billion laughs',
      `<!DOCTYPE network [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n${xml.replace('</name>', '</name><title>&b;</title>')}`,
    ],
    ['xml-stylesheet processing instruction', `<?xml-stylesheet type="text/xsl" href="http://evil.test/x.xsl"?>\n${xml}`],
    ['processing instruction inside', xml.replace('</name>', '</name><?php system("id"); ?>')],
    ['not a network', '<domain><name>x</name></domain>'],
    ['not XML', 'rm -rf /'],
    ['invalid for libvirt', xml.replace(`address='${prefix}.1'`, "address='999.1.1.1'")],
  ];
  it('refuses each with a 400 on the xml field and leaves the definition as it was', async () => {
    const xml = virsh(s.lab, 'net-dumpxml', '--inactive', NET);
    for (const [label, body] of edits(xml)) {
      const before = state();
      const res = await api('PUT', `/libvirt-networks/${NET}/xml`, s.cookies.operator, { xml: body });
      const refused = res.status === 400 && res.json().field === 'xml' && JSON.stringify(state()) === JSON.stringify(before);
      expect(tally(AREA, `XML edit: ${label}`, refused), `${label}: ${res.status} ${res.body}`).toBe(true);
    }
  });
});
