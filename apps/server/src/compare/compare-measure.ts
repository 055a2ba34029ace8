import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import type { CompareMeasureBody, CompareMeasurement, CompareStep, MessageParams, Task } from '@mirador/contract';
import {
  commandLineOf,
  defineArgv,
  destroyArgv,
  domstatsArgv,
  parseDomstatsRaw,
  startArgv,
  undefineArgv,
  volCreateAsArgv,
  volDeleteArgv,
} from '@mirador/libvirt';
import { computeStatsPoint, parseImageRef } from '@mirador/docker';
import type { CommandRunner } from '@mirador/ssh';
import type { EnginePool } from '../docker/engine-pool.js';
import type { TaskContext, TaskManager } from '../tasks/task-manager.js';
import type { UndoJournal } from '../recovery/undo-journal.js';
import type { VmsService } from '../vms/vms.service.js';
import { resolveOnHost } from '../vms/vm-paths.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import { HttpError, badRequest, notFound } from '../lib/http-errors.js';
import { vmFootprint } from './compare-figures.js';
import type { CompareResults } from './compare-results.js';
import {
  COMPARE_CONTAINER_CMD,
  COMPARE_IMAGES,
  COMPARE_KIT,
  COMPARE_POOL,
  COMPARE_READY_LINE,
  compareName,
  compareVmBody,
} from './compare-kit.js';
import { waitForConsoleText, waitForFirstOutput } from './compare-waits.js';

const BOOT_TIMEOUT_MS = 120_000;
const FIRST_LINE_TIMEOUT_MS = 60_000;

type Log = { warn(obj: unknown, msg: string): void };

export interface CompareMeasureDeps {
  vms: Pick<VmsService, 'preview' | 'refreshVm' | 'consoleSession'>;
  runner: (hostId: string) => Promise<CommandRunner>;
  engines: Pick<EnginePool, 'engine'>;
  tasks: Pick<TaskManager, 'start'>;
  undo: Pick<UndoJournal, 'note'>;
  results: Pick<CompareResults, 'save'>;
  /** The host row's name and libvirt URI; null for an unknown host. */
  hostOf: (hostId: string) => Promise<{ name: string; libvirtUri: string | null } | null>;
  log: Log;
}

/** Something the measurement made, and how it goes away again (run in reverse order, always). */
interface Made {
  what: string;
  command: string;
  remove(): Promise<void>;
}

/** An image already on the engine: the one asked for, or the first of COMPARE_IMAGES present. Never pulled. */
async function pickImage(docker: Docker, asked: string | undefined): Promise<{ ref: string; sizeBytes: number }> {
  const candidates = asked !== undefined ? [parseImageRef(asked).normalized] : [...COMPARE_IMAGES];
  for (const ref of candidates) {
    const info = (await docker
      .getImage(ref)
      .inspect()
      .catch(() => null)) as { Size?: number } | null;
    if (info) return { ref, sizeBytes: info.Size ?? 0 };
  }
  throw new HttpError(
    400,
    asked !== undefined
      ? `The image "${asked}" is not on this engine; the measurement never pulls one (pull it first)`
      : `None of ${COMPARE_IMAGES.join(', ')} is on this engine: name a small image it has (with a shell)`,
    { code: 'compare.noImage', field: 'image' },
  );
}

/** What `docker stats` calls memory usage (without page cache), null when the engine cannot tell. */
async function containerRss(c: Docker.Container): Promise<number | null> {
  const raw: unknown = await c.stats({ stream: false }).catch(() => null);
  if (!raw) return null;
  const bytes = computeStatsPoint(raw).memoryBytes;
  return bytes > 0 ? bytes : null;
}

/** Sum of the sizes of host files, over the host connection (`stat -L`: the files the kit's links name). */
async function fileBytes(runner: CommandRunner, paths: readonly string[]): Promise<number> {
  const res = await runner.exec(['stat', '-L', '-c', '%s', ...paths], { timeoutMs: 10_000 });
  if (res.code !== 0) return 0;
  return res.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isFinite(n))
    .reduce((a, n) => a + n, 0);
}

