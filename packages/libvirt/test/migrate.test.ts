import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  assertMigrationDestinationUri,
  domjobabortArgv,
  domjobinfoArgv,
  freecellArgv,
  migrateArgv,
  migrationReachArgv,
  parseFreecellBytes,
  migrationDestinationUri,
  parseDomjobinfo,
} from '../src/index.js';
import { readLab } from './helpers.js';

const dest = { libvirtUri: 'qemu:///session', sshUser: 'mirlab2', sshHost: '127.0.0.1', sshPort: 2224 };
const opts = { live: true, persistent: true, undefineSource: true };

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof LibvirtValidationError) return e.field;
    throw e;
  }
  return undefined;
}

describe('migration destination URI', () => {
  it('is qemu+ssh with user, host, port and the endpoint path, nothing else', () => {
    expect(migrationDestinationUri(dest)).toBe('qemu+ssh://mirlab2@127.0.0.1:2224/session');
    expect(
      migrationDestinationUri({ ...dest, libvirtUri: 'qemu:///system', sshUser: 'root', sshHost: 'kvm2.example.org', sshPort: 22 }),
    ).toBe('qemu+ssh://root@kvm2.example.org:22/system');
    expect(migrationDestinationUri({ ...dest, sshHost: 'fd00::2' })).toBe('qemu+ssh://mirlab2@[fd00::2]:2224/session');
  });

  it('refuses anything that would add a transport option, parameter or second host, naming the field', () => {
    expect(fieldOf(() => migrationDestinationUri({ ...dest, libvirtUri: 'test:///default' }))).toBe('destination.libvirtUri');
    expect(fieldOf(() => migrationDestinationUri({ ...dest, libvirtUri: 'qemu+ssh://x/system' }))).toBe('destination.libvirtUri');
    for (const sshUser of ['-oProxyCommand=x', 'a@b', 'root?keyfile=/x', '', 'Root']) {
      expect(fieldOf(() => migrationDestinationUri({ ...dest, sshUser }))).toBe('destination.sshUser');
    }
    for (const sshHost of ['-oProxyCommand=x', 'h/system?command=sh', 'a b', 'h#x', '']) {
      expect(fieldOf(() => migrationDestinationUri({ ...dest, sshHost }))).toBe('destination.sshHost');
    }
    for (const sshPort of [0, 65536, 22.5, Number.NaN]) {
      expect(fieldOf(() => migrationDestinationUri({ ...dest, sshPort }))).toBe('destination.sshPort');
    }
  });

  it('migrate argv takes only URIs built here as destination', () => {
    expect(
      migrateArgv('qemu:///system', 'vm1', 'qemu+ssh://mirlab2@127.0.0.1:2224/session', { ...opts, migrateAddress: '127.0.0.1' }),
    ).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'migrate',
      '--live',
      '--persistent',
      '--undefinesource',
      '--migrateuri',
      'tcp://127.0.0.1',
      'vm1',
      'qemu+ssh://mirlab2@127.0.0.1:2224/session',
    ]);
    for (const bad of [
      'qemu+ssh://mirlab2@127.0.0.1:2224/session?keyfile=/etc/shadow',
      'qemu+ext:///system?command=/bin/sh',
      'qemu+ssh://mirlab2@127.0.0.1/session',
      'qemu:///system',
    ]) {
      expect(fieldOf(() => assertMigrationDestinationUri(bad))).toBe('destination');
    }
    expect(fieldOf(() => migrateArgv('qemu:///system', '-x', 'qemu+ssh://a@b:22/system', opts))).toBe('name');
    expect(fieldOf(() => migrateArgv('qemu:///system', 'vm1', 'qemu+ssh://a@b:22/system', { ...opts, migrateAddress: 'x y' }))).toBe(
      'migrateAddress',
    );
    expect(domjobinfoArgv('qemu:///system', 'vm1')).toEqual(['virsh', '-c', 'qemu:///system', 'domjobinfo', 'vm1']);
    expect(domjobabortArgv('qemu:///system', 'vm1')).toEqual(['virsh', '-c', 'qemu:///system', 'domjobabort', 'vm1']);
  });

  it('reach check, copy-storage flag and freecell', () => {
    expect(migrationReachArgv('qemu+ssh://mirlab2@127.0.0.1:2224/session')).toEqual([
      'virsh',
      '-c',
      'qemu+ssh://mirlab2@127.0.0.1:2224/session',
      'uri',
    ]);
    expect(fieldOf(() => migrationReachArgv('qemu+ssh://a@b:22/system?command=sh'))).toBe('destination');
    expect(migrateArgv('qemu:///system', 'vm1', 'qemu+ssh://a@b:22/system', { ...opts, copyStorageAll: true })).toContain(
      '--copy-storage-all',
    );
    expect(freecellArgv('qemu:///session')).toEqual(['virsh', '-c', 'qemu:///session', 'freecell']);
    expect(parseFreecellBytes('Total: 19166280 KiB\n')).toBe(19166280 * 1024);
    expect(parseFreecellBytes('    0: 2048 KiB\n')).toBe(2048 * 1024);
    expect(parseFreecellBytes('')).toBeUndefined();
  });

  it('parses domjobinfo of a running migration and of no job', () => {
    const running = parseDomjobinfo(
      'Job type:         Unbounded   \nOperation:        Outgoing migration\nTime elapsed:     2081         ms\nData processed:   3.881 MiB\nData remaining:   123.551 MiB\nData total:       128.375 MiB\n',
    );
    expect(running).toMatchObject({ jobType: 'Unbounded', operation: 'Outgoing migration', elapsedMs: 2081 });
    expect(running.dataTotalBytes).toBe(Math.round(128.375 * 1024 ** 2));
    expect(running.fraction).toBeCloseTo(3.881 / 128.375, 3);
    const none = parseDomjobinfo('Job type:         None        \n\n');
    expect(none.jobType).toBe('None');
    expect(none.fraction).toBeUndefined();
  });
});

