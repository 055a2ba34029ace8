import type { ClonePreview, CloneVmBody, Task } from '@mirador/contract';
import {
  destroyArgv,
  assertDomainName,
  blockcopyArgv,
  blockjobAbortArgv,
  buildCloneDomainXml,
  buildLinkedVolumeXml,
  commandLineOf,
  defineArgv,
  parseVolInfoBytes,
  resumeArgv,
  startArgv,
  suspendArgv,
  undefineArgv,
  virtCloneArgv,
  volCloneArgv,
  volCreateArgv,
  volDeleteArgv,
  volCreateBytesArgv,
  volInfoBytesArgv,
  volPathArgv,
} from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import type { CodedMessage, TaskContext, TaskManager } from '../tasks/task-manager.js';
import { conflict } from '../lib/http-errors.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import type { VmTarget, VmsService } from '../vms/vms.service.js';
import { newVncPassword } from '../vnc/vnc-password.js';
import { newMacs, planClone, refuseLinkedWhileRunning, type ClonePlan, type VolumeCopy } from './clone-plan.js';

/** Where a new volume lands in a directory pool (shown in the preview; the task asks libvirt). */
function destPathOf(c: VolumeCopy): string {
  const dir = c.path.slice(0, c.path.lastIndexOf('/'));
  return `${dir}/${c.newVolume}`;
}

/** A full copy of a large disk takes long; a linked clone is one small file. */
const COPY_TIMEOUT_MS = 4 * 60 * 60_000;
const POLL_MS = 1_000;
const ACTIVE = new Set(['running', 'paused', 'pmsuspended', 'in shutdown']);

interface Prepared {
  target: VmTarget;
  runner: CommandRunner;
  plan: ClonePlan;
  /** The source is active: the copy is crash-consistent and needs the caller's consent. */
  sourceRunning: boolean;
  /** Pause it for the copy (a paused source stays paused, and is not resumed). */
  suspend: boolean;
  preview: ClonePreview;
}

/**
 * Clone a VM (issue #11): the source's inactive definition rewritten (new name, UUID, MACs, disks,
 * VNC password) and defined after its pool-volume disks are copied or linked. See vm-clone.ts in
 * the contract for the rules; every failure or cancel removes what the clone had made. A cancel
 * takes effect once the disk being copied is done: libvirt's copy cannot be stopped halfway.
 */
