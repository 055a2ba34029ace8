import {
  QEMU_XML_NAMESPACE,
  attrOf,
  canonicalOf,
  elementsOf,
  namespaceOf,
  tagOf,
  textOf,
  walkElements,
  type OrderedNode,
} from '@mirador/libvirt';

/**
 * What an operator may not put into a VM definition through the XML editor (admins may do all).
 *
 * An arbitrary definition can hand the guest any file or device of the host: a disk on /etc/shadow,
 * a serial port writing to a file, a host directory as <filesystem>, a PCI device, a macvtap on the
 * host's NIC, raw QEMU arguments. The create form only ever builds safe ones; the editor is held
 * to the same line. Only what the edit ADDS or CHANGES counts: a feature an administrator already
 * put into this VM's definition stays editable around it.
 */

/** A host file the edited definition makes libvirt open: judged on the host like the create form's paths. */
export interface EditedPath {
  /** Where it is, for the message ("disk vda", "os.kernel"). */
  field: string;
  path: string;
  /** QEMU opens it as a disk image whose header may name more files. */
  qcow2: boolean;
}
/** A volume disk: its path comes from the pool, then is judged like a path. */
export interface EditedVolume {
  field: string;
  pool: string;
  volume: string;
}

export interface XmlEditReview {
  /** Features a non-admin may not add, each saying what and why ("<hostdev> (a host device passed to the guest)"). */
  restricted: string[];
  /** Host files that are new in the edit (not named by the current definition). */
  paths: EditedPath[];
  volumes: EditedVolume[];
}

const CHAR_DEVICES = new Set(['serial', 'parallel', 'console', 'channel', 'redirdev']);
/** Character device backends that reach host files, sockets or the network. */
const HOST_CHAR_TYPES = new Set(['file', 'unix', 'tcp', 'udp', 'pipe', 'dev']);
const SAFE_INTERFACE_TYPES = new Set(['network', 'bridge', 'user']);
const SAFE_RNG_SOURCES = new Set(['/dev/urandom', '/dev/random', '/dev/hwrng']);

/** Why one element is off limits for non-admins; null when it is not. */
function restrictionOf(el: OrderedNode, path: string[], ns: Map<string, string>): string | null {
  const tag = tagOf(el) ?? '';
  const parent = path[path.length - 2];
  if (namespaceOf(el, ns) === QEMU_XML_NAMESPACE) return `<${tag}> (raw QEMU arguments or overrides, the qemu: namespace)`;
  if (tag === 'seclabel') return '<seclabel> (the security label that confines QEMU)';
  if (parent !== 'devices') return null;
  const type = attrOf(el, 'type') ?? '';
  if (tag === 'emulator') return '<emulator> (the program libvirt runs for this VM)';
  if (tag === 'hostdev') return '<hostdev> (a host device passed to the guest)';
  if (tag === 'filesystem') return '<filesystem> (a host directory shared with the guest)';
  if (tag === 'shmem') return '<shmem> (host shared memory)';
  if (tag === 'smartcard') return '<smartcard> (a host smartcard or socket)';
  if (tag === 'interface' && !SAFE_INTERFACE_TYPES.has(type))
    return `<interface type='${type}'> (only network, bridge and user interfaces)`;
  if (tag === 'disk' && type === 'network') return "<disk type='network'> (a disk served over the network or a socket)";
  if (CHAR_DEVICES.has(tag) && HOST_CHAR_TYPES.has(type)) return `<${tag} type='${type}'> (a character device on a host ${type})`;
  if (tag === 'tpm' && elementsOf(el, 'backend').some((b) => attrOf(b, 'type') === 'passthrough'))
    return '<tpm> passthrough (the host TPM)';
  if (tag === 'rng') {
    for (const b of elementsOf(el, 'backend')) {
      if (attrOf(b, 'model') === 'egd') return '<rng> with an egd backend (a host socket or file)';
      if (attrOf(b, 'model') === 'random' && textOf(b) !== '' && !SAFE_RNG_SOURCES.has(textOf(b))) return `<rng> reading ${textOf(b)}`;
    }
  }
  return null;
}

function sourceOf(disk: OrderedNode): OrderedNode | undefined {
  return elementsOf(disk, 'source')[0];
}

/** Host files named by a definition: disk sources (and backing stores), kernel, initrd, dtb, loader, nvram. */
function pathsOf(domain: OrderedNode): { paths: EditedPath[]; volumes: EditedVolume[] } {
  const paths: EditedPath[] = [];
  const volumes: EditedVolume[] = [];
  for (const os of elementsOf(domain, 'os')) {
    for (const tag of ['kernel', 'initrd', 'dtb', 'loader', 'nvram']) {
      for (const el of elementsOf(os, tag)) if (textOf(el)) paths.push({ field: `os.${tag}`, path: textOf(el), qcow2: false });
    }
  }
  for (const devices of elementsOf(domain, 'devices')) {
    for (const disk of elementsOf(devices, 'disk')) {
      const target = attrOf(elementsOf(disk, 'target')[0] ?? {}, 'dev') ?? '?';
      const qcow2 = attrOf(elementsOf(disk, 'driver')[0] ?? {}, 'type') !== 'raw';
      // A backing chain written into the XML is opened too: every level counts.
      for (
        let level: OrderedNode | undefined = disk, depth = 0;
        level && depth < 16;
        level = elementsOf(level, 'backingStore')[0], depth++
      ) {
        const src = sourceOf(level);
        if (!src) continue;
        const field = depth === 0 ? `disk ${target}` : `disk ${target} backing store`;
        for (const a of ['file', 'dev', 'dir']) {
          const p = attrOf(src, a);
          if (p !== undefined) paths.push({ field, path: p, qcow2 });
        }
        const pool = attrOf(src, 'pool');
        const volume = attrOf(src, 'volume');
        if (pool !== undefined && volume !== undefined) volumes.push({ field, pool, volume });
      }
    }
  }
  return { paths, volumes };
}

function restrictedOf(domain: OrderedNode): Map<string, string> {
  const out = new Map<string, string>();
  walkElements(domain, (el, path, ns) => {
    const why = restrictionOf(el, path, ns);
    if (why) out.set(canonicalOf(el), why);
  });
  return out;
}

/**
 * Compares the edited definition with the current one and lists what a non-admin would be adding:
 * restricted features (whole subtrees not already present, byte for byte after canonicalisation)
 * and host paths that the current definition does not name.
 */
export function reviewXmlEdit(current: OrderedNode, edited: OrderedNode): XmlEditReview {
  const before = restrictedOf(current);
  const restricted = [...restrictedOf(edited)].filter(([key]) => !before.has(key)).map(([, why]) => why);
  const old = pathsOf(current);
  const known = new Set(old.paths.map((p) => p.path));
  const knownVolumes = new Set(old.volumes.map((v) => `${v.pool}/${v.volume}`));
  const now = pathsOf(edited);
  return {
    restricted: [...new Set(restricted)],
    paths: now.paths.filter((p) => !known.has(p.path)),
    volumes: now.volumes.filter((v) => !knownVolumes.has(`${v.pool}/${v.volume}`)),
  };
}
