import type { CreateVolumeBody, DockerPolicy } from '@mirador/contract';
import { show } from './errors.js';
import { checkPolicy, type PolicyOptions, type PolicyResult } from './policy.js';

/** Mount flags that change nothing about *what* a bind volume shows. */
const BIND_FLAGS = new Set(['bind', 'rbind', 'ro', 'rw', 'nosuid', 'nodev', 'noexec']);
/** tmpfs options that only size and own the memory file system; anything else is refused. */
const TMPFS_OPTION =
  /^(size=[0-9]{1,15}[kmg%]?|nr_inodes=[0-9]{1,15}[kmg]?|mode=[0-7]{3,4}|uid=[0-9]{1,10}|gid=[0-9]{1,10}|nosuid|nodev|noexec|ro|rw)$/i;
/** What each kind of mount hands the container, for the messages. */
const NETWORK_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', 'sshfs', 'fuse.sshfs', '9p']);

/** The comma-separated options of `o` (`addr=…,vers=4`), empty ones dropped. */
function mountOptions(o: string | undefined): string[] {
  return (o ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The host path a `local` volume binds (`o=bind`/`rbind` with a `device`), if it is one. */
export function volumeBindDevice(body: Partial<CreateVolumeBody>): string | null {
  const opts = body.driverOpts ?? {};
  if ((body.driver ?? 'local') !== 'local' || opts.device === undefined) return null;
  return mountOptions(opts.o).some((x) => x === 'bind' || x === 'rbind') ? opts.device : null;
}

function typeRisk(type: string): string {
  if (type === 'overlay')
    return 'volumes of type "overlay" stack host directories named in o (lowerdir=, upperdir=, workdir=) into the container';
  if (NETWORK_TYPES.has(type)) return `volumes of type ${show(type)} mount a network share with the host's kernel, network and credentials`;
  if (type === 'none') return 'type "none" without o=bind mounts the device exactly as given';
  return `volumes of type ${show(type)} mount a file system from a host device or path`;
}

/**
 * What an engine's policy says about a volume's driver and options (a volume being created, or an
 * existing one a container mounts). `local` volumes are mounts made by the engine as root, so only
 * what can be checked is allowed to non-admins:
 *
 * - no options at all (a directory under the engine's data root);
 * - `type=tmpfs` (device `tmpfs`), with `o` limited to size, nr_inodes, mode, uid, gid and harmless flags;
 * - a bind (`o=bind`/`rbind`, type absent or `none`) of an absolute `device`, judged by the bind-mount
 *   rules — the server judges it again with the path resolved on the engine's machine.
 *
 * Everything else is refused naming the option (`driverOpts.type`, `driverOpts.o`, `driverOpts.device`,
 * `driverOpts.<unknown>`, or `driver` for plugins). Admins are never refused but get the same words as
 * warnings. Messages never repeat `o`: it may hold a password (`cifs` `o=username=…,password=…`).
 */
export function checkVolumePolicy(body: Partial<CreateVolumeBody>, policy: DockerPolicy, opts: PolicyOptions): PolicyResult {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const flag = (field: string, risk: string): void => {
    warnings.push(`${field}: ${risk}.`);
    if (!opts.isAdmin) refusals.push(`${field}: ${risk}; that needs an administrator.`);
  };
  const driver = body.driver ?? 'local';
  const o = body.driverOpts ?? {};
  if (driver !== 'local') {
    flag(
      'driver',
      `the volume driver ${show(driver)} is a plugin that mounts whatever its options say, unchecked by this engine's policy (non-administrators may use the "local" driver)`,
    );
    return { refusals, warnings };
  }
  for (const key of Object.keys(o)) {
    if (!['type', 'o', 'device'].includes(key))
      flag(`driverOpts.${key}`, `${show(key)} is not an option Mirador can check (the "local" driver takes type, o and device)`);
  }
  const options = mountOptions(o.o);
  const type = o.type;
  const device = o.device;
  if (volumeBindDevice(body) !== null || options.some((x) => x === 'bind' || x === 'rbind')) {
    if (type !== undefined && type !== 'none')
      flag('driverOpts.type', `a bind volume of type ${show(type)} is not a plain bind; use type "none" or leave it out`);
    if (options.some((x) => !BIND_FLAGS.has(x)))
      flag('driverOpts.o', 'a bind volume may only have the options bind, rbind, ro, rw, nosuid, nodev and noexec');
    if (device === undefined) flag('driverOpts.device', 'a bind volume without a device cannot be checked');
    else if (!device.startsWith('/')) {
      flag(
        'driverOpts.device',
        `${show(device)} is a relative path: the engine resolves it from its own working directory, anywhere on the host ("../.." can be "/")`,
      );
    } else {
      const r = checkPolicy({ image: 'x', mounts: [{ type: 'bind', source: device, target: '/x' }] }, policy, opts);
      const rename = (s: string): string => s.replace(/^mounts\[0\]\.source/, 'driverOpts.device');
      refusals.push(...r.refusals.map(rename));
      warnings.push(...r.warnings.map(rename));
    }
  } else if (type === 'tmpfs') {
    if (device !== undefined && device !== 'tmpfs') flag('driverOpts.device', `a tmpfs volume's device is "tmpfs", not ${show(device)}`);
    if (options.some((x) => !TMPFS_OPTION.test(x)))
      flag('driverOpts.o', 'a tmpfs volume may only have the options size, nr_inodes, mode, uid, gid, nosuid, nodev, noexec, ro and rw');
  } else {
    if (type !== undefined) flag('driverOpts.type', typeRisk(type));
    if (o.o !== undefined)
      flag(
        'driverOpts.o',
        'mount options other than a plain bind or a tmpfs size name host paths, devices or servers and cannot be checked',
      );
    if (device !== undefined) flag('driverOpts.device', `${show(device)} names a host device, path or share that cannot be checked`);
  }
  return { refusals, warnings };
}
