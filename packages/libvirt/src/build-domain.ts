/**
 * Domain XML for new VMs. Everything goes through fast-xml-parser's builder, so user text is escaped
 * by construction; the validation below is what keeps it sensible (the name rules already forbid
 * XML metacharacters).
 */
import {
  LibvirtValidationError,
  assertDomainName,
  assertHostPath,
  assertKernelCmdline,
  assertMemoryMiB,
  assertNetworkName,
  assertPoolName,
  assertVcpus,
  assertVolumeName,
} from './names.js';
import { makeBuilder, type XmlNode } from './xml.js';

export type DiskFormat = 'qcow2' | 'raw';

export type DomainBoot =
  { kind: 'kernel'; kernel: string; initrd?: string; cmdline?: string } | { kind: 'cdrom' } | { kind: 'disk' } | { kind: 'network' };

export type DomainDiskSpec =
  { kind: 'volume'; pool: string; volume: string; format?: DiskFormat } | { kind: 'file'; path: string; format?: DiskFormat };

export type DomainNetworkSpec = { kind: 'network'; name: string } | { kind: 'bridge'; name: string } | null;

export interface DomainSpec {
  name: string;
  memoryMiB: number;
  vcpus: number;
  /** 'kvm' needs /dev/kvm on the host; 'qemu' is TCG emulation (slow, works everywhere). */
  domainType: 'kvm' | 'qemu';
  arch?: 'x86_64';
  /** 'q35' (default) or 'pc'; libvirt expands it to the versioned machine type. */
  machine?: 'q35' | 'pc';
  /** Full libosinfo id (URL form), recorded as metadata so tools know the guest OS. */
  osinfoId?: string;
  boot: DomainBoot;
  disks: DomainDiskSpec[];
  cdrom?: { path: string };
  network: DomainNetworkSpec;
  /** Always on: the dashboard's console is the serial console. */
  serialConsole?: true;
  graphics?: 'none' | 'vnc';
  /**
   * The VNC display's password (at most 8 printable ASCII characters, the VNC limit). Mirador makes one
   * per VM and keeps it only in the definition; the XML with it goes to libvirt over stdin, never argv.
   */
  vncPassword?: string;
}

/** Free PCIe root ports a new q35 VM gets for hot-plugged disks and NICs. */
export const SPARE_PCIE_ROOT_PORTS = 6;

export const LIBOSINFO_NAMESPACE = 'http://libosinfo.org/xmlns/libvirt/domain/1.0';
const OSINFO_URL_ID = /^https?:\/\/[A-Za-z0-9.-]+(?:\/[A-Za-z0-9._+-]+)+$/;
const MAX_DISKS = 16;

function fail(field: string, message: string): never {
  throw new LibvirtValidationError('invalid-value', field, message);
}

/** vda, vdb, … in the order given: the first disk is the boot disk. */
export function virtioDiskTarget(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 26) fail('disks', 'At most 26 virtio disks are supported.');
  return `vd${String.fromCharCode(97 + index)}`;
}

function checkFormat(format: unknown, field: string): DiskFormat {
  if (format === undefined) return 'qcow2';
  if (format !== 'qcow2' && format !== 'raw') fail(field, 'Disk format must be qcow2 or raw.');
  return format;
}

function diskNode(disk: DomainDiskSpec, index: number): XmlNode {
  const field = `disks[${index}]`;
  const target = { '@_dev': virtioDiskTarget(index), '@_bus': 'virtio' };
  const format = checkFormat(disk.format, `${field}.format`);
  if (disk.kind === 'volume') {
    assertPoolName(disk.pool, `${field}.pool`);
    assertVolumeName(disk.volume, `${field}.volume`);
    return {
      '@_type': 'volume',
      '@_device': 'disk',
      driver: { '@_name': 'qemu', '@_type': format },
      source: { '@_pool': disk.pool, '@_volume': disk.volume },
      target,
    };
  }
  if (disk.kind === 'file') {
    assertHostPath(disk.path, `${field}.path`);
    return {
      '@_type': 'file',
      '@_device': 'disk',
      driver: { '@_name': 'qemu', '@_type': format },
      source: { '@_file': disk.path },
      target,
    };
  }
  return fail(field, 'Disk kind must be "volume" or "file".');
}

