import { describe, expect, it } from 'vitest';
import { parseIpAddrJson } from '../../src/virt-networks/host-interfaces.js';
import { checkEditedXml } from '../../src/virt-networks/xml-edit.js';

// Trimmed from `ip -details -json address show` on the lab host.
const IP_JSON = JSON.stringify([
  {
    ifname: 'lo',
    mtu: 65536,
    operstate: 'UNKNOWN',
    address: '00:00:00:00:00:00',
    addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }],
  },
  {
    ifname: 'eth0',
    mtu: 1400,
    operstate: 'UP',
    address: '02:fc:00:00:00:01',
    addr_info: [
      { family: 'inet', local: '192.0.2.2', prefixlen: 24 },
      { family: 'inet6', local: 'fd00::2', prefixlen: 64 },
    ],
  },
  {
    ifname: 'virbr0',
    mtu: 1500,
    operstate: 'DOWN',
    address: '52:54:00:b8:13:2c',
    linkinfo: { info_kind: 'bridge', info_data: { stp_state: 1 } },
    addr_info: [{ family: 'inet', local: '192.168.122.1', prefixlen: 24 }],
  },
  { ifname: 'vnet3', master: 'virbr0', operstate: 'UNKNOWN', linkinfo: { info_kind: 'tun', info_slave_kind: 'bridge' }, addr_info: [] },
  { ifindex: 99 },
]);

describe('host interfaces from ip -json', () => {
  it('flags bridges by linkinfo.info_kind and keeps addresses and ports', () => {
    const items = parseIpAddrJson(IP_JSON);
    expect(items.map((i) => i.name)).toEqual(['lo', 'eth0', 'virbr0', 'vnet3']);
    expect(items.find((i) => i.name === 'virbr0')).toMatchObject({ isBridge: true, kind: 'bridge', state: 'DOWN', mtu: 1500 });
    expect(items.find((i) => i.name === 'eth0')).toMatchObject({
      isBridge: false,
      kind: null,
      addresses: [
        { family: 'ipv4', address: '192.0.2.2', prefix: 24 },
        { family: 'ipv6', address: 'fd00::2', prefix: 64 },
      ],
    });
    expect(items.find((i) => i.name === 'vnet3')).toMatchObject({ isBridge: false, master: 'virbr0', mtu: null });
  });
});

describe('an edited network XML', () => {
  const xml = "<network><name>lab</name><uuid>75c81dc7-e4fb-4027-a86e-bd3cc5289327</uuid><bridge name='virbr9'/></network>";
  const field = (fn: () => unknown) => {
    try {
      fn();
      return null;
    } catch (err) {
      return (err as { extra?: { field?: string } }).extra?.field ?? 'thrown';
    }
  };
  it('is accepted with an XML declaration, same name and UUID', () => {
    expect(checkEditedXml(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, 'lab', '75C81DC7-E4FB-4027-A86E-BD3CC5289327').bridge).toBe(
      'virbr9',
    );
    expect(checkEditedXml(xml.replace(/<uuid>.*<\/uuid>/, ''), 'lab', '75c81dc7-e4fb-4027-a86e-bd3cc5289327').name).toBe('lab');
  });
  it('is refused for another name or UUID, DOCTYPE, entities and processing instructions', () => {
    const uuid = '75c81dc7-e4fb-4027-a86e-bd3cc5289327';
    expect(field(() => checkEditedXml(xml, 'other', uuid))).toBe('xml');
    expect(field(() => checkEditedXml(xml, 'lab', '00000000-0000-4000-8000-000000000000'))).toBe('xml');
    expect(field(() => checkEditedXml(`<!DOCTYPE network>${xml}`, 'lab', uuid))).toBe('xml');
    expect(field(() => checkEditedXml(`<!doctype network [<!ENTITY x "y">]>${xml}`, 'lab', uuid))).toBe('xml');
    expect(field(() => checkEditedXml(`<?xml-stylesheet href="x.xsl"?>${xml}`, 'lab', uuid))).toBe('xml');
    expect(field(() => checkEditedXml(`<?xml version="1.0"?><?evil?>${xml}`, 'lab', uuid))).toBe('xml');
    expect(field(() => checkEditedXml('<domain><name>lab</name></domain>', 'lab', uuid))).toBe('xml');
    expect(field(() => checkEditedXml('not xml', 'lab', uuid))).toBe('xml');
  });
});
