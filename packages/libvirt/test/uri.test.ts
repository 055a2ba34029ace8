import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOk } from './helpers.js';
import {
  allowLibvirtTestDir,
  assertConnectionUri,
  libvirtTestDir,
  testFilePathOf,
  CANONICAL_LIBVIRT_URIS,
  LIBVIRT_DRIVERS,
  LIBVIRT_MODES,
  LibvirtValidationError,
  libvirtModesOf,
  libvirtUriOf,
  parseLibvirtUri,
  type LibvirtDriver,
  type LibvirtMode,
} from '../src/index.js';

describe('libvirt endpoints as structured data', () => {
  it('builds local URIs only: driver:///system|session, and test:///default', () => {
    expect(libvirtUriOf({ driver: 'qemu', mode: 'system' })).toBe('qemu:///system');
    expect(libvirtUriOf({ driver: 'qemu', mode: 'session' })).toBe('qemu:///session');
    expect(libvirtUriOf({ driver: 'test', mode: 'system' })).toBe('test:///default');
    expect(libvirtUriOf({ driver: 'lxc', mode: 'system' })).toBe('lxc:///system');
    expect(libvirtUriOf({ driver: 'xen', mode: 'system' })).toBe('xen:///system');
    expect(libvirtUriOf({ driver: 'ch', mode: 'session' })).toBe('ch:///session');
    expect(CANONICAL_LIBVIRT_URIS).toEqual([
      'qemu:///system',
      'qemu:///session',
      'test:///default',
      'lxc:///system',
      'xen:///system',
      'ch:///system',
      'ch:///session',
    ]);
  });

  it('refuses combinations libvirt does not offer, naming the field', () => {
    for (const [driver, mode] of [
      ['xen', 'session'],
      ['lxc', 'session'],
      ['test', 'session'],
    ] as const) {
      expect(() => libvirtUriOf({ driver, mode })).toThrow(/has no session endpoint; pick system/);
    }
    const err = (() => {
      try {
        libvirtUriOf({ driver: 'vbox' as LibvirtDriver, mode: 'session' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LibvirtValidationError);
    expect((err as LibvirtValidationError).field).toBe('libvirt');
    expect(() => libvirtUriOf({ driver: 'constructor' as LibvirtDriver, mode: 'system' })).toThrow(/Unknown libvirt driver/);
    expect(() => libvirtUriOf({ driver: 'qemu', mode: 'toString' as LibvirtMode })).toThrow(LibvirtValidationError);
  });

  it('parses exactly the URIs it builds, and round-trips every one', () => {
    for (const driver of LIBVIRT_DRIVERS) {
      for (const mode of libvirtModesOf(driver)) {
        const uri = libvirtUriOf({ driver, mode });
        expect(parseLibvirtUri(uri)).toEqual({ driver, mode });
      }
    }
    expect(LIBVIRT_DRIVERS.flatMap((d) => libvirtModesOf(d)).length).toBe(CANONICAL_LIBVIRT_URIS.length);
    expect(LIBVIRT_MODES).toEqual(['system', 'session']);
  });

  it('refuses anything else: transports, host parts, query strings, encodings, case, separators', () => {
    const hostile = [
      'qemu+ssh://localhost/system?command=/tmp/canary.sh',
      'qemu+ssh://localhost/system?socket=/tmp/x',
      'qemu+ssh://localhost/system?keyfile=/root/.ssh/id_rsa',
      'qemu+ssh://localhost/system?known_hosts=/tmp/kh',
      'qemu+ssh://localhost/system?netcat=/tmp/nc',
      'qemu+ssh://localhost/system?no_verify=1',
      'qemu+ext:///system?command=/tmp/x',
      'qemu+unix:///system?socket=/tmp/x',
      'qemu+tcp://10.0.0.1/system',
      'qemu://localhost/system',
      'qemu://user@/system',
      'qemu:///system%3Fsocket=/tmp/x',
      'qemu:///system;',
      'qemu:///system; touch /tmp/x',
      'qemu:///system\n',
      '\nqemu:///system',
      ' qemu:///system',
      'qemu:///system/',
      'qemu:///system/../session',
      'qemu:///system#x',
      'qemu:///system?',
      'qemu:///default',
      'test:///default?x',
      'test:///system',
      'test:///tmp/domains.xml',
      'QEMU:///system',
      'Qemu:///system',
      'qemu:///SYSTEM',
      'vbox:///session',
      `qemu:///system${'/'.repeat(5000)}`,
      'constructor',
      '__proto__',
      '',
    ];
    for (const uri of hostile) expect(parseLibvirtUri(uri), JSON.stringify(uri)).toBeNull();
    for (const notString of [null, undefined, 1, {}, ['qemu:///system'], { driver: 'qemu', mode: 'system' }]) {
      expect(parseLibvirtUri(notString)).toBeNull();
    }
  });

  it('hands out copies: a caller cannot change what the next parse returns', () => {
    const e = parseLibvirtUri('qemu:///system')!;
    e.mode = 'session';
    expect(parseLibvirtUri('qemu:///system')).toEqual({ driver: 'qemu', mode: 'system' });
  });

  it('builds URIs the real virsh accepts (test:///default)', () => {
    expect(runOk(['virsh', '-c', libvirtUriOf({ driver: 'test', mode: 'system' }), 'uri']).trim()).toBe('test:///default');
  });
});

describe('test-driver inventory files (simulated fleets)', () => {
  afterEach(() => allowLibvirtTestDir(null));

  it('is refused while no directory is allowed, naming the field', () => {
    expect(libvirtTestDir()).toBeNull();
    expect(() => libvirtUriOf({ driver: 'test', mode: 'file', file: 'fleet-01.xml' })).toThrow(
      expect.objectContaining({ field: 'libvirt.file', message: expect.stringMatching(/MIRADOR_LIBVIRT_TEST_DIR/) }),
    );
    expect(parseLibvirtUri('test:///srv/fleet/fleet-01.xml')).toBeNull();
  });

  it('builds test://<allowed dir>/<plain name> and parses back exactly that', () => {
    allowLibvirtTestDir('/srv/mirador-fleet');
    const uri = libvirtUriOf({ driver: 'test', mode: 'file', file: 'fleet-07.xml' });
    expect(uri).toBe('test:///srv/mirador-fleet/fleet-07.xml');
    expect(parseLibvirtUri(uri)).toEqual({ driver: 'test', mode: 'file', file: 'fleet-07.xml' });
    expect(testFilePathOf(uri)).toEqual({ dir: '/srv/mirador-fleet', path: '/srv/mirador-fleet/fleet-07.xml', file: 'fleet-07.xml' });
    expect(testFilePathOf('test:///default')).toBeNull();
    expect(() => assertConnectionUri(uri)).not.toThrow();
  });

  it('refuses names with paths, traversal, URI syntax or another driver', () => {
    allowLibvirtTestDir('/srv/mirador-fleet');
    for (const file of [
      '../x.xml',
      'a/b.xml',
      '/etc/x.xml',
      'a..xml',
      '.hidden.xml',
      'x.xml?command=/bin/sh',
      'x.xml#',
      'x%2f.xml',
      'x.txt',
      '',
    ]) {
      expect(() => libvirtUriOf({ driver: 'test', mode: 'file', file }), file).toThrow(expect.objectContaining({ field: 'libvirt.file' }));
    }
    expect(() => libvirtUriOf({ driver: 'qemu', mode: 'file', file: 'x.xml' } as never)).toThrow(LibvirtValidationError);
    for (const uri of [
      'test:///srv/mirador-fleet/../etc/x.xml',
      'test:///srv/mirador-fleet/sub/x.xml',
      'test:///srv/mirador-fleet/x.xml?x=1',
      'test:///srv/mirador-fleet//x.xml',
      'test:///srv/other/x.xml',
      'test:///srv/mirador-fleetx/x.xml',
      'test+ssh://h/srv/mirador-fleet/x.xml',
      'qemu:///srv/mirador-fleet/x.xml',
      'test:///srv/mirador-fleet/x.xml\n',
    ]) {
      expect(parseLibvirtUri(uri), uri).toBeNull();
      expect(() => assertConnectionUri(uri), uri).toThrow(LibvirtValidationError);
    }
  });

  it('only allows a plain absolute directory', () => {
    for (const dir of ['relative', '/a/../b', '/a/./b', '/a/', '/a b', '/a?x', '', '/']) {
      expect(() => allowLibvirtTestDir(dir), dir).toThrow(LibvirtValidationError);
    }
    expect(libvirtTestDir()).toBeNull();
  });

  it('builds URIs the real virsh reads (a file of <node> with <domain> children)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirador-fleet-'));
    try {
      writeFileSync(
        join(dir, 'f.xml'),
        "<node><domain type='test'><name>mirtest-f1</name><memory>131072</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain></node>",
      );
      allowLibvirtTestDir(dir);
      const uri = libvirtUriOf({ driver: 'test', mode: 'file', file: 'f.xml' });
      expect(runOk(['virsh', '-c', uri, 'list', '--all', '--name']).trim()).toBe('mirtest-f1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