function osNode(spec: DomainSpec): XmlNode {
  const os: XmlNode = {
    type: { '@_arch': spec.arch ?? 'x86_64', '@_machine': spec.machine ?? 'q35', '#text': 'hvm' },
  };
  const boot = spec.boot;
  switch (boot?.kind) {
    case 'kernel':
      assertHostPath(boot.kernel, 'boot.kernel');
      os.kernel = boot.kernel;
      if (boot.initrd !== undefined) {
        assertHostPath(boot.initrd, 'boot.initrd');
        os.initrd = boot.initrd;
      }
      if (boot.cmdline !== undefined) {
        assertKernelCmdline(boot.cmdline, 'boot.cmdline');
        os.cmdline = boot.cmdline;
      }
      break;
    case 'cdrom':
      if (!spec.cdrom) fail('boot', 'Booting from CD-ROM needs a CD-ROM image.');
      // Falls through to the disk afterwards, so the installed system boots once the ISO is ejected.
      os.boot = [{ '@_dev': 'cdrom' }, { '@_dev': 'hd' }];
      break;
    case 'disk':
      if (spec.disks.length === 0) fail('boot', 'Booting from disk needs at least one disk.');
      os.boot = [{ '@_dev': 'hd' }];
      break;
    case 'network':
      if (spec.network === null) fail('boot', 'Network (PXE) boot needs a network interface.');
      os.boot = [{ '@_dev': 'network' }, { '@_dev': 'hd' }];
      break;
    default:
      fail('boot', 'Boot kind must be kernel, cdrom, disk or network.');
  }
  return os;
}

function interfaceNode(network: Exclude<DomainNetworkSpec, null>): XmlNode {
  assertNetworkName(network.name, 'network.name');
  if (network.kind === 'network') {
    return { '@_type': 'network', source: { '@_network': network.name }, model: { '@_type': 'virtio' } };
  }
  if (network.kind === 'bridge') {
    return { '@_type': 'bridge', source: { '@_bridge': network.name }, model: { '@_type': 'virtio' } };
  }
  return fail('network', 'Network kind must be "network" or "bridge".');
}

/** The VNC display Mirador gives a VM: autoport on the host loopback, with its password when it has one. */
function vncGraphicsNode(password?: string): XmlNode {
  return {
    '@_type': 'vnc',
    '@_port': '-1',
    '@_autoport': 'yes',
    '@_listen': '127.0.0.1',
    ...(password !== undefined && { '@_passwd': password }),
    listen: { '@_type': 'address', '@_address': '127.0.0.1' },
  };
}

/**
 * The same display as a device document for `virsh update-device` (sets the password of a VM that
 * virt-install defined without one). Only the password may differ from the running display.
 */
export function buildVncGraphicsXml(password: string): string {
  if (!/^[\x21-\x7e]{1,8}$/.test(password)) fail('vncPassword', 'A VNC password is 1 to 8 printable ASCII characters.');
  return makeBuilder().build({ graphics: vncGraphicsNode(password) });
}

