import type {
  CreateVmBody,
  CreateVmPreview,
  Task,
  VmAction,
  VmActionResult,
  VmCommands,
  VmDetail,
  VmList,
  VmListQuery,
  VmSummary,
} from '@mirador/contract';
import { VM_ACTIONS } from '@mirador/contract';
import {
  autostartArgv,
  buildDomainXml,
  buildVncGraphicsXml,
  updateDeviceArgv,
  capabilitiesArgv,
  commandLineOf,
  consoleArgv,
  defineArgv,
  destroyArgv,
  parseCapabilities,
  rebootArgv,
  resumeArgv,
  shutdownArgv,
  startArgv,
  suspendArgv,
  undefineArgv,
  virtInstallArgv,
  volCreateAsArgv,
  volDeleteArgv,
  volDeleteByPathArgv,
  type DomainSpec,
  type VirtInstallSpec,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../plugins/bus.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import type { TaskManager } from '../tasks/task-manager.js';
import type { UndoJournal } from '../recovery/undo-journal.js';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { HostInventory } from './host-inventory.js';
import { ConsoleBroker } from './console-broker.js';
import { refusal } from './vm-rules.js';
import { readVirtResources } from './virt-resources.js';
import { READY_FOR_BACKGROUND } from '../hosts/host-trust.js';
import { runVirsh, runVirshWithXml } from './virsh.js';
import { newVncPassword } from '../vnc/vnc-password.js';
import { judgeVmPaths, pathRefusal, poolTargets, sharedDisks, type PathCaller } from './vm-paths.js';

const ACTION_ARGV: Record<VmAction, (uri: string, name: string) => string[]> = {
  start: startArgv,
  shutdown: shutdownArgv,
  reboot: rebootArgv,
  destroy: destroyArgv,
  suspend: suspendArgv,
  resume: resumeArgv,
};

/** How long a list waits for a host that has not loaded yet before answering without it. */
const FIRST_LOAD_WAIT_MS = 15_000;
const RETRY_FAILED_MS = 15_000;

/** See VmsService.target. */
export interface VmTarget {
  vm: VmSummary;
  uri: string;
  hostName: string;
  /** The definition as the inventory last read it (without secrets). */
  xml: string;
  runner(): Promise<CommandRunner>;
  /** Re-reads this VM now; null when it is gone. */
  refresh(): Promise<VmSummary | null>;
  /** Every VM name on the host (for "name free?" checks). */
  names(): string[];
  all(): VmSummary[];
}

export function createVmsService(deps: {
  db: PrismaClient;
  bus: EventBus;
  connections: ConnectionPool;
  tasks: TaskManager;
  log: { warn(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void };
  /** Notes a new VM's volume until the VM that owns it is defined (a crash in between is undone at the next start). */
  undo: Pick<UndoJournal, 'note'>;
}) {
  const { db, bus, connections, tasks, log } = deps;
  const inventories = new Map<string, HostInventory>();
  const consoles = new ConsoleBroker();
  const addressTimer = setInterval(() => {
    for (const inv of inventories.values()) if (inv.loadedAt) inv.refreshMissingAddresses();
  }, 20_000);
  addressTimer.unref();

  const listener = {
    updated: (vm: VmSummary) => {
      bus.publish({ type: 'vm.updated', topic: 'vms', vm });
      if (vm.state === 'running') consoles.poke(vm.hostId, vm.name);
    },
    removed: (hostId: string, name: string) => bus.publish({ type: 'vm.removed', topic: 'vms', hostId, name }),
  };

  async function inventory(hostId: string): Promise<HostInventory> {
    const existing = inventories.get(hostId);
    if (existing) return existing;
    const h = await db.host.findUnique({ where: { id: hostId } });
    if (!h) throw notFound('Host');
    if (!h.libvirtUri)
      throw badRequest(`Host "${h.name}" has no libvirt connection configured`, 'libvirtUri', 'host.noLibvirt', { host: h.name });
    const again = inventories.get(hostId);
    if (again) return again;
    const inv = new HostInventory({ id: h.id, name: h.name, libvirtUri: h.libvirtUri }, () => connections.runner(h.id), listener, log);
    inventories.set(hostId, inv);
    return inv;
  }

  function forget(hostId: string) {
    const inv = inventories.get(hostId);
    if (!inv) return;
    inventories.delete(hostId);
    inv.close();
    for (const name of inv.vms.keys()) listener.removed(hostId, name);
  }

  // Host edits change where libvirt is reached; a removed host takes its VMs off the list.
  const offHosts = bus.subscribe('hosts', (msg) => {
    if (msg.type === 'host.removed') forget(msg.id);
    if (msg.type === 'host.updated') {
      const inv = inventories.get(msg.host.id);
      if (!inv) return;
      if (msg.host.libvirtUri !== inv.host.libvirtUri) forget(msg.host.id);
      else if (msg.host.name !== inv.host.name) inv.host.name = msg.host.name;
      // A host that just got its key accepted (or came back) is worth asking again right away.
      if (!inv.loadedAt && msg.host.hostKey) inv.lastAttemptAt = 0;
      // Back online after a drop: follow and read everything now, not at the inventory's next backoff step.
      if (!inv.loadedAt && msg.host.status === 'online') inv.retryNow();
    }
  });

  async function loaded(hostId: string): Promise<HostInventory> {
    const inv = await inventory(hostId);
    await inv.ensureLoaded();
    return inv;
  }

  async function vmOf(hostId: string, name: string) {
    const inv = await loaded(hostId);
    const vm = inv.vms.get(name);
    if (!vm) throw notFound(`VM "${name}"`);
    return { inv, vm, uri: inv.host.libvirtUri };
  }

  return {
    /**
     * One VM as the per-VM features (settings, devices, snapshots, clone, screen) work on it: the
     * inventory's view of it, the host's libvirt URI, the host connection, and a re-read to call after
     * changing it (the inventory also hears libvirt's event, this makes the answer current at once).
     * Throws 404 for an unknown VM.
     */
    async target(hostId: string, name: string): Promise<VmTarget> {
      const { inv, vm, uri } = await vmOf(hostId, name);
      return {
        vm,
        uri,
        hostName: inv.host.name,
        xml: inv.xml.get(name) ?? '',
        runner: () => connections.runner(hostId),
        refresh: async () => {
          await inv.refreshOne(name);
          return inv.vms.get(name) ?? null;
        },
        names: () => [...inv.vms.keys()],
        all: () => [...inv.vms.values()],
      };
    },

    /** Reads one VM of a host again now, also one the inventory has not seen yet (a clone just defined). */
    async refreshVm(hostId: string, name: string): Promise<void> {
      await (await loaded(hostId)).refreshOne(name);
    },

    /** Starts loading every libvirt host in the background, so the first list is already warm. */
    async warmUp() {
      const hosts = await db.host.findMany({ where: { NOT: { libvirtUri: null }, ...READY_FOR_BACKGROUND } });
      for (const h of hosts)
        void inventory(h.id)
          .then((inv) => inv.ensureLoaded())
          .catch((err) => log.warn({ err, host: h.name }, 'VM inventory load failed'));
    },

    async list(q: VmListQuery): Promise<VmList> {
      const hosts = await db.host.findMany({
        where: { NOT: { libvirtUri: null }, ...(q.hostId ? { id: q.hostId } : {}) },
        orderBy: { name: 'asc' },
      });
      if (q.hostId && hosts.length === 0) throw notFound('Host');
      const invs = await Promise.all(hosts.map((h) => inventory(h.id)));
      await Promise.all(
        invs.map((inv) => {
          if (inv.loadedAt) return null;
          // A host that just failed is retried in the background; the list does not wait for it again.
          if (inv.error && Date.now() - inv.lastAttemptAt < RETRY_FAILED_MS) return null;
          return Promise.race([inv.ensureLoaded().catch(() => {}), new Promise((r) => setTimeout(r, FIRST_LOAD_WAIT_MS).unref())]);
        }),
      );
      const needle = q.q?.toLowerCase();
      const items = invs
        .flatMap((inv) => [...inv.vms.values()])
        .filter((vm) => (!q.state || vm.state === q.state) && (!needle || vm.name.toLowerCase().includes(needle)))
        .sort((a, b) => a.hostName.localeCompare(b.hostName) || a.name.localeCompare(b.name));
      return {
        items,
        hosts: invs.map((inv) => ({
          hostId: inv.host.id,
          hostName: inv.host.name,
          ok: Boolean(inv.loadedAt) && !inv.error,
          loading: !inv.loadedAt && !inv.error,
          error: inv.error,
          loadedAt: inv.loadedAt?.toISOString() ?? null,
        })),
      };
    },

    async resources(hostId: string) {
      const inv = await inventory(hostId);
      return readVirtResources(await connections.runner(hostId), inv.host.libvirtUri);
    },

    async detail(hostId: string, name: string): Promise<VmDetail> {
      const { inv, vm } = await vmOf(hostId, name);
      return { ...vm, xml: inv.xml.get(name) ?? '' };
    },

    async commands(hostId: string, name: string): Promise<VmCommands> {
      const { uri } = await vmOf(hostId, name);
      const out: VmCommands = {};
      for (const a of VM_ACTIONS) out[a] = commandLineOf(ACTION_ARGV[a](uri, name));
      out.delete = commandLineOf(undefineArgv(uri, name, { nvram: true, snapshotsMetadata: true, managedSave: true }));
      out.autostartOn = commandLineOf(autostartArgv(uri, name, true));
      out.autostartOff = commandLineOf(autostartArgv(uri, name, false));
      out.console = commandLineOf(consoleArgv(uri, name));
      return out;
    },

    async action(hostId: string, name: string, action: VmAction): Promise<VmActionResult> {
      const { inv, vm, uri } = await vmOf(hostId, name);
      const why = refusal(action, name, vm.state);
      if (why) throw conflict(why);
      const argv = ACTION_ARGV[action](uri, name);
      await runVirsh(await connections.runner(hostId), argv);
      await inv.refreshOne(name);
      return { vm: inv.vms.get(name) ?? vm, command: commandLineOf(argv) };
    },

    async setAutostart(hostId: string, name: string, enabled: boolean): Promise<VmActionResult> {
      const { inv, vm, uri } = await vmOf(hostId, name);
      if (!vm.persistent) throw conflict(`"${name}" is transient: only defined VMs can autostart`);
      const argv = autostartArgv(uri, name, enabled);
      await runVirsh(await connections.runner(hostId), argv);
      await inv.refreshOne(name);
      return { vm: inv.vms.get(name) ?? vm, command: commandLineOf(argv) };
    },

    /**
     * Undefines a VM (NVRAM, snapshot metadata and managed save included) and optionally its disks.
     * Disks go through `vol-delete`, which libvirt only does for volumes of its pools (a path outside
     * them is "not found", a symlink in a pool is unlinked, not followed). A disk another VM also uses
     * is refused to non-admins before anything happens; admins are warned.
     */
    async remove(hostId: string, name: string, opts: { removeStorage: boolean; force: boolean }, caller: PathCaller) {
      const { inv, vm, uri } = await vmOf(hostId, name);
      const runner = await connections.runner(hostId);
      const commands: string[] = [];
      const warnings: string[] = [];
      if (opts.removeStorage && vm.disks.some((d) => d.device === 'disk')) {
        const others = [...inv.vms.values()].filter((v) => v.name !== name);
        const shared = sharedDisks(vm, others, await poolTargets(runner, uri));
        const lines = shared.map((s) => `"${s.disk}" is also used by ${s.usedBy.map((u) => `"${u}"`).join(', ')}`);
        if (lines.length && !caller.isAdmin) {
          throw conflict(
            `Cannot delete the disks of "${name}": ${lines.join('; ')}. Delete without its storage, or detach the disk from the other VM first`,
            'removeStorage',
          );
        }
        warnings.push(...lines.map((l) => `${l} (deleted anyway because you are an administrator)`));
      }
      if (vm.state !== 'shut off' && vm.state !== 'crashed') {
        if (!opts.force) throw conflict(`"${name}" is ${vm.state}: shut it down first, or delete with force to power it off`);
        const argv = destroyArgv(uri, name);
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv).catch((err) => {
          if (!/not running/i.test((err as Error).message)) throw err;
        });
      }
      if (vm.persistent) {
        const argv = undefineArgv(uri, name, { nvram: true, snapshotsMetadata: true, managedSave: true });
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
      }
      if (opts.removeStorage) {
        for (const disk of vm.disks.filter((d) => d.device === 'disk')) {
          const argv =
            disk.pool && disk.volume
              ? volDeleteArgv(uri, disk.pool, disk.volume)
              : disk.source
                ? volDeleteByPathArgv(uri, disk.source)
                : null;
          if (!argv) continue;
          commands.push(commandLineOf(argv));
          try {
            await runVirsh(runner, argv);
          } catch (err) {
            warnings.push(`${disk.target}: ${(err as Error).message} (left in place)`);
          }
        }
      }
      await inv.refreshOne(name).catch(() => {});
      return { commands, warnings };
    },

    /** What a create request will do, without doing it (the dialog shows this before confirming). */
    async preview(
      hostId: string,
      typed: CreateVmBody,
      caller: PathCaller,
    ): Promise<CreateVmPreview & { spec: DomainSpec; uri: string; virtInstall: string[]; warnings: string[] }> {
      const inv = await loaded(hostId);
      if (inv.vms.has(typed.name))
        throw conflict(`A VM named "${typed.name}" already exists on ${inv.host.name}`, 'name', 'vm.nameTaken', {
          name: typed.name,
          host: inv.host.name,
        });
      const uri = inv.host.libvirtUri;
      // Host files are judged on the host; from here on the paths are the resolved ones that passed.
      const judged = await judgeVmPaths(await connections.runner(hostId), uri, inv.host.name, typed, caller);
      if (judged.refusals.length) throw pathRefusal(inv.host.name, judged.refusals);
      const body = judged.body;
      let domainType: 'kvm' | 'qemu' = body.domainType === 'kvm' || body.domainType === 'qemu' ? body.domainType : 'qemu';
      if ((body.domainType ?? 'auto') === 'auto') {
        const caps = parseCapabilities(await runVirsh(await connections.runner(hostId), capabilitiesArgv(uri)));
        domainType = caps.guests.some((g) => g.domainTypes?.includes('kvm')) ? 'kvm' : 'qemu';
      }
      const diskFormat = body.disk.kind === 'new' ? (body.disk.format ?? 'qcow2') : undefined;
      const newVolume = body.disk.kind === 'new' ? `${body.name}.${diskFormat === 'raw' ? 'img' : 'qcow2'}` : null;
      const spec: DomainSpec = {
        name: body.name,
        memoryMiB: body.memoryMiB,
        vcpus: body.vcpus,
        domainType,
        osinfoId: body.osinfoId?.includes('/') ? body.osinfoId : undefined,
        boot:
          body.install.kind === 'kernel'
            ? { kind: 'kernel', kernel: body.install.kernel, initrd: body.install.initrd, cmdline: body.install.cmdline }
            : body.install.kind === 'cdrom'
              ? { kind: 'cdrom' }
              : { kind: 'disk' },
        disks:
          body.disk.kind === 'new'
            ? [{ kind: 'volume', pool: body.disk.pool, volume: newVolume!, format: diskFormat }]
            : body.disk.kind === 'volume'
              ? [{ kind: 'volume', pool: body.disk.pool, volume: body.disk.volume }]
              : body.disk.kind === 'path'
                ? [{ kind: 'file', path: body.disk.path }]
                : [],
        cdrom: body.install.kind === 'cdrom' ? { path: body.install.iso } : undefined,
        network: body.network.kind === 'none' ? null : { kind: body.network.kind, name: body.network.name },
        serialConsole: true,
        graphics: body.graphics ?? 'vnc',
      };
      if (body.install.kind === 'import' && spec.disks.length === 0) throw badRequest('Importing needs a disk to boot from', 'disk');
      const viSpec: VirtInstallSpec = {
        name: body.name,
        memoryMiB: body.memoryMiB,
        vcpus: body.vcpus,
        virtType: domainType,
        osinfoId: body.osinfoId,
        source:
          body.install.kind === 'kernel'
            ? { kind: 'kernel', kernel: body.install.kernel, initrd: body.install.initrd, cmdline: body.install.cmdline }
            : body.install.kind === 'cdrom'
              ? { kind: 'cdrom', path: body.install.iso }
              : body.install.kind === 'location'
                ? { kind: 'location', url: body.install.url, extraArgs: body.install.extraArgs }
                : { kind: 'import' },
        disks:
          body.disk.kind === 'new'
            ? [{ kind: 'new', pool: body.disk.pool, sizeGiB: body.disk.sizeGiB, format: diskFormat }]
            : body.disk.kind === 'volume'
              ? [{ kind: 'volume', pool: body.disk.pool, volume: body.disk.volume }]
              : body.disk.kind === 'path'
                ? [{ kind: 'file', path: body.disk.path }]
                : [],
        network: spec.network,
        graphics: spec.graphics,
      };
      const virtInstall = virtInstallArgv(uri, viSpec);
      // For network installs virt-install writes the definition itself, from the installer it fetches.
      const xml =
        body.install.kind === 'location' ? "<!-- virt-install builds this VM's XML during a network install -->" : buildDomainXml(spec);
      return { command: commandLineOf(virtInstall), xml, spec, uri, virtInstall, warnings: judged.warnings };
    },

    /** Creates a VM as a task: volume, definition, start — undoing the volume if a later step fails. */
    async create(hostId: string, body: CreateVmBody, user: { id: string; name: string }, caller: PathCaller): Promise<Task> {
      const inv = await loaded(hostId);
      const { xml, spec, uri, command, virtInstall, warnings } = await this.preview(hostId, body, caller);
      const runner = await connections.runner(hostId);
      if (body.install.kind === 'location') return this.createWithVirtInstall(hostId, body, virtInstall, user, warnings);
      return tasks.start({
        type: 'vm.create',
        target: { type: 'vm', id: body.name, name: body.name, hostId },
        user,
        cancellable: false,
        params: { ...body, command },
        run: async (ctx) => {
          for (const w of warnings) ctx.log(w, 'warn');
          ctx.log(`Equivalent command: ${command}`);
          let createdVolume: string[] | null = null;
          let settle = async () => {};
          // The display's password lives only in the definition (read back with dumpxml --security-info).
          const domainXml = spec.graphics === 'vnc' ? buildDomainXml({ ...spec, vncPassword: newVncPassword() }) : xml;
          try {
            if (body.disk.kind === 'new') {
              ctx.progress(0.1, 'Creating the disk volume');
              const volume = (spec.disks[0] as { volume: string }).volume;
              const argv = volCreateAsArgv(uri, {
                pool: body.disk.pool,
                name: volume,
                sizeGiB: body.disk.sizeGiB,
                format: body.disk.format ?? 'qcow2',
              });
              ctx.log(commandLineOf(argv));
              settle = await deps.undo.note({
                hostId,
                what: `the volume ${body.disk.pool}/${volume} made for the VM "${body.name}"`,
                undo: volDeleteArgv(uri, body.disk.pool, volume),
                target: { type: 'storage-volume', name: volume },
                taskId: ctx.taskId,
              });
              await runVirsh(runner, argv, { timeoutMs: 300_000 });
              createdVolume = volDeleteArgv(uri, body.disk.pool, volume);
            }
            ctx.progress(0.4, 'Defining the VM');
            const defArgv = defineArgv(uri);
            ctx.log(`${commandLineOf(defArgv)} < ${body.name}.xml`);
            await runVirshWithXml(runner, (file) => defineArgv(uri, file), domainXml);
            if (spec.graphics === 'vnc') ctx.log('VNC display on the host loopback, with a password Mirador made (never shown)');
          } catch (err) {
            let removed = true;
            if (createdVolume) {
              ctx.log('Removing the volume created for the failed VM', 'warn');
              removed = await runVirsh(runner, createdVolume).then(
                () => true,
                (e: Error) => (ctx.log(`Could not remove it (Mirador tries again at its next start): ${e.message}`, 'error'), false),
              );
            }
            if (removed) await settle();
            throw err;
          }
          // Defined: the VM owns its volume now.
          await settle();
          if (body.start ?? true) {
            ctx.progress(0.7, 'Starting the VM');
            const argv = startArgv(uri, body.name);
            ctx.log(commandLineOf(argv));
            await runVirsh(runner, argv);
          }
          ctx.progress(0.9, 'Reading back the VM');
          await inv.refreshOne(body.name);
          const started = body.start ?? true;
          return {
            message: `VM "${body.name}" created${started ? ' and started' : ''}`,
            code: started ? 'vm.createdStarted' : 'vm.created',
            params: { name: body.name },
          };
        },
      });
    },

    /**
     * Network installs fetch kernel and installer from the tree at --location: that is what
     * virt-install does, so on hosts that have it Mirador runs exactly the command it shows.
     */
    async createWithVirtInstall(
      hostId: string,
      body: CreateVmBody,
      argv: string[],
      user: { id: string; name: string },
      warnings: string[] = [],
    ): Promise<Task> {
      const inv = await loaded(hostId);
      const runner = await connections.runner(hostId);
      const probe = await runner.exec(['virt-install', '--version'], { timeoutMs: 30_000 }).catch(() => null);
      if (!probe || probe.code !== 0) {
        throw badRequest(
          `Network installs need virt-install on ${inv.host.name} (package virtinst); use an ISO, a disk or kernel boot instead`,
          'install',
        );
      }
      return tasks.start({
        type: 'vm.create',
        target: { type: 'vm', id: body.name, name: body.name, hostId },
        user,
        cancellable: false,
        params: { ...body, command: commandLineOf(argv) },
        run: async (ctx) => {
          for (const w of warnings) ctx.log(w, 'warn');
          ctx.log(commandLineOf(argv));
          ctx.progress(null, 'virt-install is fetching the installer and defining the VM');
          const res = await runner.exec(argv, { timeoutMs: 30 * 60_000 });
          for (const line of `${res.stdout}\n${res.stderr}`
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean))
            ctx.log(line, res.code === 0 ? 'info' : 'error');
          if (res.timedOut) throw new Error('virt-install did not finish within 30 minutes');
          if (res.code !== 0) {
            const why =
              res.stderr
                .split('\n')
                .map((l) => l.trim())
                .filter((l) => /^ERROR/i.test(l))
                .join(' ') || `virt-install exited with ${res.code}`;
            throw new Error(why.replace(/^ERROR\s*/i, ''));
          }
          if ((body.graphics ?? 'vnc') === 'vnc') {
            // virt-install had no password for the display (argv shows in the host's process list); set it over stdin.
            const setPassword = updateDeviceArgv(inv.host.libvirtUri, body.name, undefined, { live: true });
            ctx.log(`${commandLineOf(setPassword)} < vnc-graphics.xml  (the display's password, never shown)`);
            await runVirshWithXml(
              runner,
              (file) => updateDeviceArgv(inv.host.libvirtUri, body.name, file, { live: true }),
              buildVncGraphicsXml(newVncPassword()),
            ).catch((err: unknown) => ctx.log(`Could not set the VNC password: ${(err as Error).message}`, 'warn'));
          }
          await inv.refreshOne(body.name);
          return `VM "${body.name}" created; the installer is running (open its console)`;
        },
      });
    },

    /** The shared console session of a VM (created on first viewer). */
    async consoleSession(hostId: string, name: string) {
      const { inv, uri } = await vmOf(hostId, name);
      return consoles.session({
        hostId,
        name,
        uri,
        runner: () => connections.runner(hostId),
        isRunning: () => inv.vms.get(name)?.state === 'running',
        hasSerialConsole: () => inv.vms.get(name)?.hasSerialConsole ?? false,
      });
    },

    close() {
      clearInterval(addressTimer);
      consoles.closeAll();
      offHosts();
      for (const inv of inventories.values()) inv.close();
      inventories.clear();
    },
  };
}

export type VmsService = ReturnType<typeof createVmsService>;
