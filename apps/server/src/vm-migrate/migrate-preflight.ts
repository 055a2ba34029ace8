import type { MigrateVmBody, MigrationCheck } from '@mirador/contract';
import {
  LibvirtValidationError,
  activeNetworksArgv,
  capabilitiesArgv,
  commandLineOf,
  cpuToCompare,
  defineArgv,
  hypervisorCpuCompareArgv,
  parseCpuCompare,
  offlineDumpxmlArgv,
  undefineArgv,
  freecellArgv,
  listDomainNamesArgv,
  migrateArgv,
  migrationDestinationUri,
  migrationReachArgv,
  parseCapabilities,
  parseDomainXml,
  parseFreecellBytes,
  parseNameList,
  volPathArgv,
  withCLocale,
  type Capabilities,
  type ParsedDomain,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import type { PrismaClient } from '../db/client.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import { badRequest, notFound } from '../lib/http-errors.js';
import { runVirsh } from '../vms/virsh.js';
import type { VmTarget, VmsService } from '../vms/vms.service.js';

/** What the pre-flight learned, kept for the task that follows it. */
export interface MigrationPlan {
  target: VmTarget;
  sourceRunner: CommandRunner;
  destination: { id: string; name: string };
  destinationUri: string | null;
  /** live: `virsh migrate --live` on the source; offline: the shut-off VM's definition is copied. */
  mode: 'live' | 'offline';
  /** live only: the `virsh migrate` argv run on the source. */
  argv: string[] | null;
  /** The lines that run, in order (shown in the dialog and logged by the task). */
  commands: string[];
  /** offline only: where the definition is defined. */
  destinationLibvirtUri: string;
  destinationRunner: () => Promise<CommandRunner>;
  checks: MigrationCheck[];
  ok: boolean;
}

const REACH_TIMEOUT_MS = 30_000;
const ACTIVE = new Set(['running', 'paused']);
const STOPPED = new Set(['shut off', 'crashed']);
/** Linux interface names (IFNAMSIZ 16 with the NUL): the only bridge names looked up on the destination. */
const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

function check(id: string, ok: boolean | null, title: string, detail: string, fix?: string): MigrationCheck {
  return fix ? { id, ok, title, detail, fix } : { id, ok, title, detail };
}

/** Settles a look-up so one failing host command turns into one "could not check" line, not a 500. */
async function attempt<T>(fn: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await fn() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Why the source's `virsh -c qemu+ssh://…` failed, in words and with the command that fixes it. */
function reachFailure(stderr: string, who: string, source: string, login: string, port: number, host: string) {
  const text = stderr.replace(/\s+/g, ' ').trim();
  if (/permission denied|publickey|authentication fail|too many authentication/i.test(text))
    return {
      detail: `${who} on ${source} has no SSH key accepted by ${login}@${host} (${text})`,
      fix: `ssh-copy-id -p ${port} ${login}@${host}`,
    };
  if (/host key verification failed|authenticity of host|REMOTE HOST IDENTIFICATION/i.test(text))
    return {
      detail: `${who} on ${source} does not know (or does not trust) the SSH host key of ${host}:${port} (${text})`,
      fix: `ssh -p ${port} ${login}@${host} true   # once, as ${who} on ${source}: compare the fingerprint and accept it`,
    };
  if (/connection refused|no route|could not resolve|name or service not known|timed out|network is unreachable/i.test(text))
    return {
      detail: `${source} cannot open an SSH connection to ${host}:${port} (${text})`,
      fix: `Open port ${port} from ${source} to ${host}`,
    };
  return { detail: `${source} could not open the destination's libvirt: ${text || 'no message'}` };
}

/**
 * The pre-flight of a live migration (issue #11): every check runs for real, on the source or the
 * destination host, and says what it found. ok:false refuses the migration; ok:null means "could not
 * be checked" and is said so. Nothing is changed on either host.
 */
export async function planMigration(
  deps: { db: PrismaClient; vms: VmsService; connections: ConnectionPool },
  hostId: string,
  name: string,
  body: MigrateVmBody,
): Promise<MigrationPlan> {
  const { db, vms, connections } = deps;
  if (body.destinationHostId === hostId)
    throw badRequest('The destination must be another host: a VM cannot migrate to the host it runs on', 'destinationHostId');
  const target = await vms.target(hostId, name);
  const src = await db.host.findUnique({ where: { id: hostId } });
  const dst = await db.host.findUnique({ where: { id: body.destinationHostId } });
  if (!src) throw notFound('Host');
  if (!dst) throw notFound('Destination host');
  if (!dst.libvirtUri) throw badRequest(`Host "${dst.name}" has no libvirt connection configured`, 'destinationHostId');

  const checks: MigrationCheck[] = [];
  const domain: ParsedDomain = parseDomainXml(target.xml);
  const sourceRunner = await target.runner();
  const who = src.kind === 'local' ? 'the user running Mirador' : src.username;

  const mode = ACTIVE.has(target.vm.state) ? 'live' : 'offline';
  const hasNvram = Boolean(domain.os.nvram);
  const settled = ACTIVE.has(target.vm.state) || STOPPED.has(target.vm.state);
  checks.push(
    !settled
      ? check('state', false, 'The VM is running or shut off', `"${name}" is ${target.vm.state}: wait until it runs or is shut off.`)
      : mode === 'live'
        ? check(
            'state',
            true,
            'The VM is running',
            `"${name}" is ${target.vm.state}: its memory is copied while it keeps running (live migration).`,
          )
        : hasNvram
          ? check(
              'state',
              false,
              'Offline migration',
              `"${name}" is ${target.vm.state} and has a UEFI variables file (${domain.os.nvram}), which an offline migration does not copy yet.`,
              'Start the VM and migrate it live',
            )
          : check(
              'state',
              true,
              'Offline migration',
              `"${name}" is ${target.vm.state}: its inactive definition is copied to the destination (virsh dumpxml --inactive, then virsh define there); nothing runs.`,
            ),
  );

  let destinationUri: string | null = null;
  if (dst.kind === 'local') {
    checks.push(
      check(
        'destination',
        false,
        'Destination reachable over SSH',
        `"${dst.name}" is Mirador's own machine, used without SSH: the source has no SSH address for it.`,
        'Add that machine as an SSH host (address, user, port) and migrate to that host',
      ),
    );
  } else {
    try {
      destinationUri = migrationDestinationUri({
        libvirtUri: dst.libvirtUri,
        sshUser: dst.username,
        sshHost: dst.address,
        sshPort: dst.port,
      });
      checks.push(
        check(
          'destination',
          true,
          'Destination libvirt',
          `"${dst.name}" is reached by the source as ${destinationUri} (from its inventory record).`,
        ),
      );
    } catch (err) {
      if (!(err instanceof LibvirtValidationError)) throw err;
      checks.push(check('destination', false, 'Destination libvirt', `"${dst.name}": ${err.message}`, `Edit the host "${dst.name}"`));
    }
  }

  const dstUri = dst.libvirtUri;
  const dstRunner = attempt(() => connections.runner(dst.id));
  const onDest = async (argv: string[], timeoutMs = 60_000) => {
    const r = await dstRunner;
    if ('error' in r) throw new Error(`Mirador cannot reach "${dst.name}": ${r.error}`);
    return runVirsh(r.value, argv, { timeoutMs });
  };
  /** A plain test on the destination (`test -r`, `test -d`), as its SSH user. */
  const testOnDest = async (argv: string[]) => {
    const r = await dstRunner;
    if ('error' in r) throw new Error(`Mirador cannot reach "${dst.name}": ${r.error}`);
    return (await r.value.exec(argv, { timeoutMs: 30_000 })).code === 0;
  };

  let srcCapsXml: string | null = null;
  const [reach, srcCaps, dstCaps, free, nets, taken] = await Promise.all([
    // runner.exec, not runVirsh: runVirsh's guard admits only local `-c` URIs, and this one is remote on
    // purpose; migrationReachArgv accepts only a URI migrationDestinationUri built (no query, no options).
    destinationUri && mode === 'live'
      ? attempt(() => sourceRunner.exec(withCLocale(migrationReachArgv(destinationUri!)), { timeoutMs: REACH_TIMEOUT_MS }))
      : Promise.resolve(null),
    attempt(async () => parseCapabilities((srcCapsXml = await runVirsh(sourceRunner, capabilitiesArgv(target.uri))))),
    attempt(async () => parseCapabilities(await onDest(capabilitiesArgv(dstUri)))),
    attempt(async () => parseFreecellBytes(await onDest(withCLocale(freecellArgv(dstUri))))),
    attempt(async () => new Set(parseNameList(await onDest(activeNetworksArgv(dstUri))))),
    // Asked of the destination's libvirt itself: Mirador's inventory of it may be a moment behind.
    attempt(async () => parseNameList(await onDest(listDomainNamesArgv(dstUri))).includes(name)),
  ]);

  // Reachability from the SOURCE: its own SSH login is what `virsh migrate` uses.
  if (mode === 'offline' && destinationUri)
    checks.push(
      check(
        'reach',
        null,
        `${src.name} reaches ${dst.name} over SSH`,
        'Not needed offline: Mirador copies the definition through its own connections to both hosts.',
      ),
    );
  else if (reach && destinationUri) {
    const title = `${src.name} reaches ${dst.name} over SSH`;
    const line = commandLineOf(migrationReachArgv(destinationUri));
    if ('error' in reach) checks.push(check('reach', null, title, `Could not run "${line}" on ${src.name}: ${reach.error}`));
    else if (reach.value.timedOut)
      checks.push(
        check(
          'reach',
          false,
          title,
          `"${line}" on ${src.name} did not answer within ${REACH_TIMEOUT_MS / 1000} s (an SSH prompt waiting?)`,
        ),
      );
    else if (reach.value.code === 0)
      checks.push(check('reach', true, title, `${who} on ${src.name}: "${line}" answered ${reach.value.stdout.trim()}`));
    else {
      const why = reachFailure(reach.value.stderr, who, src.name, dst.username, dst.port, dst.address);
      checks.push(check('reach', false, title, why.detail, why.fix));
    }
  }

  checks.push(
    'error' in taken
      ? check('name', null, 'Name free on the destination', `Could not read the VMs of "${dst.name}": ${taken.error}`)
      : taken.value
        ? check(
            'name',
            false,
            'Name free on the destination',
            `"${dst.name}" already has a VM named "${name}".`,
            `Rename or remove "${name}" on ${dst.name}`,
          )
        : check('name', true, 'Name free on the destination', `No VM named "${name}" on "${dst.name}".`),
  );

  if ('value' in srcCaps && 'value' in dstCaps && srcCaps.value.hostUuid && srcCaps.value.hostUuid === dstCaps.value.hostUuid)
    checks.push(
      check(
        'same-host',
        false,
        'Another libvirt host',
        `"${src.name}" and "${dst.name}" are the same libvirt host (host UUID ${srcCaps.value.hostUuid}): there is nothing to migrate to.`,
      ),
    );

  checks.push(machineCheck(domain, dst.name, dstCaps));
  checks.push(
    await cpuCheck(
      domain,
      dst.name,
      () => cpuToCompare(target.xml, srcCapsXml),
      async (cpuXml) => {
        const r = await dstRunner;
        if ('error' in r) throw new Error(`Mirador cannot reach "${dst.name}": ${r.error}`);
        // It exits 1 for "incompatible": read what it printed rather than its status.
        const res = await r.value.exec(withCLocale(hypervisorCpuCompareArgv(dstUri, 'kvm')), { stdin: cpuXml, timeoutMs: 60_000 });
        return { verdict: parseCpuCompare(`${res.stdout}\n${res.stderr}`), said: (res.stderr || res.stdout).trim() };
      },
    ),
  );
  checks.push(await networksCheck(domain, dst.name, nets, (br) => testOnDest(['test', '-d', `/sys/class/net/${br}`])));
  checks.push(await disksCheck(domain, dst.name, mode, body.copyStorage ?? false, testOnDest, (p, v) => onDest(volPathArgv(dstUri, p, v))));

  const needBytes = (domain.memoryKiB ?? target.vm.memoryMiB * 1024) * 1024;
  checks.push(
    'error' in free || free.value === undefined
      ? check(
          'memory',
          null,
          'Free memory on the destination',
          `Could not read "virsh freecell" on "${dst.name}"${'error' in free ? `: ${free.error}` : ''}`,
        )
      : mode === 'offline'
        ? check(
            'memory',
            null,
            'Free memory on the destination',
            `${gib(free.value)} free on "${dst.name}"; the VM needs ${gib(needBytes)} only once it is started there.`,
          )
        : free.value >= needBytes
          ? check(
              'memory',
              true,
              'Free memory on the destination',
              `${gib(free.value)} free on "${dst.name}", the VM needs ${gib(needBytes)}.`,
            )
          : check(
              'memory',
              false,
              'Free memory on the destination',
              `Only ${gib(free.value)} free on "${dst.name}", the VM needs ${gib(needBytes)}.`,
              `Free memory on ${dst.name} (stop or shrink other VMs)`,
            ),
  );

  const undefineSource = body.undefineSource ?? true;
  const argv =
    destinationUri && mode === 'live'
      ? migrateArgv(target.uri, name, destinationUri, {
          live: true,
          persistent: true,
          undefineSource,
          copyStorageAll: body.copyStorage ?? false,
          // The destination QEMU listens for the memory stream; the source reaches it at the host's inventory address.
          migrateAddress: dst.address,
        })
      : null;
  const commands = argv
    ? [commandLineOf(argv)]
    : [
        `${commandLineOf(offlineDumpxmlArgv(target.uri, name))} > ${name}.xml   # on ${src.name}`,
        `${commandLineOf(defineArgv(dstUri))} < ${name}.xml   # on ${dst.name}`,
        ...(undefineSource ? [`${commandLineOf(undefineArgv(target.uri, name))}   # on ${src.name}`] : []),
      ];
  return {
    target,
    sourceRunner,
    destination: { id: dst.id, name: dst.name },
    destinationUri,
    mode,
    argv,
    commands,
    destinationLibvirtUri: dstUri,
    destinationRunner: () => connections.runner(dst.id),
    checks,
    ok: checks.every((c) => c.ok !== false) && Boolean(destinationUri),
  };
}

function machineCheck(domain: ParsedDomain, dstName: string, caps: { value: Capabilities } | { error: string }): MigrationCheck {
  const title = 'Emulator and machine type';
  if ('error' in caps) return check('machine', null, title, `Could not read "virsh capabilities" on "${dstName}": ${caps.error}`);
  const arch = domain.os.arch ?? 'x86_64';
  const guest = caps.value.guests.find((g) => g.osType === (domain.os.type ?? 'hvm') && g.arch === arch);
  if (!guest) return check('machine', false, title, `"${dstName}" has no emulator for ${domain.os.type ?? 'hvm'} ${arch} guests.`);
  if (!guest.domainTypes.includes(domain.type))
    return check(
      'machine',
      false,
      title,
      `The VM runs as type "${domain.type}", which "${dstName}" does not offer (it offers ${guest.domainTypes.join(', ')}).`,
      domain.type === 'kvm' ? `Enable KVM on ${dstName} (/dev/kvm)` : undefined,
    );
  const machine = domain.os.machine;
  if (machine && !guest.machines.includes(machine))
    return check(
      'machine',
      false,
      title,
      `"${dstName}"'s ${guest.emulator ?? 'QEMU'} has no machine type "${machine}" (a newer or older QEMU?).`,
      `Install a QEMU on ${dstName} that provides ${machine}`,
    );
  return check(
    'machine',
    true,
    title,
    `${guest.emulator ?? 'QEMU'} on "${dstName}" runs ${domain.type} ${arch} guests of machine type ${machine ?? '(default)'}.`,
  );
}

/**
 * TCG guests get the same emulated CPU everywhere. A KVM guest sees the host's CPU features, so its CPU
 * (or, for host-passthrough, the source host's) is compared by the destination's hypervisor.
 */
async function cpuCheck(
  domain: ParsedDomain,
  dstName: string,
  cpuXml: () => string | null,
  compare: (cpuXml: string) => Promise<{ verdict: 'identical' | 'superset' | 'incompatible' | null; said: string }>,
): Promise<MigrationCheck> {
  const title = 'CPU compatibility';
  if (domain.type === 'qemu') return check('cpu', true, title, 'TCG: QEMU emulates the guest CPU in software, the same on both hosts.');
  const line = `virsh hypervisor-cpu-compare <the VM's <cpu>> --virttype kvm   # on ${dstName}`;
  const xml = cpuXml();
  if (!xml) return check('cpu', null, title, `Not checked: the VM names no CPU and the source's could not be read.`, line);
  try {
    const { verdict, said } = await compare(xml);
    if (verdict === 'incompatible')
      return check(
        'cpu',
        false,
        title,
        `"${dstName}" cannot give this VM its CPU: ${said}`,
        `Pick a CPU model both hosts offer (Settings → CPU)`,
      );
    if (verdict)
      return check(
        'cpu',
        true,
        title,
        `The CPU of "${dstName}" is ${verdict === 'identical' ? 'identical to' : 'a superset of'} the VM's.`,
      );
    return check('cpu', null, title, `Not checked: ${said || 'hypervisor-cpu-compare gave no answer'}`, line);
  } catch (err) {
    return check('cpu', null, title, `Not checked: ${(err as Error).message}`, line);
  }
}

async function networksCheck(
  domain: ParsedDomain,
  dstName: string,
  nets: { value: Set<string> } | { error: string },
  bridgeExists: (br: string) => Promise<boolean>,
): Promise<MigrationCheck> {
  const title = 'Networks and bridges on the destination';
  if (domain.nics.length === 0) return check('networks', true, title, 'The VM has no network interface.');
  const missing: string[] = [];
  const unknown: string[] = [];
  const found: string[] = [];
  for (const nic of domain.nics) {
    if (nic.type === 'network' && nic.source) {
      if ('error' in nets) unknown.push(`network "${nic.source}" (${nets.error})`);
      else (nets.value.has(nic.source) ? found : missing).push(`network "${nic.source}"`);
    } else if ((nic.type === 'bridge' || nic.type === 'direct') && nic.source && IFNAME.test(nic.source)) {
      const what = `${nic.type === 'bridge' ? 'bridge' : 'host interface'} "${nic.source}"`;
      const there = await bridgeExists(nic.source).catch(() => null);
      (there === null ? unknown : there ? found : missing).push(what);
    } else if (nic.type === 'user') found.push('user-mode networking');
    else unknown.push(`${nic.type} interface${nic.source ? ` "${nic.source}"` : ''}`);
  }
  if (missing.length)
    return check(
      'networks',
      false,
      title,
      `"${dstName}" has no active ${missing.join(', ')}: the VM's NIC${missing.length > 1 ? 's' : ''} would have nothing to plug into.`,
      `Create the same network (virsh net-define, virsh net-start) or bridge on ${dstName}, or detach the NIC`,
    );
  if (unknown.length)
    return check('networks', null, title, `Not checked: ${unknown.join(', ')}.${found.length ? ` Present: ${found.join(', ')}.` : ''}`);
  return check('networks', true, title, `Present and active on "${dstName}": ${found.join(', ')}.`);
}

async function disksCheck(
  domain: ParsedDomain,
  dstName: string,
  mode: 'live' | 'offline',
  copyStorage: boolean,
  testOnDest: (argv: string[]) => Promise<boolean>,
  volPath: (pool: string, volume: string) => Promise<string>,
): Promise<MigrationCheck> {
  const title = 'Disks on the destination';
  if (domain.disks.length === 0) return check('disks', true, title, 'The VM has no disk: nothing to share or copy.');
  const present: string[] = [];
  const missing: string[] = [];
  const unknown: string[] = [];
  for (const d of domain.disks) {
    const label = d.target.dev ?? d.device;
    const path = d.source.file ?? d.source.dev;
    try {
      if (path) {
        const ok = path.startsWith('/') && !/[\u0000-\u001f]/.test(path) && (await testOnDest(['test', '-r', path]));
        (ok ? present : missing).push(`${label} (${path})`);
      } else if (d.source.pool && d.source.volume) {
        await volPath(d.source.pool, d.source.volume);
        present.push(`${label} (${d.source.pool}/${d.source.volume})`);
      } else if (!d.source.file && !d.source.dev && !d.source.volume && !d.source.name) present.push(`${label} (empty drive)`);
      else unknown.push(`${label} (${d.type})`);
    } catch {
      missing.push(`${label} (${d.source.pool}/${d.source.volume})`);
    }
  }
  if (missing.length && !copyStorage)
    return check(
      'disks',
      false,
      title,
      `Not on "${dstName}" at the same path: ${missing.join(', ')}. Without shared storage the disks must be copied.`,
      'Choose "copy storage" (virsh migrate --copy-storage-all), or make the same paths available on the destination (shared storage)',
    );
  if (missing.length && mode === 'offline')
    return check(
      'disks',
      false,
      title,
      `Not on "${dstName}" at the same path: ${missing.join(', ')}. Copying the disks of a shut-off VM is not supported yet.`,
      'Start the VM and migrate it live with "copy storage", or copy the images to the same paths on the destination first',
    );
  if (missing.length)
    return check(
      'disks',
      null,
      title,
      `Copied with --copy-storage-all: ${missing.join(', ')}. libvirt creates the destination image only for storage-pool volumes; for a plain path, an image of the same size must exist at the same path on "${dstName}", writable by its libvirt.`,
    );
  if (unknown.length) return check('disks', null, title, `Not checked: ${unknown.join(', ')}.`);
  return check('disks', true, title, `Readable on "${dstName}" at the same paths (shared storage expected): ${present.join(', ')}.`);
}
