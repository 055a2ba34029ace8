import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  VirshEventStream,
  buildDomainXml,
  defineArgv,
  dumpxmlArgv,
  eventArgv,
  loopbackVncPort,
  parseDomainXml,
  parseVncDisplay,
  undefineArgv,
  virtioDiskTarget,
  withCLocale,
  type DomainSpec,
  type VirshEvent,
} from '../src/index.js';
import { readLab, run, runOk } from './helpers.js';

const lab = readLab();

const kernelSpec = (name: string): DomainSpec => ({
  name,
  memoryMiB: 128,
  vcpus: 1,
  domainType: 'qemu',
  boot: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: lab.vmKit.cmdline },
  disks: [],
  network: null,
  serialConsole: true,
});

function expectRoundTrip(spec: DomainSpec, xml: string) {
  const d = parseDomainXml(xml);
  expect(d.name).toBe(spec.name);
  expect(d.type).toBe(spec.domainType);
  expect(d.memoryKiB).toBe(spec.memoryMiB * 1024);
  expect(d.vcpus).toBe(spec.vcpus);
  if (spec.boot.kind === 'kernel') {
    expect(d.os).toMatchObject({ kernel: spec.boot.kernel, initrd: spec.boot.initrd, cmdline: spec.boot.cmdline });
  }
  expect(d.hasSerialConsole).toBe(true);
  expect(d.consoles[0]).toMatchObject({ type: 'pty', targetType: 'serial', targetPort: 0 });
  if (spec.network === null) expect(d.nics).toEqual([]);
  else expect(d.nics[0]).toMatchObject({ type: spec.network.kind, source: spec.network.name, model: 'virtio' });
  return d;
}

