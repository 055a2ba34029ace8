import type Docker from 'dockerode';
import type {
  ContainerAction,
  ContainerActionBody,
  ContainerDetail,
  ContainerHealthDetail,
  ContainerList,
  ContainerListQuery,
  ContainerSummary,
  ContainerTop,
  CreateContainerBody,
  CreateContainerPreview,
  CreateContainerResult,
} from '@mirador/contract';
import {
  dockerCommands,
  droppedInspectSettings,
  dockerRunCommand,
  hideEnvValues,
  imageRegistry,
  parseCpuset,
  parseImageRef,
  sensitiveEnvNames,
  settingsFromInspect,
  toCreateOptions,
  validateContainerName,
  validateContainerRef,
} from '@mirador/docker';
import { HttpError, conflict, notFound } from '../lib/http-errors.js';
import type { DockerInventory } from './docker-inventory.js';
import { engineError, engineMessage, onEngine } from './docker-errors.js';
import type { Engine, EnginePool } from './engine-pool.js';
import type { DockerPolicies } from './docker-policy.js';
import { policyRefusal, type Caller, type PolicyJudge } from './policy-judge.js';
import type { Registries } from './registries.service.js';
import { explainRegistryFailure } from './registry-errors.js';

export type { Caller };

/** Who reads a container's detail: viewers see environment values only when the engine's policy says so. */
export interface Reader {
  isOperator: boolean;
}

type Log = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };

/** Label on the container a recreate sets aside, so a crash mid-way leaves an explainable name. */
const ASIDE_SUFFIX = '-mirador-previous';

/** How long an engine's CPU count is trusted (a cpuset is checked against it on every preview). */
const CPU_COUNT_TTL_MS = 60_000;

