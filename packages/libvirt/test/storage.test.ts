import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  buildDirPoolXml,
  parsePoolInfo,
  parsePoolXml,
  parseVolXml,
  poolAutostartArgv,
  volCreateBytesArgv,
  volDownloadArgv,
  volResizeArgv,
} from '../src/index.js';

const URI = 'qemu:///system';

describe('dir pool XML', () => {
  it('builds a definition libvirt and parsePoolXml agree on', () => {
    const xml = buildDirPoolXml({ name: 'isos', path: '/srv/isos' });
    expect(xml).toContain('<pool type="dir">');
    expect(parsePoolXml(xml)).toMatchObject({ name: 'isos', type: 'dir', targetPath: '/srv/isos' });
  });
  it('refuses names and paths that are not safe, naming the field', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(LibvirtValidationError);
        return (err as LibvirtValidationError).field;
      }
      return null;
    };
    expect(field(() => buildDirPoolXml({ name: '../x', path: '/srv/x' }))).toBe('name');
    expect(field(() => buildDirPoolXml({ name: 'x</name><evil/>', path: '/srv/x' }))).toBe('name');
    expect(field(() => buildDirPoolXml({ name: 'x', path: 'relative' }))).toBe('path');
    expect(field(() => buildDirPoolXml({ name: 'x', path: '/srv/../etc' }))).toBe('path');
    expect(field(() => buildDirPoolXml({ name: 'x', path: '/srv/<x>' }))).toBe('path');
  });
});

describe('pool-info', () => {
  it('reads state, persistence and autostart', () => {
    const out =
      'Name:           default\nUUID:           d420\nState:          running\nPersistent:     yes\nAutostart:      no\nCapacity:       1\n\n';
    expect(parsePoolInfo(out)).toEqual({ state: 'running', persistent: true, autostart: false });
    expect(parsePoolInfo('State: inactive\n').state).toBe('inactive');
    expect(parsePoolInfo('State: something new\n').state).toBe('unknown');
  });
});

describe('vol-dumpxml', () => {
  it('reads format, path and exact sizes', () => {
    const xml = `<volume type='file'>
  <name>disk.qcow2</name>
  <key>/p/disk.qcow2</key>
  <capacity unit='bytes'>1073741824</capacity>
  <allocation unit='bytes'>200704</allocation>
  <physical unit='bytes'>196624</physical>
  <target>
    <path>/p/disk.qcow2</path>
    <format type='qcow2'/>
    <permissions><mode>0600</mode></permissions>
  </target>
</volume>`;
    expect(parseVolXml(xml)).toEqual({
      name: 'disk.qcow2',
      type: 'file',
      path: '/p/disk.qcow2',
      format: 'qcow2',
      capacityBytes: 1073741824,
      allocationBytes: 200704,
    });
    expect(() => parseVolXml('<pool/>')).toThrow();
  });
});

describe('storage argv', () => {
  it('builds exact-byte creates, grows, autostart and a quiet download', () => {
    expect(volCreateBytesArgv(URI, { pool: 'p', name: 'a.raw', capacityBytes: 1048576, format: 'raw' })).toEqual([
      'virsh',
      '-c',
      URI,
      'vol-create-as',
      'p',
      'a.raw',
      '1048576',
      '--format',
      'raw',
    ]);
    expect(volResizeArgv(URI, 'p', 'a.raw', 2048)).toEqual(['virsh', '-c', URI, 'vol-resize', '--pool', 'p', 'a.raw', '2048']);
    expect(poolAutostartArgv(URI, 'p', false)).toEqual(['virsh', '-c', URI, 'pool-autostart', 'p', '--disable']);
    expect(volDownloadArgv(URI, 'p', 'a.raw')).toEqual(['virsh', '-q', '-c', URI, 'vol-download', '--pool', 'p', 'a.raw', '/dev/stdout']);
  });
  it('refuses hostile names and sizes', () => {
    expect(() => volDownloadArgv(URI, 'p', '../../etc/shadow')).toThrow(LibvirtValidationError);
    expect(() => volDownloadArgv(URI, '--help', 'a')).toThrow(LibvirtValidationError);
    expect(() => volCreateBytesArgv(URI, { pool: 'p', name: 'a', capacityBytes: 0, format: 'raw' })).toThrow(/Size/);
    expect(() => volCreateBytesArgv(URI, { pool: 'p', name: 'a', capacityBytes: 1, format: 'vmdk' as 'raw' })).toThrow(/format/);
    expect(() => volResizeArgv('qemu+ssh://x/system', 'p', 'a', 1)).toThrow(LibvirtValidationError);
  });
});
