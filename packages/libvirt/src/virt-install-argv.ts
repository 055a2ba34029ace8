/**
 * virt-install / virt-clone command lines. Mirador itself defines domains from XML (buildDomainXml);
 * these exist so the UI can show the equivalent one-liner a person would type, which must be
 * runnable as shown — hence the same validation as the XML path.
 */
import { assertConnectionUri, type Argv } from './argv.js';
import {
  LibvirtValidationError,
  assertDiskGiB,
  assertDomainName,
  assertHostPath,
  assertKernelCmdline,
  assertMemoryMiB,
  assertNetworkName,
  assertOsinfoId,
  assertPoolName,
  assertVcpus,
  assertVolumeName,
} from './names.js';

export type VirtInstallDisk =
  | { kind: 'new'; pool: string; sizeGiB: number; format?: 'qcow2' | 'raw' }
  | { kind: 'volume'; pool: string; volume: string }
  | { kind: 'file'; path: string; format?: 'qcow2' | 'raw' };

export type VirtInstallSource =
  | { kind: 'cdrom'; path: string }
  | { kind: 'location'; url: string; extraArgs?: string }
  | { kind: 'import' }
  | { kind: 'kernel'; kernel: string; initrd?: string; cmdline?: string };

export type VirtInstallNetwork = { kind: 'network'; name: string } | { kind: 'bridge'; name: string } | null;

export interface VirtInstallSpec {
  name: string;
  memoryMiB: number;
  vcpus: number;
  virtType: 'kvm' | 'qemu';
  /** libosinfo short id ("debian12") or full id; omitted means "detect, but don't insist". */
  osinfoId?: string;
  /** virt-install >= 4.0 spells it --osinfo; older releases only know --os-variant. */
  osFlag?: 'osinfo' | 'os-variant';
  source: VirtInstallSource;
  disks: VirtInstallDisk[];
  network: VirtInstallNetwork;
  graphics?: 'none' | 'vnc';
}

/**
 * virt-install splits option strings with Python shlex (posix, whitespace=','), so a value holding a
 * comma or quote must be double-quoted inside the single argv element, with '"' and '\' escaped.
 */