export function buildDomainXml(spec: DomainSpec): string {
  assertDomainName(spec.name);
  assertMemoryMiB(spec.memoryMiB);
  assertVcpus(spec.vcpus);
  if (spec.domainType !== 'kvm' && spec.domainType !== 'qemu') fail('domainType', 'Domain type must be kvm or qemu.');
  if (spec.arch !== undefined && spec.arch !== 'x86_64') fail('arch', 'Only x86_64 guests are supported.');
  if (spec.machine !== undefined && spec.machine !== 'q35' && spec.machine !== 'pc') fail('machine', 'Machine must be q35 or pc.');
  if (spec.graphics !== undefined && spec.graphics !== 'none' && spec.graphics !== 'vnc') fail('graphics', 'Graphics must be none or vnc.');
  if (spec.vncPassword !== undefined && (spec.graphics !== 'vnc' || !/^[\x21-\x7e]{1,8}$/.test(spec.vncPassword)))
    fail('vncPassword', 'A VNC password is 1 to 8 printable ASCII characters, for a VNC display.');
  if (!Array.isArray(spec.disks) || spec.disks.length > MAX_DISKS) fail('disks', `A VM can have at most ${MAX_DISKS} disks here.`);
  if (spec.osinfoId !== undefined && !OSINFO_URL_ID.test(spec.osinfoId)) {
    fail('osinfoId', `OS id ${JSON.stringify(spec.osinfoId)} must be a full libosinfo id such as http://debian.org/debian/12.`);
  }

  const disks = spec.disks.map(diskNode);
  if (spec.cdrom) {
    assertHostPath(spec.cdrom.path, 'cdrom.path');
    disks.push({
      '@_type': 'file',
      '@_device': 'cdrom',
      driver: { '@_name': 'qemu', '@_type': 'raw' },
      source: { '@_file': spec.cdrom.path },
      // q35 has no IDE controller; the i440fx 'pc' machine has no SATA one by default.
      target: { '@_dev': 'sda', '@_bus': (spec.machine ?? 'q35') === 'q35' ? 'sata' : 'ide' },
      readonly: '',
    });
  }

  const devices: XmlNode = { disk: disks };
  if (spec.network) devices.interface = [interfaceNode(spec.network)];
  devices.serial = [{ '@_type': 'pty', target: { '@_port': '0' } }];
  devices.console = [{ '@_type': 'pty', target: { '@_type': 'serial', '@_port': '0' } }];
  if (spec.graphics === 'vnc') {
    // Loopback only: VNC's own password is weak (8 characters, DES), so the display is reached through
    // the host's SSH connection; the password keeps other local users of the host out.
    devices.graphics = [vncGraphicsNode(spec.vncPassword)];
    // Standard VGA: BIOS, boot loaders, installers and the kernel's text console all draw on it without drivers.
    devices.video = [{ model: { '@_type': 'vga', '@_vram': '16384', '@_heads': '1', '@_primary': 'yes' } }];
  }
  // A stats period makes the guest report free memory, which domstats exposes as balloon.unused.
  devices.memballoon = { '@_model': 'virtio', stats: { '@_period': '5' } };
  if ((spec.machine ?? 'q35') === 'q35') {
    // On q35 every hot-plugged PCIe device needs a free root port, and libvirt only adds the ports the
    // definition needs: without spares a running VM takes one hot-plugged disk or NIC at most (virt-install
    // adds spares too). The i440fx 'pc' machine hot-plugs onto its PCI bus without them.
    // Index 0 must be the root complex once any PCI controller is listed; the ports take the next indexes.
    devices.controller = [
      { '@_type': 'pci', '@_index': '0', '@_model': 'pcie-root' },
      ...Array.from({ length: SPARE_PCIE_ROOT_PORTS }, (_, i) => ({
        '@_type': 'pci',
        '@_index': String(i + 1),
        '@_model': 'pcie-root-port',
      })),
    ];
  }

  const domain: XmlNode = { '@_type': spec.domainType, name: spec.name };
  if (spec.osinfoId !== undefined) {
    domain.metadata = {
      'libosinfo:libosinfo': { '@_xmlns:libosinfo': LIBOSINFO_NAMESPACE, 'libosinfo:os': { '@_id': spec.osinfoId } },
    };
  }
  Object.assign(domain, {
    memory: { '@_unit': 'MiB', '#text': String(spec.memoryMiB) },
    currentMemory: { '@_unit': 'MiB', '#text': String(spec.memoryMiB) },
    vcpu: { '@_placement': 'static', '#text': String(spec.vcpus) },
    os: osNode(spec),
    features: { acpi: '', apic: '' },
    // host-passthrough is fastest under KVM; TCG cannot pass through a host CPU, so it keeps the default model.
    ...(spec.domainType === 'kvm' ? { cpu: { '@_mode': 'host-passthrough' } } : {}),
    clock: { '@_offset': 'utc' },
    on_poweroff: 'destroy',
    on_reboot: 'restart',
    on_crash: 'destroy',
    devices,
  });
  return makeBuilder().build({ domain });
}
