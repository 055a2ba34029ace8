import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  commandLineOf,
  parseDomainXml,
  virtCloneArgv,
  virtInstallArgv,
  virtInstallOptionValue,
  type VirtInstallSpec,
} from '../src/index.js';
import { readLab, run, runOk } from './helpers.js';

const kernelSpec = (lab = { kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img' }): VirtInstallSpec => ({
  name: 'mirador-test-vi',
  memoryMiB: 512,
  vcpus: 2,
  virtType: 'qemu',
  osinfoId: 'debian11',
  source: { kind: 'kernel', kernel: lab.kernel, initrd: lab.initrd, cmdline: 'console=ttyS0,115200n8 quiet' },
  disks: [{ kind: 'new', pool: 'default', sizeGiB: 4 }],
  network: { kind: 'network', name: 'default' },
});

describe('virt-install argv', () => {
  it('renders every flag the teaching aid shows', () => {
    expect(commandLineOf(virtInstallArgv('qemu:///system', kernelSpec()))).toBe(
      'virt-install --connect qemu:///system --name mirador-test-vi --memory 512 --vcpus 2 --osinfo debian11 ' +
        '--disk pool=default,size=4,format=qcow2,bus=virtio ' +
        `--boot 'kernel=/boot/vmlinuz,initrd=/boot/initrd.img,kernel_args="console=ttyS0,115200n8 quiet"' ` +
        '--network network=default,model=virtio --graphics none --console pty,target_type=serial --virt-type qemu --noautoconsole',
    );
  });

  it('covers cdrom, location, import, bridges, vnc, os-variant and no network', () => {
    const base = kernelSpec();
    expect(virtInstallArgv('qemu:///system', { ...base, source: { kind: 'cdrom', path: '/iso/debian.iso' } })).toEqual(
      expect.arrayContaining(['--cdrom', '/iso/debian.iso']),
    );
    const loc = virtInstallArgv('qemu:///system', {
      ...base,
      osinfoId: undefined,
      source: { kind: 'location', url: 'https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/', extraArgs: 'console=ttyS0' },
      network: { kind: 'bridge', name: 'br0' },
      graphics: 'vnc',
      virtType: 'kvm',
    });
    expect(loc).toEqual(expect.arrayContaining(['--location', '--extra-args', 'console=ttyS0', 'bridge=br0,model=virtio', 'kvm']));
    // Loopback only, and never a password on argv (it would show in the host's process list).
    expect(loc.slice(loc.indexOf('--graphics'), loc.indexOf('--graphics') + 4)).toEqual([
      '--graphics',
      'vnc,listen=127.0.0.1',
      '--video',
      'vga',
    ]);
    expect(loc.slice(loc.indexOf('--osinfo'), loc.indexOf('--osinfo') + 2)).toEqual(['--osinfo', 'detect=on,require=off']);
    const imp = virtInstallArgv('qemu:///system', {
      ...base,
      osFlag: 'os-variant',
      source: { kind: 'import' },
      disks: [
        { kind: 'volume', pool: 'default', volume: 'web.qcow2' },
        { kind: 'file', path: '/srv/data.raw', format: 'raw' },
      ],
      network: null,
    });
    expect(commandLineOf(imp)).toContain(
      '--os-variant debian11 --disk vol=default/web.qcow2,bus=virtio --disk path=/srv/data.raw,format=raw,bus=virtio --import --network none',
    );
  });

  it('hands a network install tree to --location and the installer kernel arguments to --extra-args', () => {
    const url = 'http://deb.debian.org/debian/dists/bookworm/main/installer-amd64/';
    const argv = virtInstallArgv('qemu:///system', {
      ...kernelSpec(),
      source: { kind: 'location', url, extraArgs: 'console=ttyS0,115200n8 priority=low' },
    });
    // Each flag is followed by its own value, the arguments staying one element (spaces and commas kept).
    expect(argv.slice(argv.indexOf('--location'), argv.indexOf('--location') + 4)).toEqual([
      '--location',
      url,
      '--extra-args',
      'console=ttyS0,115200n8 priority=low',
    ]);
    expect(argv).not.toContain('--boot');
    expect(commandLineOf(argv)).toContain(`--location ${url} --extra-args 'console=ttyS0,115200n8 priority=low' --network`);
    // No extra arguments: no --extra-args at all (virt-install would take the next flag as its value).
    const bare = virtInstallArgv('qemu:///system', { ...kernelSpec(), source: { kind: 'location', url } });
    expect(bare).toContain('--location');
    expect(bare).not.toContain('--extra-args');
    for (const bad of ['http://mirror/a,b/', 'http://mirror/"x', 'ftp://mirror/ space']) {
      expect(() => virtInstallArgv('qemu:///system', { ...kernelSpec(), source: { kind: 'location', url: bad } }), bad).toThrow(
        LibvirtValidationError,
      );
    }
    // One line only: a newline would end the command a person copies from the preview.
    expect(() =>
      virtInstallArgv('qemu:///system', { ...kernelSpec(), source: { kind: 'location', url, extraArgs: 'console=ttyS0\nreboot' } }),
    ).toThrow(LibvirtValidationError);
  });

  it('quotes sub-option values for virt-install’s shlex parser', () => {
    expect(virtInstallOptionValue('console=ttyS0')).toBe('console=ttyS0');
    expect(virtInstallOptionValue('a,b')).toBe('"a,b"');
    expect(virtInstallOptionValue(`say "hi" \\ it's`)).toBe(`"say \\"hi\\" \\\\ it's"`);
  });

  it('validates like the XML path', () => {
    const base = kernelSpec();
    expect(() => virtInstallArgv('qemu:///system', { ...base, name: '$(reboot)' })).toThrow(LibvirtValidationError);
    expect(() => virtInstallArgv('qemu:///system', { ...base, memoryMiB: 32 })).toThrow(LibvirtValidationError);
    expect(() => virtInstallArgv('qemu:///system', { ...base, source: { kind: 'location', url: 'file:///etc/passwd' } })).toThrow(
      /http\(s\), ftp or nfs URL/,
    );
    expect(() => virtInstallArgv('qemu:///system', { ...base, disks: [{ kind: 'new', pool: 'default', sizeGiB: 20000 }] })).toThrow(
      LibvirtValidationError,
    );
  });

  it('is accepted by the real virt-install (dry run against the lab) when virt-install is installed', (ctx) => {
    if (run(['virt-install', '--version']).status !== 0) ctx.skip();
    const lab = readLab();
    const spec = kernelSpec({ kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd });
    const argv = virtInstallArgv(lab.libvirtUri, { ...spec, disks: [{ kind: 'new', pool: lab.storagePool, sizeGiB: 4 }] });
    const parsed = parseDomainXml(runOk([...argv, '--dry-run', '--print-xml']));
    expect(parsed).toMatchObject({ name: 'mirador-test-vi', type: 'qemu', memoryKiB: 512 * 1024, vcpus: 2 });
    expect(parsed.os.cmdline).toBe('console=ttyS0,115200n8 quiet');
    expect(parsed.nics[0]).toMatchObject({ type: 'network', source: 'default', model: 'virtio' });
    expect(parsed.osinfoId).toBe('http://debian.org/debian/11');
  });
});

describe('virt-clone argv', () => {
  it('auto-clones storage unless paths are given', () => {
    expect(virtCloneArgv('qemu:///system', { original: 'web', name: 'web-2' })).toEqual([
      'virt-clone',
      '--connect',
      'qemu:///system',
      '--original',
      'web',
      '--name',
      'web-2',
      '--auto-clone',
    ]);
    expect(virtCloneArgv('qemu:///system', { original: 'web', name: 'web-2', files: ['/var/lib/libvirt/images/web-2.qcow2'] })).toEqual([
      'virt-clone',
      '--connect',
      'qemu:///system',
      '--original',
      'web',
      '--name',
      'web-2',
      '--file',
      '/var/lib/libvirt/images/web-2.qcow2',
    ]);
    expect(() => virtCloneArgv('qemu:///system', { original: '-web', name: 'x' })).toThrow(LibvirtValidationError);
  });
});
