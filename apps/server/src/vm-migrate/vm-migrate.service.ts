import type { MigrateVmBody, MigrationPreflight, Task } from '@mirador/contract';
import {
  commandLineOf,
  defineArgv,
  domjobabortArgv,
  domjobinfoArgv,
  offlineDumpxmlArgv,
  parseDomjobinfo,
  undefineArgv,
  withCLocale,
} from '@mirador/libvirt';
import type { PrismaClient } from '../db/client.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import type { TaskContext, TaskManager } from '../tasks/task-manager.js';
import { conflict } from '../lib/http-errors.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import type { VmsService } from '../vms/vms.service.js';
import { planMigration, type MigrationPlan } from './migrate-preflight.js';

/** A large guest over a slow link takes long; domjobabort (cancel) ends it sooner. */
const MIGRATE_TIMEOUT_MS = 6 * 60 * 60_000;
const POLL_MS = 1_000;

const mib = (bytes: number | undefined) => (bytes === undefined ? '?' : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

/**
 * Live migration (issue #11): the pre-flight (migrate-preflight.ts) and the task that runs
 * `virsh migrate --live --persistent [--undefinesource]` on the SOURCE host, polls `domjobinfo` for
 * progress, cancels with `domjobabort`, and re-reads the VM on both hosts when it ends.
 */
export function createVmMigrateService(deps: { db: PrismaClient; vms: VmsService; connections: ConnectionPool; tasks: TaskManager }) {
  const { vms, tasks } = deps;

  function preflightOf(p: MigrationPlan): MigrationPreflight {
    return {
      ok: p.ok,
      sourceHostName: p.target.hostName,
      destinationHostName: p.destination.name,
      destinationUri: p.destinationUri,
      command: p.destinationUri ? p.commands.join('\n') : null,
      checks: p.checks,
    };
  }

  async function run(ctx: TaskContext, hostId: string, name: string, p: MigrationPlan, argv: string[]): Promise<string> {
    const { uri } = p.target;
    const runner = p.sourceRunner;
    for (const c of p.checks) ctx.log(`Pre-flight ${c.ok === true ? '✓' : c.ok === null ? '?' : '✗'} ${c.title}: ${c.detail}`);
    ctx.log(commandLineOf(argv));
    ctx.progress(0, `Migrating "${name}" to ${p.destination.name}`);
    let done = false;
    const migrating = runVirsh(runner, argv, { timeoutMs: MIGRATE_TIMEOUT_MS }).finally(() => {
      done = true;
    });
    let aborted = false;
    let last: { at: number; bytes: number } | null = null;
    const poll = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (done) break;
        if (ctx.signal.aborted && !aborted) {
          aborted = true;
          ctx.log(commandLineOf(domjobabortArgv(uri, name)), 'warn');
          await runVirsh(runner, domjobabortArgv(uri, name)).catch((e: unknown) =>
            ctx.log(`domjobabort: ${(e as Error).message}`, 'error'),
          );
        }
        const out = await runVirsh(runner, withCLocale(domjobinfoArgv(uri, name))).catch(() => null);
        if (!out) continue;
        const info = parseDomjobinfo(out);
        if (info.jobType === 'None' || info.dataProcessedBytes === undefined) continue;
        const now = Date.now();
        const speed = last && now > last.at ? ((info.dataProcessedBytes - last.bytes) * 1000) / (now - last.at) : undefined;
        last = { at: now, bytes: info.dataProcessedBytes };
        ctx.progress(
          info.fraction ?? null,
          `${mib(info.dataRemainingBytes)} of ${mib(info.dataTotalBytes)} remaining${speed !== undefined && speed >= 0 ? `, ${mib(speed)}/s` : ''}`,
        );
      }
    })();
    try {
      await migrating;
    } catch (err) {
      if (aborted) throw new Error(`Cancelled: ${(err as Error).message}`, { cause: err });
      throw err;
    } finally {
      await poll;
      // Either way both inventories are read again: a failed migration leaves the VM on the source.
      await vms.refreshVm(hostId, name).catch(() => null);
      await vms.refreshVm(p.destination.id, name).catch(() => null);
    }
    ctx.progress(1, 'Done');
    return `VM "${name}" migrated live to ${p.destination.name}`;
  }

  /** A shut-off VM: its inactive definition (with its VNC password) defined on the destination, then undefined here. */
  async function runOffline(ctx: TaskContext, hostId: string, name: string, p: MigrationPlan, undefineSource: boolean): Promise<string> {
    const { uri } = p.target;
    for (const c of p.checks) ctx.log(`Pre-flight ${c.ok === true ? '✓' : c.ok === null ? '?' : '✗'} ${c.title}: ${c.detail}`);
    try {
      ctx.progress(0.1, 'Reading the definition');
      ctx.log(p.commands[0] ?? '');
      const xml = await runVirsh(p.sourceRunner, offlineDumpxmlArgv(uri, name));
      if (ctx.signal.aborted) throw new Error('Cancelled');
      ctx.progress(0.4, `Defining "${name}" on ${p.destination.name}`);
      ctx.log(p.commands[1] ?? '');
      const dstUri = p.destinationLibvirtUri;
      await runVirshWithXml(await p.destinationRunner(), (file) => defineArgv(dstUri, file), xml);
      if (undefineSource) {
        ctx.progress(0.8, `Removing the definition from ${p.target.hostName}`);
        ctx.log(p.commands[2] ?? '');
        await runVirsh(p.sourceRunner, undefineArgv(uri, name)).catch((err: unknown) => {
          ctx.log(`"${name}" is now defined on both hosts: ${(err as Error).message}`, 'error');
          throw err;
        });
      }
    } finally {
      await vms.refreshVm(hostId, name).catch(() => null);
      await vms.refreshVm(p.destination.id, name).catch(() => null);
    }
    ctx.progress(1, 'Done');
    return `VM "${name}" (shut off) moved to ${p.destination.name}`;
  }

  return {
    async preflight(hostId: string, name: string, body: MigrateVmBody): Promise<MigrationPreflight> {
      return preflightOf(await planMigration(deps, hostId, name, body));
    },

    async migrate(hostId: string, name: string, body: MigrateVmBody, user: { id: string; name: string }): Promise<Task> {
      const p = await planMigration(deps, hostId, name, body);
      const argv = p.argv;
      if (!p.ok || (p.mode === 'live' && !argv)) {
        const failed = p.checks.filter((c) => c.ok === false);
        throw conflict(`The migration pre-flight failed: ${failed.map((c) => `${c.title}: ${c.detail}`).join(' ')}`, 'destinationHostId');
      }
      return tasks.start({
        type: 'vm.migrate',
        target: { type: 'vm', id: name, name, hostId },
        user,
        cancellable: true,
        params: { ...body, mode: p.mode, destinationHostName: p.destination.name, command: p.commands.join('\n') },
        run: (ctx) => (argv ? run(ctx, hostId, name, p, argv) : runOffline(ctx, hostId, name, p, body.undefineSource ?? true)),
      });
    },
  };
}

export type VmMigrateService = ReturnType<typeof createVmMigrateService>;