/* eslint-disable @typescript-eslint/no-explicit-any -- `docker inspect` JSON is read defensively. */
/** The healthcheck's state and last probes from `docker inspect` (null without a healthcheck). */
function healthOf(inspect: any, image: any): ContainerHealthDetail | null {
  const test: unknown = inspect?.Config?.Healthcheck?.Test ?? image?.Config?.Healthcheck?.Test;
  const h = inspect?.State?.Health;
  const argv = Array.isArray(test) ? test.filter((x): x is string => typeof x === 'string') : [];
  if ((!h && argv.length === 0) || argv[0] === 'NONE') return null;
  const time = (v: unknown): string | null => (typeof v === 'string' && !v.startsWith('0001') ? new Date(v).toISOString() : null);
  const log = (Array.isArray(h?.Log) ? h.Log : []).flatMap((p: any) => {
    const start = time(p?.Start);
    return start
      ? [{ start, end: time(p?.End), exitCode: Number.isInteger(p?.ExitCode) ? p.ExitCode : -1, output: String(p?.Output ?? '') }]
      : [];
  });
  return { status: typeof h?.Status === 'string' ? h.Status : 'none', failingStreak: Number(h?.FailingStreak ?? 0) || 0, test: argv, log };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function matches(c: ContainerSummary, q: ContainerListQuery): boolean {
  if (q.state && c.state !== q.state) return false;
  if (q.composeProject && c.composeProject !== q.composeProject) return false;
  if (q.q) {
    const needle = q.q.toLowerCase();
    if (![c.name, c.image, c.id, c.command, c.composeProject ?? ''].some((s) => s.toLowerCase().includes(needle))) return false;
  }
  return true;
}

export function createContainersService(deps: {
  engines: EnginePool;
  inventory: DockerInventory;
  policies: DockerPolicies;
  judge: PolicyJudge;
  registries: Registries;
  log: Log;
}) {
  const { engines, inventory, policies, judge, registries, log } = deps;
  const cpuCounts = new Map<string, { cpus: number; at: number }>();

  /** The engine's CPU count (cached briefly); 0 when the engine will not say. */
  async function cpuCount(engine: Engine): Promise<number> {
    const known = cpuCounts.get(engine.host.id);
    if (known && Date.now() - known.at < CPU_COUNT_TTL_MS) return known.cpus;
    const info = (await onEngine(engine.host.name, () => engine.docker.info())) as { NCPU?: number };
    const cpus = Number.isInteger(info.NCPU) && (info.NCPU ?? 0) > 0 ? info.NCPU! : 0;
    cpuCounts.set(engine.host.id, { cpus, at: Date.now() });
    return cpus;
  }

  /** What only the engine can tell: a cpuset naming CPUs it does not have is a 400 on `cpusetCpus`. */
  async function checkOnEngine(engine: Engine, body: CreateContainerBody): Promise<void> {
    if (body.cpusetCpus === undefined) return;
    const cpus = await cpuCount(engine);
    parseCpuset(body.cpusetCpus, 'cpusetCpus', cpus || undefined);
  }

  /** The container a route names (name, ID or unique ID prefix), from the warm inventory first. */
  async function resolve(hostId: string, ref: string): Promise<{ engine: Engine; id: string; name: string }> {
    validateContainerRef(ref, 'id');
    const engine = await engines.engine(hostId);
    const view = await inventory.viewOf(hostId);
    const known = inventory.findContainer(view, ref);
    if (known) return { engine, id: known.id, name: known.name };
    // Created a moment ago and not yet in the inventory, or the engine's view is down: ask it.
    try {
      const info = await engine.docker.getContainer(ref).inspect();
      return { engine, id: info.Id, name: info.Name.replace(/^\//, '') };
    } catch (err) {
      const e = engineError(err, engine.host.name);
      if (e.statusCode === 404) throw new HttpError(404, `No container "${ref}" on ${engine.host.name}`, { code: 'not_found' });
      throw e;
    }
  }

  /** `docker run` pulls a missing image; so do we (without progress: the pull dialog has that). */
  async function ensureImage(engine: Engine, image: string) {
    const ref = parseImageRef(image);
    try {
      await engine.docker.getImage(ref.normalized).inspect();
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw engineError(err, engine.host.name);
    }
    const auth = await registries.authFor(imageRegistry(image));
    log.info({ image: ref.normalized, host: engine.host.name }, 'pulling a missing image before create');
    try {
      const stream = await engine.docker.pull(ref.normalized, auth ? { authconfig: auth } : {});
      await new Promise<void>((resolve, reject) =>
        engine.docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
          const failed = out?.find((o) => o.error)?.error;
          if (err || failed) reject(err ?? new Error(failed));
          else resolve();
        }),
      );
    } catch (failure) {
      const err = explainRegistryFailure(failure, imageRegistry(image), auth);
      const why = engineMessage(err);
      // "Not there" is the user's to fix (a typo, a private image); an unreachable registry is not.
      const notThere = /not found|manifest unknown|pull access denied|does not exist|repository .* not found/i.test(why);
      throw new HttpError(notThere ? 404 : 502, `Image "${ref.normalized}" is not on ${engine.host.name} and could not be pulled: ${why}`, {
        code: notThere ? 'image_not_found' : 'pull_failed',
        field: 'image',
      });
    }
  }

  async function createAndStart(engine: Engine, body: CreateContainerBody): Promise<{ id: string; name: string; warnings: string[] }> {
    const { name, config } = toCreateOptions(body);
    const container = await onEngine(engine.host.name, () =>
      engine.docker.createContainer({ ...(config as Docker.ContainerCreateOptions), ...(name ? { name } : {}) }),
    );
    const info = await onEngine(engine.host.name, () => container.inspect());
    const warnings: string[] = [];
    // The engine drops what its kernel cannot do (cgroup v1 without the blkio weight, say) with only a log line.
    if (body.blkioWeight !== undefined && !info.HostConfig?.BlkioWeight)
      warnings.push(`blkioWeight: ${engine.host.name}'s kernel does not support block I/O weights; the engine discarded --blkio-weight.`);
    if (body.start !== false) {
      try {
        await container.start();
      } catch (err) {
        // `docker run` would leave a created-but-dead container behind; clean up so a retry can reuse the name.
        await container.remove({ force: true }).catch(() => {});
        throw engineError(err, engine.host.name);
      }
    }
    return { id: info.Id, name: info.Name.replace(/^\//, ''), warnings };
  }

  async function summaryAfter(hostId: string, id: string): Promise<ContainerSummary> {
    const c = await inventory.refreshContainer(hostId, id);
    if (!c)
      throw new HttpError(404, 'The container is gone (it was started with auto-remove, or removed meanwhile)', { code: 'not_found' });
    return c;
  }

  return {
    resolve,

    async list(hostId: string | null, q: ContainerListQuery): Promise<ContainerList> {
      // Fleet-wide: an engine that is slow to answer shows as 'loading' rather than holding up the others.
      const views = hostId ? [await inventory.viewOf(hostId)] : await inventory.all(5_000);
      const items = views.flatMap((v) => inventory.containers(v)).filter((c) => matches(c, q));
      items.sort((a, b) => a.hostName.localeCompare(b.hostName) || a.name.localeCompare(b.name));
      return { items, engines: views.map((v) => inventory.statusOf(v)) };
    },

    async detail(hostId: string, ref: string, reader: Reader): Promise<ContainerDetail> {
      const { engine, id } = await resolve(hostId, ref);
      let inspect = await onEngine(engine.host.name, () => engine.docker.getContainer(id).inspect());
      const image = await engine.docker
        .getImage(inspect.Image)
        .inspect()
        .catch(() => null);
      const settings = settingsFromInspect(inspect, image);
      const container = (await inventory.refreshContainer(hostId, id)) ?? null;
      if (!container) throw notFound('Container');
      const env = inspect.Config?.Env ?? [];
      // Values are often passwords; operators can exec and read them anyway, viewers cannot.
      const envValuesHidden = !reader.isOperator && !(await policies.get(hostId)).viewersSeeEnvValues;
      if (envValuesHidden) {
        inspect = { ...inspect, Config: { ...inspect.Config, Env: hideEnvValues(env) } };
        if (settings.env) settings.env = hideEnvValues(settings.env);
      }
      return {
        container,
        settings,
        inspect,
        runCommand: dockerRunCommand({ ...settings, start: true }),
        droppedSettings: droppedInspectSettings(inspect),
        envValuesHidden,
        sensitiveEnv: sensitiveEnvNames(env),
        health: healthOf(inspect, image),
      };
    },

    async preview(hostId: string, body: CreateContainerBody, caller: Caller): Promise<CreateContainerPreview> {
      const engine = await engines.engine(hostId);
      const { refusals, warnings } = await judge.create(engine, body, caller);
      await checkOnEngine(engine, body);
      return { command: dockerRunCommand(body), warnings, refusals };
    },

    async create(hostId: string, body: CreateContainerBody, caller: Caller): Promise<CreateContainerResult> {
      const engine = await engines.engine(hostId);
      const { refusals, warnings } = await judge.create(engine, body, caller);
      if (refusals.length) throw policyRefusal(engine.host.name, refusals);
      await checkOnEngine(engine, body);
      await ensureImage(engine, body.image);
      const made = await createAndStart(engine, body);
      await inventory.refreshContainer(hostId, made.id).catch(() => null);
      return { id: made.id, name: made.name, warnings: [...warnings, ...made.warnings], command: dockerRunCommand(body) };
    },

    async action(hostId: string, ref: string, action: ContainerAction, body: ContainerActionBody, caller: Caller) {
      const { engine, id, name } = await resolve(hostId, ref);
      const c = engine.docker.getContainer(id);
      // The engine resolves bind sources (and their symbolic links) at every start, not at create:
      // a directory swapped for a link to "/" after a container was created would reach the host on
      // its next start. So a non-admin's start is judged again, as the container stands now.
      if (!caller.isAdmin && (action === 'start' || action === 'restart' || action === 'unpause')) {
        const info = await onEngine(engine.host.name, () => c.inspect());
        const { refusals } = await judge.existing(engine, info, caller);
        if (refusals.length) throw policyRefusal(engine.host.name, refusals);
      }
      try {
        if (action === 'start') await c.start();
        else if (action === 'stop') await c.stop(body.timeout !== undefined ? { t: body.timeout } : {});
        else if (action === 'restart') await c.restart(body.timeout !== undefined ? { t: body.timeout } : {});
        else if (action === 'kill') await c.kill(body.signal ? { signal: body.signal } : {});
        else if (action === 'pause') await c.pause();
        else await c.unpause();
      } catch (err) {
        // 304: already in the wanted state; that is what the person asked for.
        if ((err as { statusCode?: number }).statusCode !== 304) throw engineError(err, engine.host.name);
      }
      return { container: await summaryAfter(hostId, id), command: dockerCommands.action(action, name, body) };
    },

    async rename(hostId: string, ref: string, newName: string) {
      validateContainerName(newName, 'name');
      const { engine, id, name } = await resolve(hostId, ref);
      await onEngine(engine.host.name, () => engine.docker.getContainer(id).rename({ name: newName }));
      return { container: await summaryAfter(hostId, id), command: dockerCommands.rename(name, newName) };
    },

    async remove(hostId: string, ref: string, opts: { force: boolean; volumes: boolean }) {
      const { engine, id, name } = await resolve(hostId, ref);
      await onEngine(engine.host.name, () => engine.docker.getContainer(id).remove({ force: opts.force, v: opts.volumes }));
      await inventory.refreshContainer(hostId, id).catch(() => null);
      return { command: dockerCommands.rm(name, opts) };
    },

    /**
     * New settings, same volumes: the old container is stopped and set aside under another name,
     * the new one takes its name; if the new one cannot be created or started, the old one comes back.
     */
    async recreate(hostId: string, ref: string, body: CreateContainerBody, caller: Caller): Promise<CreateContainerResult> {
      const { engine, id, name } = await resolve(hostId, ref);
      const { refusals, warnings } = await judge.create(engine, body, caller);
      if (refusals.length) throw policyRefusal(engine.host.name, refusals);
      await checkOnEngine(engine, body);
      const old = engine.docker.getContainer(id);
      const info = await onEngine(engine.host.name, () => old.inspect());
      if (info.HostConfig?.AutoRemove)
        throw conflict(
          'This container was started with auto-remove (--rm): stopping it would delete it, so it cannot be recreated in place',
        );
      await ensureImage(engine, body.image);
      const wasRunning = info.State?.Running === true;
      const dropped = droppedInspectSettings(info).map((d) => `Not carried over to the new container: ${d}`);
      const finalName = body.name ?? name;
      const aside = `${name.slice(0, 128 - ASIDE_SUFFIX.length)}${ASIDE_SUFFIX}`;
      if (wasRunning)
        await onEngine(engine.host.name, () =>
          old.stop({ t: 10 }).catch((e: { statusCode?: number }) => {
            if (e.statusCode !== 304) throw e;
          }),
        );
      await onEngine(engine.host.name, () => old.rename({ name: aside }));
      try {
        const made = await createAndStart(engine, { ...body, name: finalName });
        await old
          .remove({ force: true, v: false })
          .catch((err: unknown) => log.warn({ err, aside }, 'could not remove the previous container after a recreate'));
        await inventory.refreshContainer(hostId, id).catch(() => null);
        await inventory.refreshContainer(hostId, made.id).catch(() => null);
        return {
          id: made.id,
          name: made.name,
          warnings: [...warnings, ...dropped, ...made.warnings],
          command: `docker rm -f ${name} && ${dockerRunCommand({ ...body, name: finalName })}`,
        };
      } catch (err) {
        await old.rename({ name }).catch(() => {});
        if (wasRunning) await old.start().catch(() => {});
        await inventory.refreshContainer(hostId, id).catch(() => null);
        throw err;
      }
    },

    async top(hostId: string, ref: string): Promise<ContainerTop> {
      const { engine, id } = await resolve(hostId, ref);
      const r = await onEngine(engine.host.name, () => engine.docker.getContainer(id).top());
      return { titles: r.Titles ?? [], processes: r.Processes ?? [] };
    },

    async inspect(hostId: string, ref: string): Promise<{ engine: Engine; id: string; name: string; info: Docker.ContainerInspectInfo }> {
      const { engine, id, name } = await resolve(hostId, ref);
      const info = await onEngine(engine.host.name, () => engine.docker.getContainer(id).inspect());
      return { engine, id, name, info };
    },
  };
}

export type ContainersService = ReturnType<typeof createContainersService>;