describe('buildDomainXml', () => {
  it('builds a complete domain: virtio disks, sata cdrom, virtio NIC, serial console, ACPI', () => {
    const spec: DomainSpec = {
      name: 'web-01',
      memoryMiB: 2048,
      vcpus: 2,
      domainType: 'kvm',
      osinfoId: 'http://debian.org/debian/12',
      boot: { kind: 'cdrom' },
      disks: [
        { kind: 'volume', pool: 'default', volume: 'web-01.qcow2' },
        { kind: 'file', path: '/srv/images/data.raw', format: 'raw' },
      ],
      cdrom: { path: '/iso/debian-12.8.0-amd64-netinst.iso' },
      network: { kind: 'bridge', name: 'br0' },
      serialConsole: true,
      graphics: 'vnc',
    };
    const xml = buildDomainXml(spec);
    expect(xml).toContain('<on_poweroff>destroy</on_poweroff>');
    expect(xml).toContain('<on_reboot>restart</on_reboot>');
    expect(xml).toMatch(/<features>\s*<acpi\/>\s*<apic\/>\s*<\/features>/);
    expect(xml).toMatch(/<serial type="pty">\s*<target port="0"\/>\s*<\/serial>/);
    expect(xml).toMatch(/<console type="pty">\s*<target type="serial" port="0"\/>\s*<\/console>/);
    expect(xml).toContain('<cpu mode="host-passthrough"/>');
    const d = parseDomainXml(xml);
    expect(d.type).toBe('kvm');
    expect(d.os).toMatchObject({ arch: 'x86_64', machine: 'q35', boot: ['cdrom', 'hd'] });
    expect(d.disks).toEqual([
      {
        device: 'disk',
        type: 'volume',
        source: { pool: 'default', volume: 'web-01.qcow2' },
        target: { dev: 'vda', bus: 'virtio' },
        format: 'qcow2',
        readonly: false,
      },
      {
        device: 'disk',
        type: 'file',
        source: { file: '/srv/images/data.raw' },
        target: { dev: 'vdb', bus: 'virtio' },
        format: 'raw',
        readonly: false,
      },
      {
        device: 'cdrom',
        type: 'file',
        source: { file: '/iso/debian-12.8.0-amd64-netinst.iso' },
        target: { dev: 'sda', bus: 'sata' },
        format: 'raw',
        readonly: true,
      },
    ]);
    expect(d.nics).toEqual([{ type: 'bridge', source: 'br0', bridge: 'br0', model: 'virtio' }]);
    expect(d.graphics).toEqual([{ type: 'vnc', port: -1, listen: '127.0.0.1', autoport: true }]);
    expect(d.osinfoId).toBe('http://debian.org/debian/12');
  });

  it('gives a VNC display a loopback listen, its password and a VGA video device; refuses a password VNC cannot hold', () => {
    const xml = buildDomainXml({ ...kernelSpec('screen'), graphics: 'vnc', vncPassword: 'Ab3$xY9z' });
    expect(xml).toMatch(
      /<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1" passwd="Ab3\$xY9z">\s*<listen type="address" address="127.0.0.1"\/>/,
    );
    expect(xml).toMatch(/<video>\s*<model type="vga"/);
    expect(parseVncDisplay(xml)).toEqual({ listen: '127.0.0.1', password: 'Ab3$xY9z' });
    expect(buildDomainXml({ ...kernelSpec('serial-only') })).not.toContain('<video>');
    // Spare PCIe root ports on q35, so a running VM can take more than one hot-plugged device.
    expect(xml.match(/<controller type="pci" index="\d" model="pcie-root-port"\/>/g)).toHaveLength(6);
    expect(buildDomainXml({ ...kernelSpec('old'), machine: 'pc' })).not.toContain('pcie-root-port');
    for (const bad of ['', 'nine-chars', 'has space', 'ünï']) {
      expect(() => buildDomainXml({ ...kernelSpec('x'), graphics: 'vnc', vncPassword: bad })).toThrow(/vncPassword|VNC password/);
    }
    expect(() => buildDomainXml({ ...kernelSpec('x'), vncPassword: 'abc' })).toThrow(/VNC password/);
  });

  it('reads where a VNC display listens, and tunnels only to loopback TCP displays', () => {
    const live = `<domain><devices><graphics type='spice'/><graphics type='vnc' port='5903' autoport='yes' listen='0.0.0.0' passwd='pw'>
      <listen type='address' address='0.0.0.0'/></graphics></devices></domain>`;
    expect(parseVncDisplay(live)).toEqual({ port: 5903, listen: '0.0.0.0', password: 'pw' });
    expect(loopbackVncPort(parseVncDisplay(live)!)).toEqual({ port: 5903 });
    expect(parseVncDisplay('<domain><devices/></domain>')).toBeNull();
    expect(loopbackVncPort({ port: 5901, listen: '192.168.1.5' })).toEqual({ refused: expect.stringMatching(/192.168.1.5 only/) });
    expect(loopbackVncPort({ socket: '/run/vnc.sock' })).toEqual({ refused: expect.stringMatching(/Unix socket/) });
    expect(loopbackVncPort({ listen: '127.0.0.1' })).toEqual({ refused: expect.stringMatching(/no port/) });
  });

  it('uses IDE for the CD-ROM on the pc machine, and omits the CPU element under TCG', () => {
    const xml = buildDomainXml({ ...kernelSpec('pcvm'), machine: 'pc', boot: { kind: 'cdrom' }, cdrom: { path: '/iso/x.iso' } });
    expect(parseDomainXml(xml).disks[0]!.target).toEqual({ dev: 'sda', bus: 'ide' });
    expect(xml).not.toContain('<cpu');
  });

  it('escapes user text through the XML builder', () => {
    const cmdline = `console=ttyS0 note="a<b>&c" it's`;
    const xml = buildDomainXml({ ...kernelSpec('esc'), boot: { kind: 'kernel', kernel: '/boot/vmlinuz', cmdline } });
    expect(xml).toContain('<cmdline>console=ttyS0 note=&quot;a&lt;b&gt;&amp;c&quot; it&apos;s</cmdline>');
    expect(parseDomainXml(xml).os.cmdline).toBe(cmdline);
  });

  it('refuses bad input with typed errors', () => {
    const base = kernelSpec('ok');
    const bad: Array<Partial<DomainSpec>> = [
      { name: '<a>' },
      { name: 'x; rm -rf /' },
      { memoryMiB: 32 },
      { vcpus: 0 },
      { boot: { kind: 'kernel', kernel: 'vmlinuz' } },
      { boot: { kind: 'kernel', kernel: '/boot/../etc/shadow' } },
      { boot: { kind: 'kernel', kernel: '/boot/vmlinuz', cmdline: 'a\nb' } },
      { boot: { kind: 'cdrom' } },
      { boot: { kind: 'disk' } },
      { boot: { kind: 'network' } },
      { disks: [{ kind: 'file', path: '/a/./b' }] },
      { disks: [{ kind: 'volume', pool: '-p', volume: 'x' }] },
      { cdrom: { path: 'x.iso' } },
      { network: { kind: 'network', name: 'de fault' } },
      { osinfoId: 'debian12' },
      { domainType: 'xen' as 'kvm' },
    ];
    for (const patch of bad) expect(() => buildDomainXml({ ...base, ...patch }), JSON.stringify(patch)).toThrow(LibvirtValidationError);
    expect(virtioDiskTarget(25)).toBe('vdz');
    expect(() => virtioDiskTarget(26)).toThrow(LibvirtValidationError);
  });
});