/**
 * The measurement task: a throwaway VM (the lab's kernel-boot kit, through the VM create path's own
 * checks) timed from `virsh start` to its shell prompt on the serial console, and a throwaway
 * container timed from `docker start` to its first log line; then both footprints. Everything it
 * makes is named `mirador-compare-…` and removed at the end — also when a step fails or the task is
 * cancelled; a crash in between is undone at the next start (the undo journal has the VM's parts,
 * and the container removes itself when its sleep ends).
 */
export function createCompareMeasure(deps: CompareMeasureDeps) {
  let running: string | null = null;

  async function kitOnHost(runner: CommandRunner, hostId: string) {
    for (const path of [COMPARE_KIT.kernel, COMPARE_KIT.initrd]) {
      if ((await resolveOnHost(runner, path)) === null) {
        throw new HttpError(
          409,
          `The VM boot kit is not on this host: ${path} is missing (the lab installs it with "bash scripts/lab.sh up")`,
          {
            code: 'compare.noKit',
            field: 'vmHostId',
            params: { path, hostId },
          },
        );
      }
    }
  }

  return {
    /** Checks what it can before answering (hosts, kit, image, the create request), then runs as a task. */
    async start(body: CompareMeasureBody, user: { id: string; name: string }): Promise<Task> {
      if (running) throw new HttpError(409, 'A measurement is already running: wait for it or cancel it', { code: 'compare.busy' });
      // Held from here: a second request arriving while this one is checked is refused too.
      const name = compareName(randomBytes(4).toString('hex'));
      running = name;
      try {
        const vmHost = await deps.hostOf(body.vmHostId);
        if (!vmHost) throw notFound('Host');
        if (!vmHost.libvirtUri) throw badRequest(`Host "${vmHost.name}" has no libvirt connection configured`, 'vmHostId');
        const engine = await deps.engines.engine(body.engineHostId);
        const image = await pickImage(engine.docker, body.image);
        const runner = await deps.runner(body.vmHostId);
        await kitOnHost(runner, body.vmHostId);
        // The same checks as the VM wizard's create (paths judged on the host as for an operator).
        const plan = await deps.vms.preview(body.vmHostId, compareVmBody(name), { isAdmin: false });
        return await deps.tasks.start({
          type: 'compare.measure',
          target: { type: 'compare', id: name, name, hostId: body.vmHostId },
          user,
          cancellable: true,
          params: { vmHostId: body.vmHostId, engineHostId: body.engineHostId, image: image.ref },
          run: (ctx) =>
            measure(ctx, { body, user, name, plan, runner, engine, image, hostName: vmHost.name }).finally(() => {
              if (running === name) running = null;
            }),
        });
      } catch (err) {
        if (running === name) running = null;
        throw err;
      }
    },
  };

  async function measure(
    ctx: TaskContext,
    m: {
      body: CompareMeasureBody;
      user: { id: string; name: string };
      name: string;
      plan: Awaited<ReturnType<VmsService['preview']>>;
      runner: CommandRunner;
      engine: Awaited<ReturnType<EnginePool['engine']>>;
      image: { ref: string; sizeBytes: number };
      hostName: string;
    },
  ): Promise<{ message: string; code: string; params: MessageParams }> {
    const { name, plan, runner, engine, image } = m;
    const uri = plan.uri;
    const hostId = m.body.vmHostId;
    const steps: CompareStep[] = [];
    const made: Made[] = [];
    const settles: Array<() => Promise<void>> = [];
    const volume = `${name}.qcow2`;

    const checkCancel = () => {
      if (ctx.signal.aborted) throw new Error('Cancelled');
    };
    /** One timed step: progress for the UI, the equivalent command in the log and in the results. */
    async function step<T>(fraction: number, code: string, what: string, command: string, fn: () => Promise<T>): Promise<T> {
      checkCancel();
      ctx.progress(fraction, what, { code: `compare.step.${code}` });
      ctx.log(`$ ${command}`);
      const t0 = performance.now();
      const out = await fn();
      steps.push({ what, command, ms: Math.round(performance.now() - t0) });
      return out;
    }

    let failed = true;
    try {
      // ---- the VM ----
      const volArgv = volCreateAsArgv(uri, { pool: COMPARE_POOL, name: volume, sizeGiB: 1, format: 'qcow2' });
      settles.push(
        await deps.undo.note({
          hostId,
          what: `the volume ${COMPARE_POOL}/${volume} of a Compare measurement`,
          undo: volDeleteArgv(uri, COMPARE_POOL, volume),
          target: { type: 'storage-volume', name: volume },
          taskId: ctx.taskId,
        }),
      );
      await step(0.05, 'volume', 'Creating the VM disk', commandLineOf(volArgv), () => runVirsh(runner, volArgv, { timeoutMs: 60_000 }));
      const volDelete = volDeleteArgv(uri, COMPARE_POOL, volume);
      made.push({ what: `volume ${volume}`, command: commandLineOf(volDelete), remove: () => runVirsh(runner, volDelete).then(() => {}) });

      settles.push(
        await deps.undo.note({
          hostId,
          what: `the VM "${name}" of a Compare measurement`,
          undo: undefineArgv(uri, name, { nvram: true }),
          target: { type: 'vm', name },
          taskId: ctx.taskId,
        }),
      );
      await step(0.15, 'define', 'Defining the VM', `${commandLineOf(defineArgv(uri))} < ${name}.xml`, () =>
        runVirshWithXml(runner, (file) => defineArgv(uri, file), plan.xml),
      );
      const undefine = undefineArgv(uri, name, { nvram: true });
      made.push({ what: `VM ${name}`, command: commandLineOf(undefine), remove: () => runVirsh(runner, undefine).then(() => {}) });

      const start = startArgv(uri, name);
      const destroy = destroyArgv(uri, name);
      const bootMs = await step(
        0.25,
        'boot',
        'Starting the VM and waiting for its shell prompt on the serial console',
        `${commandLineOf(start)} && ${commandLineOf(['virsh', '-c', uri, 'console', name])}`,
        async () => {
          const t0 = performance.now();
          await runVirsh(runner, start);
          made.push({
            what: `running VM ${name}`,
            command: commandLineOf(destroy),
            remove: () =>
              runVirsh(runner, destroy).then(
                () => {},
                (err: Error) => {
                  if (!/not running|not found|no domain/i.test(err.message)) throw err;
                },
              ),
          });
          await deps.vms.refreshVm(hostId, name);
          const session = await deps.vms.consoleSession(hostId, name);
          const at = await waitForConsoleText(session, COMPARE_KIT.prompt, ctx.signal, BOOT_TIMEOUT_MS);
          return Math.max(1, Math.round(at - t0));
        },
      );
      ctx.log(`The VM reached its prompt ${bootMs} ms after virsh start`);

      const statsArgv = domstatsArgv(uri, { domains: [name] });
      const vm = await step(0.55, 'vmFootprint', 'Reading the VM footprint', commandLineOf(statsArgv), async () => {
        const stats = parseDomstatsRaw(await runVirsh(runner, statsArgv)).get(name);
        const boot = plan.spec.boot.kind === 'kernel' ? [plan.spec.boot.kernel, plan.spec.boot.initrd].filter((p): p is string => !!p) : [];
        return { ...vmFootprint(stats), bootFilesBytes: await fileBytes(runner, boot) };
      });

      // ---- the container ----
      const createLine = commandLineOf([
        'docker',
        'create',
        '--name',
        name,
        '--network',
        'none',
        '--rm',
        image.ref,
        ...COMPARE_CONTAINER_CMD,
      ]);
      const container = await step(0.65, 'containerCreate', 'Creating the container', createLine, async () => {
        const c = await engine.docker.createContainer({
          name,
          Image: image.ref,
          Cmd: [...COMPARE_CONTAINER_CMD],
          Labels: { 'mirador.compare': 'throwaway' },
          // --rm: should Mirador die before removing it, it goes when its sleep ends.
          HostConfig: { NetworkMode: 'none', AutoRemove: true },
        });
        const rm = commandLineOf(['docker', 'rm', '-f', name]);
        made.push({
          what: `container ${name}`,
          command: rm,
          remove: () =>
            c.remove({ force: true }).then(
              () => {},
              (err: { statusCode?: number }) => {
                // Gone already (--rm), or its removal is already under way.
                if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
              },
            ),
        });
        return c;
      });

      const startMs = await step(
        0.75,
        'containerStart',
        'Starting the container and waiting for its first log line',
        commandLineOf(['docker', 'start', '--attach', name]),
        async () => {
          const stream = await container.attach({ stream: true, stdout: true, stderr: true });
          const first = waitForFirstOutput(stream, COMPARE_READY_LINE, ctx.signal, FIRST_LINE_TIMEOUT_MS);
          // Awaited below; a start that fails first must not leave this one rejecting unheard.
          first.catch(() => {});
          const t0 = performance.now();
          await container.start();
          return Math.max(1, Math.round((await first) - t0));
        },
      );
      ctx.log(`The container printed its first line ${startMs} ms after docker start`);

      const rssBytes = await step(
        0.85,
        'containerFootprint',
        'Reading the container footprint',
        commandLineOf(['docker', 'stats', '--no-stream', name]),
        () => containerRss(container),
      );
      steps.push({ what: 'Image size', command: commandLineOf(['docker', 'image', 'inspect', '--format', '{{.Size}}', image.ref]), ms: 0 });

      const result: CompareMeasurement = {
        measuredAt: new Date().toISOString(),
        taskId: ctx.taskId,
        userName: m.user.name,
        vm: {
          hostId,
          hostName: m.hostName,
          name,
          hypervisor: plan.spec.domainType,
          bootMs,
          memoryBytes: plan.spec.memoryMiB * 1024 * 1024,
          memoryRssBytes: vm.memoryUsedBytes,
          diskCapacityBytes: vm.diskCapacityBytes,
          diskAllocationBytes: vm.diskAllocationBytes,
          bootFilesBytes: vm.bootFilesBytes,
        },
        container: {
          hostId: engine.host.id,
          hostName: engine.host.name,
          name,
          image: image.ref,
          startMs,
          rssBytes,
          imageBytes: image.sizeBytes,
        },
        steps,
      };
      checkCancel();
      await deps.results.save(result);
      failed = false;
      return {
        message: `VM: ${bootMs} ms to its prompt; container: ${startMs} ms to its first line`,
        code: 'compare.done',
        params: { bootMs, startMs },
      };
    } finally {
      await removeAll(ctx, made, settles, failed);
    }
  }

  /** Removes everything made, newest first; every failure is logged, and fails the task when nothing else did. */
  async function removeAll(ctx: TaskContext, made: Made[], settles: Array<() => Promise<void>>, alreadyFailed: boolean) {
    ctx.progress(0.95, 'Removing the throwaway VM and container', { code: 'compare.step.cleanup' });
    const left: string[] = [];
    for (const item of made.reverse()) {
      ctx.log(`$ ${item.command}`);
      try {
        await item.remove();
      } catch (err) {
        left.push(item.what);
        ctx.log(`Could not remove ${item.what}: ${(err as Error).message}`, 'error');
      }
    }
    // Every note's object is gone: nothing to undo at the next start (else the sweep tries again then).
    if (!left.length)
      for (const settle of settles) await settle().catch((err: unknown) => deps.log.warn({ err }, 'compare: settling an undo note failed'));
    if (left.length && !alreadyFailed) throw new Error(`Measured, but could not remove ${left.join(', ')}`);
  }
}

export type CompareMeasure = ReturnType<typeof createCompareMeasure>;