// A real migration in the lab: qemu:///system -> the session daemon of the lab's second user (its own
// host_uuid, behind its own sshd; scripts/lab/second-libvirt.sh) and back. The guest keeps its RAM.
interface SecondLibvirt {
  user: string;
  uri: string;
  ssh: { host: string; port: number; user: string };
}
const second = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../.lab/lab.json'), 'utf8')) as { secondLibvirt?: SecondLibvirt }
).secondLibvirt;

function sh(argv: string[], timeoutMs = 180_000) {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('live migration in the lab', () => {
  const lab = readLab();
  const name = `mirador-test-migrate-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'mirador-migrate-'));
  const destUri = second
    ? migrationDestinationUri({ libvirtUri: second.uri, sshUser: second.ssh.user, sshHost: second.ssh.host, sshPort: second.ssh.port })
    : '';

  afterAll(() => {
    for (const uri of [lab.libvirtUri, destUri].filter(Boolean)) {
      sh(['virsh', '-c', uri, 'destroy', name], 60_000);
      sh(['virsh', '-c', uri, 'undefine', name], 60_000);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a running kernel-boot VM to the second libvirt and back', { timeout: 600_000 }, () => {
    expect(second, 'lab.json has no secondLibvirt: run bash scripts/lab.sh up').toBeDefined();
    // Diskless and without NIC: the session daemon has no libvirt networks, and nothing to copy.
    const xml = join(dir, 'vm.xml');
    writeFileSync(
      xml,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><kernel>${lab.vmKit.kernel}</kernel><initrd>${lab.vmKit.initrd}</initrd><cmdline>${lab.vmKit.cmdline}</cmdline></os>
<devices><serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console><memballoon model='none'/></devices></domain>`,
    );
    expect(sh(['virsh', '-c', lab.libvirtUri, 'define', xml]).status).toBe(0);
    expect(sh(['virsh', '-c', lab.libvirtUri, 'start', name]).status).toBe(0);

    const there = sh(migrateArgv(lab.libvirtUri, name, destUri, { ...opts, migrateAddress: '127.0.0.1' }), 300_000);
    expect(there.status, there.out).toBe(0);
    expect(sh(['virsh', '-c', destUri, 'domstate', name]).out).toContain('running');
    expect(sh(['virsh', '-c', lab.libvirtUri, 'domstate', name]).status).not.toBe(0); // undefined on the source
    // Its QEMU now runs as the second user: a different process, not a relabelled one.
    expect(sh(['pgrep', '-u', second!.user, '-f', `guest=${name},`]).status).toBe(0);

    // Back: the test (root) drives the client side; the session daemon is the source.
    const back = sh(
      [
        'virsh',
        '-c',
        destUri,
        'migrate',
        '--live',
        '--persistent',
        '--undefinesource',
        '--migrateuri',
        'tcp://127.0.0.1',
        name,
        lab.libvirtUri,
      ],
      300_000,
    );
    expect(back.status, back.out).toBe(0);
    expect(sh(['virsh', '-c', lab.libvirtUri, 'domstate', name]).out).toContain('running');
    expect(sh(['virsh', '-c', destUri, 'list', '--all', '--name']).out).not.toContain(name);
  });
});
