import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * The XML editor (issue #11) hands libvirt a whole definition: the one place where an operator
 * could name any host file or device, or raw QEMU arguments. Every hostile document here must be
 * refused with nothing changed (the persistent definition read back is byte-identical).
 */
const AREA = 'vm-xml';
const VM = `mirador-test-secxml-${randomBytes(3).toString('hex')}`;
const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

let s: SecurityLab;
let original: string;
const url = () => `/api/hosts/${s.sshHostId}/vms/${VM}/config/xml`;
const inactive = () => virsh(s.lab, 'dumpxml', '--inactive', VM);
const put = (cookie: string, xml: string, extra: Record<string, unknown> = {}) =>
  s.live.request('PUT', url(), { cookie, body: { xml, ...extra } });
type Edit = (xml: string) => string;
const withDevice =
  (device: string): Edit =>
  (xml) =>
    xml.replace('</devices>', `  ${device}\n  </devices>`);

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  const lab = s.lab as typeof s.lab & { vmKit: { kernel: string; initrd: string } };
  const created = await s.live.request('POST', `/api/hosts/${s.sshHostId}/vms`, {
    cookie: s.cookies.admin,
    body: {
      name: VM,
      memoryMiB: 128,
      vcpus: 1,
      domainType: 'qemu',
      start: false,
      disk: { kind: 'none' },
      install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
      network: { kind: 'none' },
    },
  });
  if (created.status !== 202) throw new Error(`could not create the VM: ${created.body}`);
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const task = (await s.live.request('GET', `/api/tasks/${created.json().id}`, { cookie: s.cookies.admin })).json();
    if (task.status === 'ok') break;
    if (task.status !== 'running') throw new Error(`VM create: ${task.error}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  original = inactive();
}, 180_000);

afterAll(async () => {
  try {
    virsh(s.lab, 'undefine', VM);
  } catch {}
  await s?.close();
});

describe('XML editor: hostile documents change nothing', { timeout: 120_000 }, () => {
  it('refuses viewers and anonymous callers', async () => {
    const viewer = await put(s.cookies.viewer, original.replace('</uuid>', '</uuid><description>viewer</description>'));
    const anonymous = await put('', original);
    expect(tally(AREA, 'viewer defines XML', viewer.status === 403 && inactive() === original)).toBe(true);
    expect(tally(AREA, 'anonymous defines XML', anonymous.status === 401 && inactive() === original)).toBe(true);
  });

  it.each([
    [
      'qemu:commandline',
      (o: string) =>
        o
          .replace('<domain ', `<domain xmlns:qemu='${QEMU_NS}' `)
          .replace(
            '</domain>',
            "  <qemu:commandline><qemu:arg value='-monitor'/><qemu:arg value='tcp:0.0.0.0:4444,server'/></qemu:commandline>\n</domain>",
          ),
    ],
    [
      'qemu namespace under another prefix',
      (o: string) =>
        o
          .replace('<domain ', `<domain xmlns:x='${QEMU_NS}' `)
          .replace('</domain>', "  <x:commandline><x:arg value='-S'/></x:commandline>\n</domain>"),
    ],
    [
      'qemu namespace as default namespace',
      (o: string) => o.replace('</domain>', `  <commandline xmlns='${QEMU_NS}'><arg value='-S'/></commandline>\n</domain>`),
    ],
    [
      '/etc/shadow as a raw disk',
      withDevice(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/etc/shadow'/><target dev='vdb' bus='virtio'/></disk>",
      ),
    ],
    [
      '/dev/sda as a block disk',
      withDevice(
        "<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>",
      ),
    ],
    [
      'a backing store outside the pools',
      withDevice(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/boot/x.qcow2'/><backingStore type='file'><format type='raw'/><source file='/root/.ssh/id_rsa'/></backingStore><target dev='vdb'/></disk>",
      ),
    ],
    [
      'a path with .. into /etc',
      withDevice(
        "<disk type='file' device='cdrom'><source file='/var/lib/libvirt/images/../../../../etc/passwd'/><target dev='sdb' bus='sata'/><readonly/></disk>",
      ),
    ],
    ['a kernel outside the pools', (o: string) => o.replace(/<kernel>[^<]*<\/kernel>/, '<kernel>/etc/passwd</kernel>')],
    [
      'a host PCI device',
      withDevice(
        "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x00' slot='0x1f' function='0x0'/></source></hostdev>",
      ),
    ],
    ['a macvtap on the host NIC', withDevice("<interface type='direct'><source dev='eth0' mode='bridge'/></interface>")],
    ['an ethernet NIC with a script', withDevice("<interface type='ethernet'><script path='/tmp/evil.sh'/></interface>")],
    [
      'the host root as a filesystem',
      withDevice("<filesystem type='mount' accessmode='passthrough'><source dir='/'/><target dir='hostroot'/></filesystem>"),
    ],
    ['a serial port writing a host file', withDevice("<serial type='file'><source path='/etc/cron.d/evil'/><target port='1'/></serial>")],
    [
      'a channel on a host socket',
      withDevice(
        "<channel type='unix'><source mode='connect' path='/run/libvirt/libvirt-sock'/><target type='virtio' name='x'/></channel>",
      ),
    ],
    ['a console over tcp', withDevice("<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><target port='2'/></serial>")],
    ['another emulator', (o: string) => o.replace(/<emulator>[^<]*<\/emulator>/, '<emulator>/bin/sh</emulator>')],
    ['sVirt turned off', (o: string) => o.replace('</devices>', "</devices>\n  <seclabel type='none'/>")],
  ])('refuses an operator: %s', async (attempt, edit: Edit) => {
    const xml = edit(original);
    expect(xml).not.toBe(original);
    const res = await put(s.cookies.operator, xml);
    const refused = (res.status === 403 || res.status === 400) && inactive() === original;
    expect(tally(AREA, `operator XML: ${attempt}`, refused), `${res.status} ${res.body}`).toBe(true);
  });

  it.each([
    [
      'billion laughs',
      (o: string) =>
        `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n${o.replace('</uuid>', '</uuid><description>&lol2;</description>')}`,
    ],
    [
      'XXE reading /etc/shadow',
      (o: string) =>
        `<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/shadow">]>${o.replace('</uuid>', '</uuid><description>&x;</description>')}`,
    ],
    ['lower-case doctype', (o: string) => `<!doctype domain>${o}`],
    ['a rename', (o: string) => o.replace(`<name>${VM}</name>`, '<name>mirador-test-renamed</name>')],
    ['a UUID change', (o: string) => o.replace(/<uuid>[^<]+<\/uuid>/, '<uuid>00000000-0000-4000-8000-000000000000</uuid>')],
    ['two names', (o: string) => o.replace('</uuid>', `</uuid><name>${VM}-b</name>`)],
    ['two domains', (o: string) => `${o}${o}`],
    ['another root', () => '<network><name>x</name></network>'],
    ['broken XML', (o: string) => o.replace('</devices>', '</device>')],
    ['2 MiB of XML', (o: string) => o.replace('</uuid>', `</uuid><description>${'a'.repeat(2 * 1024 * 1024)}</description>`)],
  ])('refuses anyone: %s', async (attempt, edit: Edit) => {
    const xml = edit(original);
    const res = await put(s.cookies.admin, xml);
    const refused = [400, 413].includes(res.status) && inactive() === original;
    expect(tally(AREA, `XML: ${attempt}`, refused), `${res.status} ${res.body.slice(0, 300)}`).toBe(true);
  });

  it('refuses a malformed expectedHash and a stale one', async () => {
    const bad = await put(s.cookies.admin, original, { expectedHash: '../../etc' });
    const stale = await put(s.cookies.admin, original.replace('</uuid>', '</uuid><description>late</description>'), {
      expectedHash: 'f'.repeat(64),
    });
    expect(tally(AREA, 'XML: malformed expectedHash', bad.status === 400)).toBe(true);
    expect(tally(AREA, 'XML: stale expectedHash', stale.status === 409 && inactive() === original)).toBe(true);
  });

  it('never answers with the VNC password, not even in a refusal or the audit', async () => {
    const password = /passwd='([^']+)'/.exec(virsh(s.lab, 'dumpxml', '--inactive', '--security-info', VM))?.[1];
    expect(password).toBeTruthy();
    const got = await s.live.request('GET', url(), { cookie: s.cookies.operator });
    const stale = await put(s.cookies.admin, original, { expectedHash: '0'.repeat(64) });
    const audit = await s.live.request('GET', `/api/audit?targetId=${VM}&limit=100`, { cookie: s.cookies.admin });
    const leaked = [got.body, stale.body, audit.body].some((b) => b.includes(password!));
    expect(tally(AREA, 'XML: VNC password in answers or audit', !leaked && got.status === 200)).toBe(true);
  });
});
