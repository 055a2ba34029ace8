import { toCommandLine } from '@mirador/argv';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';
import {
  LibvirtValidationError,
  autostartArgv,
  capabilitiesArgv,
  commandLineOf,
  consoleArgv,
  createArgv,
  defineArgv,
  destroyArgv,
  domstateArgv,
  domstatsArgv,
  dumpxmlArgv,
  eventArgv,
  listDomainNamesArgv,
  listDomainUuidsArgv,
  netDumpxmlArgv,
  netListArgv,
  poolDumpxmlArgv,
  poolListArgv,
  rebootArgv,
  resumeArgv,
  shutdownArgv,
  startArgv,
  suspendArgv,
  undefineArgv,
  versionArgv,
  volCreateAsArgv,
  volDeleteArgv,
  volDeleteByPathArgv,
  volListArgv,
  withCLocale,
} from '../src/index.js';

const U = 'qemu:///system';
const V = ['virsh', '-c', U];

describe('virsh argv builders', () => {
  it('build the documented commands, connection URI first', () => {
    expect(listDomainNamesArgv(U)).toEqual([...V, 'list', '--all', '--name']);
    expect(listDomainUuidsArgv(U)).toEqual([...V, 'list', '--all', '--uuid']);
    expect(dumpxmlArgv(U, 'vm1')).toEqual([...V, 'dumpxml', 'vm1']);
    expect(dumpxmlArgv(U, 'vm1', { inactive: true })).toEqual([...V, 'dumpxml', 'vm1', '--inactive']);
    expect(domstatsArgv(U)).toEqual([...V, 'domstats', '--raw']);
    expect(domstatsArgv(U, { activeOnly: true })).toEqual([...V, 'domstats', '--raw', '--list-active']);
    expect(domstatsArgv(U, { domains: ['a', 'b'] })).toEqual([...V, 'domstats', '--raw', 'a', 'b']);
    expect(domstateArgv(U, 'vm1')).toEqual([...V, 'domstate', 'vm1', '--reason']);
    expect(startArgv(U, 'vm1')).toEqual([...V, 'start', 'vm1']);
    expect(shutdownArgv(U, 'vm1')).toEqual([...V, 'shutdown', 'vm1']);
    expect(rebootArgv(U, 'vm1')).toEqual([...V, 'reboot', 'vm1']);
    expect(destroyArgv(U, 'vm1')).toEqual([...V, 'destroy', 'vm1']);
    expect(suspendArgv(U, 'vm1')).toEqual([...V, 'suspend', 'vm1']);
    expect(resumeArgv(U, 'vm1')).toEqual([...V, 'resume', 'vm1']);
    expect(undefineArgv(U, 'vm1')).toEqual([...V, 'undefine', 'vm1']);
    expect(undefineArgv(U, 'vm1', { nvram: true, snapshotsMetadata: true, managedSave: true, removeAllStorage: true })).toEqual([
      ...V,
      'undefine',
      'vm1',
      '--nvram',
      '--snapshots-metadata',
      '--managed-save',
      '--remove-all-storage',
    ]);
    expect(autostartArgv(U, 'vm1', true)).toEqual([...V, 'autostart', 'vm1']);
    expect(autostartArgv(U, 'vm1', false)).toEqual([...V, 'autostart', 'vm1', '--disable']);
    expect(defineArgv(U)).toEqual([...V, 'define', '/dev/stdin']);
    expect(createArgv(U)).toEqual([...V, 'create', '/dev/stdin']);
    expect(eventArgv(U)).toEqual([...V, 'event', '--all', '--loop', '--timestamp']);
    expect(consoleArgv(U, 'vm1')).toEqual([...V, 'console', 'vm1']);
    expect(capabilitiesArgv(U)).toEqual([...V, 'capabilities']);
    expect(versionArgv(U)).toEqual([...V, 'version', '--daemon']);
    expect(poolListArgv(U)).toEqual([...V, 'pool-list', '--all', '--name']);
    expect(poolDumpxmlArgv(U, 'default')).toEqual([...V, 'pool-dumpxml', 'default']);
    expect(volListArgv(U, 'default')).toEqual([...V, 'vol-list', '--pool', 'default', '--details']);
    expect(volCreateAsArgv(U, { pool: 'default', name: 'vm1-disk0.qcow2', sizeGiB: 20 })).toEqual([
      ...V,
      'vol-create-as',
      'default',
      'vm1-disk0.qcow2',
      '20G',
      '--format',
      'qcow2',
    ]);
    expect(volDeleteArgv(U, 'default', 'vm1-disk0.qcow2')).toEqual([...V, 'vol-delete', 'vm1-disk0.qcow2', '--pool', 'default']);
    expect(volDeleteByPathArgv(U, '/var/lib/libvirt/images/old disk.qcow2')).toEqual([
      ...V,
      'vol-delete',
      '/var/lib/libvirt/images/old disk.qcow2',
    ]);
    expect(() => volDeleteByPathArgv(U, 'old.qcow2')).toThrow(LibvirtValidationError);
    expect(() => volDeleteByPathArgv(U, '/var/lib/../x')).toThrow(LibvirtValidationError);
    expect(netListArgv(U)).toEqual([...V, 'net-list', '--all', '--name']);
    expect(netDumpxmlArgv(U, 'default')).toEqual([...V, 'net-dumpxml', 'default']);
  });

  it('refuse hostile names before they become arguments', () => {
    for (const bad of ['-x', '$(reboot)', 'a b', '../x', '']) {
      expect(() => startArgv(U, bad)).toThrow(LibvirtValidationError);
      expect(() => volDeleteArgv(U, 'default', bad)).toThrow(LibvirtValidationError);
    }
    expect(() => domstatsArgv(U, { domains: ['ok', '--list-inactive'] })).toThrow(LibvirtValidationError);
    expect(() => volCreateAsArgv(U, { pool: 'default', name: 'x', sizeGiB: 0 })).toThrow(LibvirtValidationError);
    expect(() => defineArgv(U, '/tmp/../etc/x')).toThrow(LibvirtValidationError);
  });

  it('refuse every URI that is not one of the local endpoints Mirador builds', () => {
    for (const bad of [
      '',
      'qemu:///system; reboot',
      '-c',
      'http://x/',
      'qemu+ssh://host/system --readonly',
      'qemu+ssh://admin@10.0.0.5:2222/system?keyfile=/root/.ssh/id',
      'qemu+ssh://localhost/system?command=/tmp/x',
      'qemu:///system?socket=/tmp/x',
      'qemu+ext:///system?command=/tmp/x',
      'QEMU:///system',
      'qemu:///system/',
    ]) {
      expect(() => startArgv(bad, 'vm1'), bad).toThrow(/not a libvirt endpoint Mirador builds/);
      expect(() => eventArgv(bad), bad).toThrow(LibvirtValidationError);
      expect(() => consoleArgv(bad, 'vm1'), bad).toThrow(LibvirtValidationError);
    }
    expect(() => startArgv('test:///default', 'vm1')).not.toThrow();
    expect(() => startArgv('qemu:///session', 'vm1')).not.toThrow();
  });

  it('render the equivalent command line with the same quoting the server uses', () => {
    const argv = dumpxmlArgv('qemu:///system', 'web-01', { inactive: true });
    expect(commandLineOf(argv)).toBe('virsh -c qemu:///system dumpxml web-01 --inactive');
    expect(commandLineOf(argv)).toBe(toCommandLine(argv));
    expect(withCLocale(argv)).toEqual(['env', 'LC_ALL=C', ...argv]);
  });

  it('are accepted by the real virsh (test:///default): no unknown commands or options', () => {
    const T = 'test:///default';
    // Each runs in a fresh test driver (domain "test" running, pool "default-pool"); semantic refusals
    // such as "already active" are fine, syntax errors are not.
    const all = [
      listDomainNamesArgv(T),
      listDomainUuidsArgv(T),
      dumpxmlArgv(T, 'test', { inactive: true }),
      domstatsArgv(T, { activeOnly: true, domains: ['test'] }),
      domstateArgv(T, 'test'),
      startArgv(T, 'test'),
      shutdownArgv(T, 'test'),
      rebootArgv(T, 'test'),
      destroyArgv(T, 'test'),
      suspendArgv(T, 'test'),
      resumeArgv(T, 'test'),
      autostartArgv(T, 'test', false),
      undefineArgv(T, 'test', { nvram: true, snapshotsMetadata: true, managedSave: true, removeAllStorage: true }),
      consoleArgv(T, 'test'),
      capabilitiesArgv(T),
      versionArgv(T),
      poolListArgv(T),
      poolDumpxmlArgv(T, 'default-pool'),
      volListArgv(T, 'default-pool'),
      volCreateAsArgv(T, { pool: 'default-pool', name: 'x.qcow2', sizeGiB: 1 }),
      volDeleteArgv(T, 'default-pool', 'x.qcow2'),
      netListArgv(T),
      netDumpxmlArgv(T, 'default'),
    ];
    for (const argv of all) {
      const r = run(withCLocale(argv));
      expect(r.stderr, argv.join(' ')).not.toMatch(/doesn't support option|unknown command|requires <|expected syntax|unexpected data/i);
    }
  });
});