export function createVmCloneService(deps: { vms: VmsService; tasks: TaskManager }) {
  const { vms, tasks } = deps;

  async function prepare(hostId: string, name: string, body: CloneVmBody): Promise<Prepared> {
    assertDomainName(body.name);
    const target = await vms.target(hostId, name);
    if (body.name === name || target.names().includes(body.name))
      throw conflict(`A VM named "${body.name}" already exists on ${target.hostName}`, 'name');
    const sourceRunning = ACTIVE.has(target.vm.state);
    if (sourceRunning && body.disks === 'linked') refuseLinkedWhileRunning(name);
    const runner = await target.runner();
    const plan = await planClone(target, runner, body);
    const { uri } = target;
    const suspend = sourceRunning && target.vm.state === 'running' && plan.copies.length > 0;
    const commands: string[] = [];
    if (suspend) commands.push(commandLineOf(suspendArgv(uri, name)));
    if (sourceRunning && body.disks === 'copy') {
      const odd = plan.copies.filter((c) => c.format !== 'qcow2' && c.format !== 'raw');
      if (odd.length)
        throw conflict(
          `"${name}" is ${target.vm.state} and ${odd.map((c) => `${c.target} is ${c.format}`).join(', ')}: a running VM's disks are copied by QEMU, as qcow2 or raw only. Shut it down first`,
          'allowRunningSource',
        );
    }
    for (const c of plan.copies) {
      if (body.disks === 'linked')
        commands.push(`${commandLineOf(volCreateArgv(uri, c.pool))} < ${c.newVolume}.xml  # a qcow2 with backing file ${c.path}`);
      else if (sourceRunning) {
        // QEMU holds the running image locked: it makes the copy itself, into a volume made first.
        commands.push(
          commandLineOf(
            volCreateBytesArgv(uri, {
              pool: c.pool,
              name: c.newVolume,
              capacityBytes: c.capacityBytes,
              format: c.format as 'qcow2' | 'raw',
            }),
          ),
        );
        commands.push(commandLineOf(blockcopyArgv(uri, name, c.target, destPathOf(c), c.format as 'qcow2' | 'raw')));
      } else commands.push(commandLineOf(volCloneArgv(uri, c.pool, c.volume, c.newVolume)));
    }
    if (suspend) commands.push(commandLineOf(resumeArgv(uri, name)));
    commands.push(`${commandLineOf(defineArgv(uri))} < ${body.name}.xml  # the inactive XML with new name, UUID, MACs and disks`);
    if (body.start) commands.push(commandLineOf(startArgv(uri, body.name)));
    const warnings = [...plan.warnings];
    if (sourceRunning)
      warnings.push(
        `"${name}" is ${target.vm.state}: the copy is crash-consistent (like pulling the power cord)${suspend ? '; it is paused during the copy and resumed after' : ''}.`,
      );
    if (body.disks === 'linked')
      warnings.push('virt-clone always makes full copies; the linked clone is made with virsh vol-create (a qcow2 backing file).');
    return {
      target,
      runner,
      plan,
      sourceRunning,
      suspend,
      preview: {
        command: commandLineOf(virtCloneArgv(uri, { original: name, name: body.name })),
        commands,
        disks: plan.disks,
        sourceRunning,
        warnings,
      },
    };
  }

  /** Runs one volume copy while reporting the new volume's allocation against the source's. */
  async function copyVolume(ctx: TaskContext, p: Prepared, c: VolumeCopy, mode: CloneVmBody['disks'], span: [number, number]) {
    const { uri } = p.target;
    if (mode === 'linked') {
      const xml = buildLinkedVolumeXml({
        name: c.newVolume,
        capacityBytes: c.capacityBytes,
        backingPath: c.path,
        backingFormat: c.format as 'qcow2' | 'raw',
      });
      ctx.log(`${commandLineOf(volCreateArgv(uri, c.pool))} < ${c.newVolume}.xml  (a qcow2 on top of ${c.path})`);
      await runVirshWithXml(p.runner, (file) => volCreateArgv(uri, c.pool, file), xml);
      return;
    }
    let argv = volCloneArgv(uri, c.pool, c.volume, c.newVolume);
    if (p.sourceRunning) {
      const format = c.format as 'qcow2' | 'raw';
      const create = volCreateBytesArgv(uri, { pool: c.pool, name: c.newVolume, capacityBytes: c.capacityBytes, format });
      ctx.log(commandLineOf(create));
      await runVirsh(p.runner, create);
      const dest = (await runVirsh(p.runner, volPathArgv(uri, c.pool, c.newVolume))).trim();
      argv = blockcopyArgv(uri, p.target.vm.name, c.target, dest, format);
    }
    ctx.log(commandLineOf(argv));
    let done = false;
    const copying = runVirsh(p.runner, argv, { timeoutMs: COPY_TIMEOUT_MS }).finally(() => {
      done = true;
    });
    const goal = Math.max(1, c.allocationBytes);
    const poll = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (done) break;
        const out = await runVirsh(p.runner, volInfoBytesArgv(uri, c.pool, c.newVolume)).catch(() => null);
        if (!out) continue;
        const { allocationBytes } = parseVolInfoBytes(out);
        const f = Math.min(1, allocationBytes / goal);
        ctx.progress(span[0] + (span[1] - span[0]) * f, `Copying ${c.target}: ${Math.round(f * 100)}%`);
      }
    })();
    try {
      await copying;
    } finally {
      await poll;
    }
  }

  async function run(ctx: TaskContext, p: Prepared, source: string, body: CloneVmBody): Promise<CodedMessage> {
    const { uri } = p.target;
    const { runner, plan } = p;
    ctx.log(`Equivalent command: ${p.preview.command}`);
    for (const w of p.preview.warnings) ctx.log(w, 'warn');
    const made: VolumeCopy[] = [];
    let defined = false;
    const stopIfCancelled = () => {
      if (ctx.signal.aborted) throw new Error('Cancelled');
    };
    try {
      let suspended = false;
      try {
        if (p.suspend) {
          ctx.progress(0.02, `Pausing "${source}" for the copy`);
          ctx.log(commandLineOf(suspendArgv(uri, source)));
          await runVirsh(runner, suspendArgv(uri, source));
          suspended = true;
        }
        for (const [i, c] of plan.copies.entries()) {
          stopIfCancelled();
          const from = 0.05 + (0.8 * i) / plan.copies.length;
          const to = 0.05 + (0.8 * (i + 1)) / plan.copies.length;
          ctx.progress(from, `${body.disks === 'copy' ? 'Copying' : 'Linking'} ${c.target} (${c.pool}/${c.volume} → ${c.newVolume})`);
          // Recorded before the copy ends: a copy that fails halfway leaves a partial volume to remove.
          made.push(c);
          await copyVolume(ctx, p, c, body.disks, [from, to]);
        }
      } finally {
        if (suspended) {
          ctx.log(commandLineOf(resumeArgv(uri, source)));
          await runVirsh(runner, resumeArgv(uri, source)).catch((err: unknown) =>
            ctx.log(`Could not resume "${source}": ${(err as Error).message}`, 'error'),
          );
        }
      }
      stopIfCancelled();
      ctx.progress(0.88, 'Defining the clone');
      const hasVnc = p.target.vm.graphics.some((g) => g.type === 'vnc');
      const xml = buildCloneDomainXml(plan.inactiveXml, {
        name: body.name,
        macs: newMacs(plan.interfaceCount, takenMacs(p.target)),
        disks: plan.copies.map((c) => ({ target: c.target, pool: c.pool, volume: c.newVolume, format: c.newFormat })),
        vncPassword: hasVnc ? newVncPassword() : undefined,
      });
      ctx.log(`${commandLineOf(defineArgv(uri))} < ${body.name}.xml`);
      await runVirshWithXml(runner, (file) => defineArgv(uri, file), xml);
      defined = true;
      if (hasVnc) ctx.log('The clone has its own VNC password (never shown)');
      if (body.start) {
        stopIfCancelled();
        ctx.progress(0.94, 'Starting the clone');
        ctx.log(commandLineOf(startArgv(uri, body.name)));
        await runVirsh(runner, startArgv(uri, body.name));
      }
    } catch (err) {
      if (p.sourceRunning) for (const c of made) await runVirsh(runner, blockjobAbortArgv(uri, source, c.target)).catch(() => null);
      await undo(ctx, runner, uri, body.name, defined, made);
      throw err;
    }
    // The inventory also hears libvirt's events; this makes the clone's page answer at once.
    await vms.refreshVm(p.target.vm.hostId, body.name).catch(() => null);
    return {
      message: `VM "${body.name}" cloned from "${source}"${body.start ? ' and started' : ''}`,
      code: body.start ? 'vm.clonedStarted' : 'vm.cloned',
      params: { name: body.name, source },
    };
  }

  async function undo(ctx: TaskContext, runner: CommandRunner, uri: string, name: string, defined: boolean, made: VolumeCopy[]) {
    if (defined) {
      ctx.log(`Undoing: ${commandLineOf(undefineArgv(uri, name, { nvram: true }))}`, 'warn');
      await runVirsh(runner, destroyArgv(uri, name)).catch(() => null);
      await runVirsh(runner, undefineArgv(uri, name, { nvram: true })).catch((e: unknown) =>
        ctx.log(`Could not undefine "${name}": ${(e as Error).message}`, 'error'),
      );
    }
    for (const c of made.reverse()) {
      const argv = volDeleteArgv(uri, c.pool, c.newVolume);
      ctx.log(`Undoing: ${commandLineOf(argv)}`, 'warn');
      await runVirsh(runner, argv).catch((e: unknown) => {
        // A copy that failed before libvirt made the file leaves nothing to delete.
        if (!/not found|no storage vol/i.test((e as Error).message))
          ctx.log(`Could not delete ${c.pool}/${c.newVolume}: ${(e as Error).message}`, 'error');
      });
    }
  }

  /** Every MAC on the host, from the inventory (any VM's NICs), so the clone's are new there. */
  function takenMacs(target: VmTarget): Set<string> {
    return new Set(
      target
        .all()
        .flatMap((vm) => vm.nics.map((n) => n.mac?.toLowerCase()))
        .filter((m): m is string => Boolean(m)),
    );
  }

  return {
    async preview(hostId: string, name: string, body: CloneVmBody): Promise<ClonePreview> {
      return (await prepare(hostId, name, body)).preview;
    },

    async clone(hostId: string, name: string, body: CloneVmBody, user: { id: string; name: string }): Promise<Task> {
      const p = await prepare(hostId, name, body);
      if (p.sourceRunning && !body.allowRunningSource) {
        throw conflict(
          `"${name}" is ${p.target.vm.state}: shut it down first, or accept a crash-consistent copy (it is paused during the copy and resumed after)`,
          'allowRunningSource',
        );
      }
      return tasks.start({
        type: 'vm.clone',
        target: { type: 'vm', id: body.name, name: body.name, hostId },
        user,
        cancellable: true,
        params: { source: name, ...body, command: p.preview.command },
        run: (ctx) => run(ctx, p, name, body),
      });
    },
  };
}

export type VmCloneService = ReturnType<typeof createVmCloneService>;
