import { describe, expect, it } from 'vitest';
import {
  LIBVIRT_DRIVER_MODES,
  LIBVIRT_DRIVERS,
  LIBVIRT_MODES,
  LIBVIRT_URI_PATTERN,
  LIBVIRT_TEST_FILE_PATTERN,
  LibvirtDaemonEndpoint,
  UpdateHostBody,
  HOST_FIELDS_FOR_OPERATORS,
} from '@mirador/contract';
import * as libvirt from '@mirador/libvirt';
import { libvirtView, requestedLibvirtUri, usableLibvirtUri, STORED_ENDPOINT_PROBLEM } from '../../src/hosts/libvirt-endpoint.js';
import { assertMayChangeHostFields } from '../../src/hosts/host-access.js';

describe('the contract and @mirador/libvirt agree on the libvirt endpoints', () => {
  it('same drivers, modes and URIs on both sides', () => {
    expect([...LIBVIRT_DRIVERS]).toEqual([...libvirt.LIBVIRT_DRIVERS]);
    expect([...LIBVIRT_MODES]).toEqual([...libvirt.LIBVIRT_MODES]);
    for (const d of libvirt.LIBVIRT_DRIVERS) expect([...LIBVIRT_DRIVER_MODES[d]]).toEqual(libvirt.libvirtModesOf(d));
    const schemaDrivers = (LibvirtDaemonEndpoint.properties.driver.anyOf as { const: string }[]).map((s) => s.const);
    expect(schemaDrivers).toEqual([...libvirt.LIBVIRT_DRIVERS]);
    const re = new RegExp(LIBVIRT_URI_PATTERN);
    for (const uri of libvirt.CANONICAL_LIBVIRT_URIS) expect(re.test(uri), uri).toBe(true);
    // Anything the pattern accepts, the parser accepts: no URI passes the schema and fails at use.
    for (const d of ['qemu', 'test', 'lxc', 'xen', 'ch', 'vbox']) {
      for (const p of ['system', 'session', 'default']) {
        const uri = `${d}:///${p}`;
        expect(re.test(uri), uri).toBe(libvirt.parseLibvirtUri(uri) !== null);
      }
    }
  });

  it('same rule for test-driver file names on both sides', () => {
    const re = new RegExp(LIBVIRT_TEST_FILE_PATTERN);
    const names = [
      'fleet-07.xml',
      'a.xml',
      'A_b.c-d.xml',
      '.x.xml',
      '-x.xml',
      'a/b.xml',
      '../a.xml',
      'a..xml',
      'a.xml?x',
      'a%2f.xml',
      'a.XML',
      'a.xml/',
      '',
    ];
    for (const n of names) expect(re.test(n), n).toBe(libvirt.isTestFileName(n));
    expect(libvirt.isTestFileName(`${'a'.repeat(100)}.xml`)).toBe(true);
    expect(libvirt.isTestFileName(`${'a'.repeat(101)}.xml`)).toBe(false);
  });
});

describe('libvirt endpoints in host requests and rows', () => {
  it('builds the URI from the structured field, accepts only canonical libvirtUri, and refuses disagreement', () => {
    expect(requestedLibvirtUri({})).toBeUndefined();
    expect(requestedLibvirtUri({ libvirt: null })).toBeNull();
    expect(requestedLibvirtUri({ libvirt: { driver: 'qemu', mode: 'session' } })).toBe('qemu:///session');
    expect(requestedLibvirtUri({ libvirtUri: 'test:///default' })).toBe('test:///default');
    expect(requestedLibvirtUri({ libvirt: { driver: 'test', mode: 'system' }, libvirtUri: 'test:///default' })).toBe('test:///default');
    expect(() => requestedLibvirtUri({ libvirt: { driver: 'xen', mode: 'session' } })).toThrow(/no session endpoint/);
    expect(() => requestedLibvirtUri({ libvirtUri: 'qemu+ssh://h/system?command=/x' })).toThrow(
      expect.objectContaining({ statusCode: 400, extra: expect.objectContaining({ field: 'libvirtUri' }) }),
    );
    expect(() => requestedLibvirtUri({ libvirt: { driver: 'qemu', mode: 'system' }, libvirtUri: 'qemu:///session' })).toThrow(
      /different endpoints/,
    );
  });

  it('shows a stored URI Mirador did not build as a problem, and refuses to use it', () => {
    expect(libvirtView('qemu:///system')).toEqual({
      libvirt: { driver: 'qemu', mode: 'system' },
      libvirtUri: 'qemu:///system',
      libvirtProblem: null,
    });
    expect(libvirtView(null)).toEqual({ libvirt: null, libvirtUri: null, libvirtProblem: null });
    expect(libvirtView('qemu+ssh://localhost/system?command=/tmp/x')).toEqual({
      libvirt: null,
      libvirtUri: null,
      libvirtProblem: STORED_ENDPOINT_PROBLEM,
    });
    expect(usableLibvirtUri('qemu:///system')).toBe('qemu:///system');
    for (const bad of ['qemu+ssh://localhost/system?command=/tmp/x', 'qemu:///system?socket=/x', undefined, null, '']) {
      expect(() => usableLibvirtUri(bad)).toThrow(expect.objectContaining({ statusCode: 409, message: STORED_ENDPOINT_PROBLEM }));
    }
  });
});

describe('who may change which host field', () => {
  it('leaves name, tags and notes to operators; every other field (including ones added later) needs an admin', () => {
    const all = Object.keys(UpdateHostBody.properties);
    const adminOnly = all.filter((k) => !(HOST_FIELDS_FOR_OPERATORS as readonly string[]).includes(k));
    expect(adminOnly.sort()).toEqual([
      'address',
      'authMethod',
      'dockerMode',
      'dockerSocket',
      'libvirt',
      'libvirtUri',
      'passphrase',
      'password',
      'port',
      'privateKey',
      'username',
    ]);
    for (const field of adminOnly) {
      for (const role of ['operator', 'viewer', undefined] as const) {
        expect(() => assertMayChangeHostFields(role, { name: 'x', [field]: null }), `${role} ${field}`).toThrow(
          expect.objectContaining({ statusCode: 403, extra: expect.objectContaining({ field }) }),
        );
      }
      expect(() => assertMayChangeHostFields('admin', { [field]: null })).not.toThrow();
    }
    expect(() => assertMayChangeHostFields('operator', { name: 'x', tags: [], notes: '' })).not.toThrow();
    expect(() => assertMayChangeHostFields('operator', 'not an object')).not.toThrow();
  });
});
