import { describe, expect, it } from 'vitest';
import { assertSameDomain, carryVncPasswords, locateLibvirtError, parseEditedDomainXml } from '@mirador/libvirt';
import { reviewXmlEdit } from '../../src/vm-xml/xml-rules.js';
import { unifiedDiff, withoutSecrets } from '../../src/vm-xml/unified-diff.js';

const UUID = '22693fe3-343e-4aa9-905e-b7c0ffbdbf6a';
const domain = (devices = '', extra = '', os = '') => `<domain type='qemu'>
  <name>mirador-test-x</name>
  <uuid>${UUID}</uuid>
  <memory unit='KiB'>65536</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64'>hvm</type>${os}</os>${extra}
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>${devices}
  </devices>
</domain>
`;
const review = (before: string, after: string) => reviewXmlEdit(parseEditedDomainXml(before), parseEditedDomainXml(after));

describe('XML edit: what a non-admin may not add (reviewXmlEdit)', () => {
  it('a plain edit names nothing', () => {
    expect(review(domain(), domain().replace('65536', '131072'))).toEqual({ restricted: [], paths: [], volumes: [] });
  });

  it('lists new disk sources, backing stores, kernels and volumes as paths to judge', () => {
    const disk = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/etc/shadow'/><target dev='vdb' bus='virtio'/>
      <backingStore type='file'><format type='qcow2'/><source file='/root/base.qcow2'/></backingStore></disk>
      <disk type='volume' device='disk'><source pool='default' volume='v1'/><target dev='vdc'/></disk>`;
    const r = review(domain(), domain(disk, '', '<kernel>/boot/vmlinuz</kernel>'));
    expect(r.restricted).toEqual([]);
    expect(r.paths).toEqual([
      { field: 'os.kernel', path: '/boot/vmlinuz', qcow2: false },
      { field: 'disk vdb', path: '/etc/shadow', qcow2: false },
      { field: 'disk vdb backing store', path: '/root/base.qcow2', qcow2: false },
    ]);
    expect(r.volumes).toEqual([{ field: 'disk vdc', pool: 'default', volume: 'v1' }]);
    // Paths the definition already names are not judged again.
    expect(review(domain(disk), domain(disk)).paths).toEqual([]);
  });

  it.each([
    ["<hostdev mode='subsystem' type='pci'><source><address bus='0x01' slot='0x00'/></source></hostdev>", '<hostdev>'],
    ["<interface type='direct'><source dev='eth0' mode='bridge'/></interface>", "<interface type='direct'>"],
    ["<interface type='ethernet'><script path='/tmp/x.sh'/></interface>", "<interface type='ethernet'>"],
    ["<filesystem type='mount'><source dir='/'/><target dir='root'/></filesystem>", '<filesystem>'],
    ["<serial type='file'><source path='/etc/passwd'/></serial>", "<serial type='file'>"],
    ["<channel type='unix'><source mode='bind' path='/run/x.sock'/></channel>", "<channel type='unix'>"],
    ["<console type='tcp'><source mode='connect' host='10.0.0.1' service='22'/></console>", "<console type='tcp'>"],
    ["<serial type='udp'/>", "<serial type='udp'>"],
    ["<parallel type='pipe'><source path='/tmp/p'/></parallel>", "<parallel type='pipe'>"],
    [
      "<disk type='network' device='disk'><source protocol='nbd' name='x'><host transport='unix' socket='/s'/></source><target dev='vdd'/></disk>",
      "<disk type='network'>",
    ],
    ["<rng model='virtio'><backend model='random'>/dev/sda</backend></rng>", '<rng> reading /dev/sda'],
    ["<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>", '<tpm> passthrough'],
    ['<emulator>/bin/sh</emulator>', '<emulator>'],
  ])('refuses %s', (device, named) => {
    const r = review(domain(), domain(device));
    expect(r.restricted.join(' ')).toContain(named);
  });

  it('refuses the qemu namespace whatever its prefix, and seclabels', () => {
    const ns = 'http://libvirt.org/schemas/domain/qemu/1.0';
    const withCmd = domain()
      .replace("<domain type='qemu'>", `<domain type='qemu' xmlns:q='${ns}'>`)
      .replace('</domain>', "<q:commandline><q:arg value='-x'/></q:commandline></domain>");
    expect(review(domain(), withCmd).restricted.join(' ')).toContain('<q:commandline>');
    const defaultNs = domain().replace('</domain>', `<commandline xmlns='${ns}'><arg value='-x'/></commandline></domain>`);
    expect(review(domain(), defaultNs).restricted.join(' ')).toContain('qemu: namespace');
    expect(review(domain(), domain('', "<seclabel type='none'/>")).restricted.join(' ')).toContain('<seclabel>');
  });

  it('leaves an administrator-added feature editable around it, but not changed', () => {
    const serial = "<serial type='file'><source path='/var/log/x.log'/></serial>";
    expect(review(domain(serial), domain(serial).replace('65536', '131072')).restricted).toEqual([]);
    expect(review(domain(serial), domain(serial.replace('x.log', 'y.log'))).restricted).toHaveLength(1);
  });

  it('allows safe devices: network/bridge NICs, pty serials, urandom rng', () => {
    const ok = `<interface type='network'><source network='default'/></interface><interface type='bridge'><source bridge='br0'/></interface>
      <serial type='pty'/><console type='pty'/><rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`;
    expect(review(domain(), domain(ok)).restricted).toEqual([]);
  });
});

describe('XML edit: document checks', () => {
  it('refuses DOCTYPE and ENTITY, several roots, other roots, oversize and broken XML', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>${domain()}`;
    expect(() => parseEditedDomainXml(bomb)).toThrow(/DOCTYPE/);
    expect(() => parseEditedDomainXml(domain() + domain())).toThrow();
    expect(() => parseEditedDomainXml('<network><name>x</name></network>')).toThrow(/one <domain>/);
    expect(() => parseEditedDomainXml(`${domain()}<!--${'x'.repeat(1024 * 1024)}-->`)).toThrow(/larger/);
    expect(() => parseEditedDomainXml(domain().replace('</vcpu>', '</vcpus>'))).toThrow(/line 5/);
  });

  it('refuses a rename or a new UUID, naming the field', () => {
    const own = { name: 'mirador-test-x', uuid: UUID };
    expect(() => assertSameDomain(parseEditedDomainXml(domain()), own)).not.toThrow();
    expect(() => assertSameDomain(parseEditedDomainXml(domain()), { ...own, uuid: UUID.replace(/-/g, '').toUpperCase() })).not.toThrow();
    expect(() => assertSameDomain(parseEditedDomainXml(domain().replace('mirador-test-x', 'other')), own)).toThrow(
      expect.objectContaining({ field: 'name' }),
    );
    expect(() => assertSameDomain(parseEditedDomainXml(domain().replace(UUID, UUID.replace('2', '3'))), own)).toThrow(
      expect.objectContaining({ field: 'uuid' }),
    );
  });

  it('carries the VNC password over to a display that has none, and keeps the rest as written', () => {
    const secret = domain().replace("listen='127.0.0.1'/>", "listen='127.0.0.1' passwd='s3cr3t'/>");
    const edited = domain().replace('65536', '131072').replace('<vcpu', '<description>a &amp; b</description><vcpu');
    const { xml, carried } = carryVncPasswords(edited, secret);
    expect(carried).toBe(1);
    expect(xml).toContain('passwd="s3cr3t"');
    expect(xml).toContain('<description>a &amp; b</description>');
    expect(xml).toContain('131072');
    // Quotes, CDATA and comments survive the rebuild.
    const tricky = edited.replace(
      '<vcpu',
      `<title>say "hi"</title><!-- keep --><metadata><x:a xmlns:x='urn:x' v='a "b"'><![CDATA[1 < 2]]></x:a></metadata><vcpu`,
    );
    const rebuilt = carryVncPasswords(tricky, secret).xml;
    expect(() => parseEditedDomainXml(rebuilt)).not.toThrow();
    expect(rebuilt).toContain('<![CDATA[1 < 2]]>');
    expect(rebuilt).toContain('<!-- keep -->');
    expect(rebuilt).toContain('v="a &quot;b&quot;"');
    // A password the user typed wins; no password anywhere changes nothing.
    expect(carryVncPasswords(secret.replace('s3cr3t', 'mine'), secret).carried).toBe(0);
    expect(carryVncPasswords(edited, domain()).xml).toBe(edited);
  });

  it('points at the line or element libvirt names', () => {
    const xml = domain();
    expect(locateLibvirtError('error: (domain_definition):6: Opening and ending tag mismatch: vcpu line 6 and vcpus', xml)).toEqual({
      line: 6,
    });
    expect(locateLibvirtError('Extra element vcpu in interleave\nElement domain failed to validate content', xml)).toEqual({
      element: 'vcpu',
      line: 5,
    });
    expect(locateLibvirtError('Element domain has extra content: bogus', xml)).toEqual({ element: 'bogus' });
    expect(locateLibvirtError("XML error: Invalid value 'lots' for element or attribute './memory[1]'", xml)).toEqual({
      element: 'memory',
      line: 4,
    });
    expect(locateLibvirtError('some other failure', xml)).toEqual({});
  });
});

describe('XML edit: the audited diff', () => {
  it('is a unified diff with context, empty when nothing changed, without secrets', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const b = a.replace('line 5', 'line five').replace('line 15', 'line fifteen');
    const d = unifiedDiff(a, b, { a: 'old', b: 'new' });
    expect(d.split('\n').slice(0, 3)).toEqual(['--- old', '+++ new', '@@ -3,7 +3,7 @@']);
    expect(d).toContain('-line 5\n+line five');
    expect(d).toContain('@@ -13,7 +13,7 @@');
    expect(unifiedDiff(a, a, { a: 'old', b: 'new' })).toBe('');
    expect(withoutSecrets("<graphics type='vnc' passwd='hunter2'/>")).toBe("<graphics type='vnc' passwd='***'/>");
  });
});