export function virtInstallOptionValue(value: string): string {
  if (!/[,"'\\]/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function subOptions(pairs: Array<[string, string | undefined]>): string {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${virtInstallOptionValue(v)}`)
    .join(',');
}

function assertInstallUrl(url: unknown): asserts url is string {
  let ok = false;
  if (typeof url === 'string' && url.length <= 2048 && !/[\s"'\\,]/.test(url)) {
    try {
      ok = ['http:', 'https:', 'ftp:', 'nfs:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
  }
  if (!ok)
    throw new LibvirtValidationError(
      'invalid-value',
      'source.url',
      `Install location ${JSON.stringify(url)} must be an http(s), ftp or nfs URL.`,
    );
}

function diskArg(disk: VirtInstallDisk, index: number): string {
  const field = `disks[${index}]`;
  switch (disk.kind) {
    case 'new':
      assertPoolName(disk.pool, `${field}.pool`);
      assertDiskGiB(disk.sizeGiB, `${field}.sizeGiB`);
      return subOptions([
        ['pool', disk.pool],
        ['size', String(disk.sizeGiB)],
        ['format', disk.format ?? 'qcow2'],
        ['bus', 'virtio'],
      ]);
    case 'volume':
      assertPoolName(disk.pool, `${field}.pool`);
      assertVolumeName(disk.volume, `${field}.volume`);
      return subOptions([
        ['vol', `${disk.pool}/${disk.volume}`],
        ['bus', 'virtio'],
      ]);
    case 'file':
      assertHostPath(disk.path, `${field}.path`);
      return subOptions([
        ['path', disk.path],
        ['format', disk.format],
        ['bus', 'virtio'],
      ]);
    default:
      throw new LibvirtValidationError('invalid-value', field, 'Unknown disk kind.');
  }
}

function sourceArgs(source: VirtInstallSource): string[] {
  switch (source.kind) {
    case 'cdrom':
      assertHostPath(source.path, 'source.path');
      return ['--cdrom', source.path];
    case 'location': {
      assertInstallUrl(source.url);
      const args = ['--location', source.url];
      if (source.extraArgs !== undefined) {
        assertKernelCmdline(source.extraArgs, 'source.extraArgs');
        args.push('--extra-args', source.extraArgs);
      }
      return args;
    }
    case 'import':
      return ['--import'];
    case 'kernel':
      assertHostPath(source.kernel, 'source.kernel');
      if (source.initrd !== undefined) assertHostPath(source.initrd, 'source.initrd');
      if (source.cmdline !== undefined) assertKernelCmdline(source.cmdline, 'source.cmdline');
      return [
        '--boot',
        subOptions([
          ['kernel', source.kernel],
          ['initrd', source.initrd],
          ['kernel_args', source.cmdline],
        ]),
      ];
    default:
      throw new LibvirtValidationError('invalid-value', 'source', 'Unknown install source.');
  }
}

function networkArg(network: VirtInstallNetwork): string {
  if (network === null) return 'none';
  if (network.kind === 'network') {
    assertNetworkName(network.name, 'network.name');
    return subOptions([
      ['network', network.name],
      ['model', 'virtio'],
    ]);
  }
  if (network.kind === 'bridge') {
    // Linux interface names: 15 chars, no '/', no whitespace; the network-name rule is stricter still.
    assertNetworkName(network.name, 'network.name');
    return subOptions([
      ['bridge', network.name],
      ['model', 'virtio'],
    ]);
  }
  throw new LibvirtValidationError('invalid-value', 'network', 'Unknown network kind.');
}

export function virtInstallArgv(uri: string, spec: VirtInstallSpec): Argv {
  assertConnectionUri(uri);
  assertDomainName(spec.name);
  assertMemoryMiB(spec.memoryMiB);
  assertVcpus(spec.vcpus);
  if (spec.virtType !== 'kvm' && spec.virtType !== 'qemu') {
    throw new LibvirtValidationError('invalid-value', 'virtType', 'Virtualization type must be kvm or qemu.');
  }
  const osFlag = spec.osFlag ?? 'osinfo';
  let osValue: string;
  if (spec.osinfoId !== undefined) {
    assertOsinfoId(spec.osinfoId);
    osValue = spec.osinfoId;
  } else {
    // virt-install 4.x refuses to guess silently for most sources; this states "unknown OS is fine".
    osValue = osFlag === 'osinfo' ? 'detect=on,require=off' : 'generic';
  }
  const argv: Argv = [
    'virt-install',
    '--connect',
    uri,
    '--name',
    spec.name,
    '--memory',
    String(spec.memoryMiB),
    '--vcpus',
    String(spec.vcpus),
    `--${osFlag}`,
    osValue,
  ];
  spec.disks.forEach((d, i) => argv.push('--disk', diskArg(d, i)));
  if (spec.disks.length === 0) argv.push('--disk', 'none');
  argv.push(...sourceArgs(spec.source));
  argv.push('--network', networkArg(spec.network));
  if (spec.graphics === 'vnc') {
    // Loopback only, like the XML path; the password is set afterwards over stdin (update-device), never on argv.
    argv.push('--graphics', 'vnc,listen=127.0.0.1', '--video', 'vga');
  } else argv.push('--graphics', 'none');
  argv.push('--console', 'pty,target_type=serial');
  argv.push('--virt-type', spec.virtType);
  argv.push('--noautoconsole');
  return argv;
}

export interface VirtCloneSpec {
  original: string;
  name: string;
  /** Explicit paths for the cloned disks; omitted means --auto-clone (virt-clone names them after the clone). */
  files?: string[];
}

export function virtCloneArgv(uri: string, spec: VirtCloneSpec): Argv {
  assertConnectionUri(uri);
  assertDomainName(spec.original, 'original');
  assertDomainName(spec.name);
  const argv: Argv = ['virt-clone', '--connect', uri, '--original', spec.original, '--name', spec.name];
  if (spec.files && spec.files.length > 0) {
    spec.files.forEach((f, i) => {
      assertHostPath(f, `files[${i}]`);
      argv.push('--file', f);
    });
  } else {
    argv.push('--auto-clone');
  }
  return argv;
}