describe('buildDomainXml against real libvirt', () => {
  const tag = randomBytes(3).toString('hex');
  const defined: string[] = [];

  afterAll(() => {
    for (const name of defined) if (name.startsWith('mirador-test-')) run(undefineArgv(lab.libvirtUri, name));
  });

  it('test:///default defines it and dumpxml round-trips the spec', () => {
    const spec = kernelSpec(`mirador-test-libvirt-${tag}-t`);
    // test:///default lives only as long as one virsh process, so define and dumpxml in one invocation.
    const out = runOk(['virsh', '-q', '-c', 'test:///default', `define /dev/stdin; dumpxml ${spec.name}`], buildDomainXml(spec));
    expectRoundTrip(spec, out.slice(out.indexOf('<domain')));
  });

  it('qemu:///system defines it (XML piped to /dev/stdin), reports Defined/Undefined events, and round-trips', async () => {
    const uri = lab.libvirtUri;
    const spec: DomainSpec = {
      ...kernelSpec(`mirador-test-libvirt-${tag}-q`),
      vcpus: 2,
      network: { kind: 'network', name: lab.libvirtNetwork },
    };
    const events: VirshEvent[] = [];
    const stream = new VirshEventStream();
    const [cmd, ...args] = withCLocale(eventArgv(uri));
    const listener = spawn(cmd!, args);
    try {
      listener.stdout.setEncoding('utf8').on('data', (d: string) => events.push(...stream.feed(d)));
      await new Promise((r) => setTimeout(r, 400));

      const out = runOk(defineArgv(uri), buildDomainXml(spec));
      defined.push(spec.name);
      expect(out).toContain(`Domain '${spec.name}' defined from /dev/stdin`);
      const d = expectRoundTrip(spec, runOk(dumpxmlArgv(uri, spec.name, { inactive: true })));
      expect(d.os.machine).toMatch(/^pc-q35-/);
      expect(d.uuid).toMatch(/^[0-9a-f-]{36}$/);

      runOk(undefineArgv(uri, spec.name));
      defined.splice(defined.indexOf(spec.name), 1);

      const deadline = Date.now() + 5000;
      const ours = () => events.filter((e) => e.domain === spec.name).map((e) => e.detail);
      while (ours().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ours()).toEqual(['Defined Added', 'Undefined Removed']);
    } finally {
      listener.kill('SIGTERM');
    }
  });
});
