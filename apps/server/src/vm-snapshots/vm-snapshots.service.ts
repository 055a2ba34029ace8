import type { CreateSnapshotBody, SnapshotPreview, Task, VmSnapshot, VmSnapshotList } from '@mirador/contract';
import {
  commandLineOf,
  isValidSnapshotName,
  parseNameList,
  parseSnapshotXml,
  snapshotCreateAsArgv,
  snapshotCurrentArgv,
  snapshotDeleteArgv,
  snapshotDumpxmlArgv,
  snapshotListNamesArgv,
  snapshotRevertArgv,
  snapshotTree,
  type SnapshotInfo,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import type { TaskManager } from '../tasks/task-manager.js';
import type { VmTarget } from '../vms/vms.service.js';
import { conflict, notFound } from '../lib/http-errors.js';
import { VirshError, runVirsh, virshBatch } from '../vms/virsh.js';
import { MEMORY_ALWAYS_WHEN_RUNNING, createRefusal, isActive } from './snapshot-rules.js';

type User = { id: string; name: string };

/** Snapshot reads per virsh session: one round trip for a typical tree, bounded output for huge ones. */
const DUMPXML_CHUNK = 40;
/** Saving a running guest's memory to a slow disk takes a while; reverting loads it back. */
const SNAPSHOT_TIMEOUT_MS = 15 * 60_000;

/** virshBatch takes what follows `virsh -c URI`; the builders return whole argv (also shown to people). */
const subcommand = (argv: string[]) => argv.slice(3);

export function createVmSnapshotsService(deps: {
  target(hostId: string, name: string): Promise<VmTarget>;
  tasks: Pick<TaskManager, 'start'>;
}) {
  const { tasks } = deps;

  /** Every snapshot of a VM in two virsh sessions: names + current, then every snapshot-dumpxml at once. */
  async function readAll(runner: CommandRunner, uri: string, vm: string): Promise<{ infos: SnapshotInfo[]; current: string | null }> {
    const [names, current] = await virshBatch(runner, uri, [
      subcommand(snapshotListNamesArgv(uri, vm)),
      subcommand(snapshotCurrentArgv(uri, vm)),
    ]);
    const all = parseNameList(names ?? '');
    const batchable = all.filter(isValidSnapshotName);
    const infos: SnapshotInfo[] = [];
    const keep = (xml: string | undefined) => {
      // A snapshot deleted between the two sessions prints nothing: leave it out.
      if (!xml?.includes('<domainsnapshot')) return;
      infos.push(parseSnapshotXml(xml));
    };
    for (let i = 0; i < batchable.length; i += DUMPXML_CHUNK) {
      const chunk = batchable.slice(i, i + DUMPXML_CHUNK);
      for (const xml of await virshBatch(
        runner,
        uri,
        chunk.map((s) => subcommand(snapshotDumpxmlArgv(uri, vm, s))),
      ))
        keep(xml);
    }
    // Names made outside Mirador that virsh's script form cannot carry: one quoted argv each.
    for (const s of all.filter((n) => !isValidSnapshotName(n))) {
      keep(await runVirsh(runner, snapshotDumpxmlArgv(uri, vm, s)).catch(() => undefined));
    }
    return { infos, current: parseNameList(current ?? '')[0] ?? null };
  }

  /** One snapshot, or 404. */
  async function readOne(t: VmTarget, runner: CommandRunner, snapshot: string): Promise<SnapshotInfo> {
    try {
      return parseSnapshotXml(await runVirsh(runner, snapshotDumpxmlArgv(t.uri, t.vm.name, snapshot)));
    } catch (err) {
      if (err instanceof VirshError && /snapshot not found|no domain snapshot/i.test(err.message)) {
        throw notFound(`Snapshot "${snapshot}" of VM "${t.vm.name}"`);
      }
      throw err;
    }
  }

  function toItem(uri: string, vm: string, s: ReturnType<typeof snapshotTree>[number]): VmSnapshot {
    const manageable = isValidSnapshotName(s.name);
    const line = (argv: () => string[]) => (manageable ? commandLineOf(argv()) : '');
    return {
      name: s.name,
      description: s.description,
      createdAt: s.createdAt,
      state: s.state,
      memory: s.memory !== 'no',
      location: s.memory === 'external' || s.disks.some((d) => d.snapshot === 'external') ? 'external' : 'internal',
      parent: s.parent,
      children: s.children,
      depth: s.depth,
      current: s.current,
      manageable,
      commands: {
        revert: line(() => snapshotRevertArgv(uri, vm, s.name, { running: s.state === 'running' })),
        delete: line(() => snapshotDeleteArgv(uri, vm, s.name)),
        deleteWithChildren: line(() => snapshotDeleteArgv(uri, vm, s.name, { children: true })),
      },
    };
  }

  function createCommand(t: VmTarget, body: CreateSnapshotBody) {
    const argv = snapshotCreateAsArgv(t.uri, t.vm.name, { name: body.name, description: body.description });
    const warnings: string[] = [];
    const refusal = createRefusal(t.vm);
    if (refusal) warnings.push(refusal);
    else if (isActive(t.vm.state)) {
      if (body.memory === false) warnings.push(MEMORY_ALWAYS_WHEN_RUNNING);
      else warnings.push('The guest is paused while its memory is written into the disk image, then resumes.');
    }
    return { argv, warnings, refusal };
  }

  return {
    async list(hostId: string, name: string): Promise<VmSnapshotList> {
      const t = await deps.target(hostId, name);
      const { infos, current } = await readAll(await t.runner(), t.uri, name);
      const refusal = createRefusal(t.vm);
      return {
        items: snapshotTree(infos, current).map((s) => toItem(t.uri, name, s)),
        current,
        canCreate: refusal === null,
        createRefusal: refusal,
        commands: { list: commandLineOf(snapshotListNamesArgv(t.uri, name)) },
      };
    },

    /** The line a create request would run and what to know first (nothing runs). */
    async preview(hostId: string, name: string, body: CreateSnapshotBody): Promise<SnapshotPreview> {
      const t = await deps.target(hostId, name);
      const { argv, warnings } = createCommand(t, body);
      return { command: commandLineOf(argv), warnings };
    },

    async create(hostId: string, name: string, body: CreateSnapshotBody, user: User): Promise<Task> {
      const t = await deps.target(hostId, name);
      const { argv, refusal } = createCommand(t, body);
      if (refusal) throw conflict(refusal);
      const active = isActive(t.vm.state);
      if (active && body.memory === false) throw conflict(MEMORY_ALWAYS_WHEN_RUNNING, 'memory');
      const runner = await t.runner();
      const [existing] = await virshBatch(runner, t.uri, [subcommand(snapshotListNamesArgv(t.uri, name))]);
      if (parseNameList(existing ?? '').includes(body.name))
        throw conflict(`"${name}" already has a snapshot named "${body.name}"`, 'name');
      const command = commandLineOf(argv);
      return tasks.start({
        type: 'vm.snapshot.create',
        target: { type: 'vm', id: name, name, hostId },
        user,
        cancellable: false,
        params: { snapshot: body.name, description: body.description ?? null, memory: active, command },
        run: async (ctx) => {
          ctx.log(command);
          ctx.progress(null, active ? 'Saving the disks and the memory (the guest is paused meanwhile)' : 'Saving the disks');
          await runVirsh(runner, argv, { timeoutMs: SNAPSHOT_TIMEOUT_MS });
          await t.refresh().catch(() => null);
          return {
            message: `Snapshot "${body.name}" of "${name}" taken${active ? ' with its memory' : ''}`,
            code: active ? 'vm.snapshotTakenMemory' : 'vm.snapshotTaken',
            params: { snapshot: body.name, vm: name },
          };
        },
      });
    },

    async revert(hostId: string, name: string, snapshot: string, user: User): Promise<Task> {
      const t = await deps.target(hostId, name);
      const runner = await t.runner();
      const snap = await readOne(t, runner, snapshot);
      if (snap.state === 'disk-snapshot' || snap.disks.some((d) => d.snapshot === 'external')) {
        throw conflict(
          `"${snapshot}" is an external (disk-only) snapshot; Mirador reverts internal snapshots only (libvirt before 9.9 cannot revert external ones).`,
        );
      }
      // A snapshot of a running VM comes back running; --running says so on the line people read.
      const argv = snapshotRevertArgv(t.uri, name, snapshot, { running: snap.state === 'running' });
      const command = commandLineOf(argv);
      return tasks.start({
        type: 'vm.snapshot.revert',
        target: { type: 'vm', id: name, name, hostId },
        user,
        cancellable: false,
        params: { snapshot, command },
        run: async (ctx) => {
          ctx.log(
            `Discarding everything "${name}" did since "${snapshot}" (disk changes${isActive(t.vm.state) ? ' and its running state' : ''})`,
            'warn',
          );
          ctx.log(command);
          ctx.progress(null, snap.memory !== 'no' ? 'Restoring the disks and the memory' : 'Restoring the disks');
          await runVirsh(runner, argv, { timeoutMs: SNAPSHOT_TIMEOUT_MS });
          const vm = await t.refresh().catch(() => null);
          return `"${name}" reverted to "${snapshot}"${vm ? ` (now ${vm.state})` : ''}`;
        },
      });
    },

    async remove(hostId: string, name: string, snapshot: string, withChildren: boolean, user: User): Promise<Task> {
      const t = await deps.target(hostId, name);
      const runner = await t.runner();
      const snap = await readOne(t, runner, snapshot);
      const argv = snapshotDeleteArgv(t.uri, name, snapshot, { children: withChildren });
      const command = commandLineOf(argv);
      return tasks.start({
        type: 'vm.snapshot.delete',
        target: { type: 'vm', id: name, name, hostId },
        user,
        cancellable: false,
        params: { snapshot, children: withChildren, command },
        run: async (ctx) => {
          ctx.log(command);
          if (!withChildren && snap.parent) ctx.log(`Snapshots below "${snapshot}" are attached to "${snap.parent}"`);
          ctx.progress(null, withChildren ? 'Deleting the snapshot and every snapshot below it' : 'Deleting the snapshot');
          await runVirsh(runner, argv, { timeoutMs: SNAPSHOT_TIMEOUT_MS });
          return `Snapshot "${snapshot}"${withChildren ? ' and the snapshots below it' : ''} deleted`;
        },
      });
    },
  };
}

export type VmSnapshotsService = ReturnType<typeof createVmSnapshotsService>;
