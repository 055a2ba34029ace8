import type { CreateContainerBody, CreateVolumeBody, DockerPolicy } from '@mirador/contract';
import {
  type NamespaceJoin,
  type PolicyOptions,
  checkContainerPolicy,
  checkPolicy,
  checkVolumePolicy,
  containerJoins,
  joinedContainer,
  validateCreateBody,
  volumeBindDevice,
} from '@mirador/docker';
import type { ConnectionPool } from '../connections/connection-pool.js';
import { HttpError } from '../lib/http-errors.js';
import type { DockerPolicies } from './docker-policy.js';
import type { EngineFs } from './engine-fs.js';
import type { Engine } from './engine-pool.js';

export interface Caller {
  isAdmin: boolean;
}

export interface Judgement {
  /** Why a non-admin may not do it (always empty for admins). */
  refusals: string[];
  warnings: string[];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- `docker inspect` JSON is read defensively. */

/** How long a chain of `container:` joins is followed before it is refused rather than judged. */
const MAX_JOIN_DEPTH = 4;
const AFTER_LINKS = " (after following symbolic links on the engine's machine)";
const NS_NAME = { network: 'network', pid: 'process (PID)', ipc: 'IPC' } as const;

/**
 * The 403 for a policy refusal: every reason in the message, the first one's field (`driverOpts.o`,
 * `mounts[0].source`, `network`…) in `field` so a form can point at it.
 */
export function policyRefusal(hostName: string, refusals: string[]): HttpError {
  const field = /^([A-Za-z][\w.[\]-]*):/.exec(refusals[0] ?? '')?.[1];
  return new HttpError(403, `Not allowed on ${hostName} without an administrator: ${refusals.join('; ')}`, {
    code: 'docker.policyRefused',
    params: { host: hostName, reasons: refusals.join('; ') },
    ...(field ? { field } : {}),
  });
}

/**
 * The one place that decides what a non-admin may make an engine show a container: bind mounts,
 * volumes and their driver options, namespaces shared with other containers, and existing containers
 * (before a shell is opened in one). Every host path is judged twice: as written, and as the engine's
 * machine resolves it (under MIRADOR_ENGINE_ROOT for the local engine, or with `realpath -m` over the
 * host's SSH connection) — the engine follows symlinks, so `/srv/labs/x -> /` must be judged as `/`.
 */
export function createPolicyJudge(deps: {
  policies: DockerPolicies;
  connections: Pick<ConnectionPool, 'runner'>;
  engineFs: Pick<EngineFs, 'blindness' | 'resolve'>;
}) {
  const { policies, connections, engineFs } = deps;

  /**
   * `path` resolved on the engine's machine, or why it cannot be (then it cannot be allowed): the
   * local engine's through MIRADOR_ENGINE_ROOT (when Mirador can see that machine's files at all),
   * an SSH host's with `realpath -m` there.
   */
  async function realPath(engine: Engine, path: string): Promise<{ real: string } | { why: string }> {
    const unresolved = { why: `could not be resolved on ${engine.host.name}, so where it points cannot be checked` };
    try {
      if (engine.host.transport === 'socket') {
        const blind = await engineFs.blindness(engine);
        return blind ? { why: `cannot be checked: ${blind}` } : { real: await engineFs.resolve(path) };
      }
      const runner = await connections.runner(engine.host.id);
      const r = await runner.exec(['realpath', '-m', '--', path], { timeoutMs: 10_000 });
      const out = r.stdout.trim();
      return r.code === 0 && out.startsWith('/') && !out.includes('\n') ? { real: out } : unresolved;
    } catch {
      return unresolved;
    }
  }

  const optionsFor = async (engine: Engine, caller: Caller): Promise<{ policy: DockerPolicy; opts: PolicyOptions }> => ({
    policy: await policies.get(engine.host.id),
    opts: { isAdmin: caller.isAdmin, dockerSocketPaths: [engine.host.socketPath] },
  });

  /** Refusals of `again` that `first` did not have, marked as found after resolving links. */
  const newOnes = (first: string[], again: string[]): string[] => again.filter((r) => !first.includes(r)).map((r) => `${r}${AFTER_LINKS}`);

  /** Bind sources resolved on the engine's machine; the ones that cannot be resolved are refusals. */
  async function resolveBinds(engine: Engine, body: CreateContainerBody): Promise<{ body: CreateContainerBody; refusals: string[] }> {
    const refusals: string[] = [];
    const mounts = await Promise.all(
      (body.mounts ?? []).map(async (m, i) => {
        if (m.type !== 'bind') return m;
        const r = await realPath(engine, m.source);
        if ('why' in r) refusals.push(`mounts[${i}].source: "${m.source}" ${r.why}`);
        return { ...m, source: 'real' in r ? r.real : m.source };
      }),
    );
    return { body: { ...body, mounts }, refusals };
  }

  /** A volume's driver and options, with a bind device judged again after resolving it. */
  async function volumeOptions(
    engine: Engine,
    vol: Partial<CreateVolumeBody>,
    policy: DockerPolicy,
    opts: PolicyOptions,
  ): Promise<Judgement> {
    const first = checkVolumePolicy(vol, policy, opts);
    const device = volumeBindDevice(vol);
    if (opts.isAdmin || device === null || !device.startsWith('/') || first.refusals.length) return first;
    const r = await realPath(engine, device);
    if ('why' in r) return { refusals: [`driverOpts.device: "${device}" ${r.why}`], warnings: first.warnings };
    const again = checkVolumePolicy({ ...vol, driverOpts: { ...vol.driverOpts, device: r.real } }, policy, opts);
    return { refusals: newOnes(first.refusals, again.refusals), warnings: first.warnings };
  }

  /**
   * Named volumes a container mounts: one created with driver options (by an admin, say) is judged
   * as if the caller were creating it now. A missing name becomes a plain local volume: nothing to judge.
   */
  async function namedVolumes(engine: Engine, body: CreateContainerBody, policy: DockerPolicy, opts: PolicyOptions): Promise<Judgement> {
    const out: Judgement = { refusals: [], warnings: [] };
    await Promise.all(
      (body.mounts ?? []).map(async (m, i) => {
        if (m.type !== 'volume' || !m.source) return;
        let info: any;
        try {
          info = await engine.docker.getVolume(m.source).inspect();
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return;
          out.refusals.push(
            `mounts[${i}].source: the volume "${m.source}" could not be inspected on ${engine.host.name}, so its options cannot be checked`,
          );
          return;
        }
        const r = await volumeOptions(engine, { driver: info?.Driver ?? 'local', driverOpts: info?.Options ?? {} }, policy, opts);
        const prefix = (s: string) => `mounts[${i}].source: the volume "${m.source}" has ${s}`;
        out.refusals.push(...r.refusals.map(prefix));
        out.warnings.push(...r.warnings.map(prefix));
      }),
    );
    return out;
  }

  /** The containers whose namespaces are joined, each judged as an existing container. */
  async function judgeJoins(engine: Engine, joins: NamespaceJoin[], caller: Caller, depth: number, seen: Set<string>): Promise<string[]> {
    const refusals: string[] = [];
    for (const { field, container } of joins) {
      const ns = NS_NAME[field];
      if (depth >= MAX_JOIN_DEPTH) {
        refusals.push(
          `${field}: "${container}" is reached through more than ${MAX_JOIN_DEPTH} shared namespaces; joining it needs an administrator`,
        );
        continue;
      }
      let info: any;
      try {
        info = await engine.docker.getContainer(container).inspect();
      } catch {
        refusals.push(`${field}: there is no container "${container}" on ${engine.host.name} whose ${ns} namespace could be joined`);
        continue;
      }
      if (seen.has(info.Id)) continue; // already being judged further up the chain
      const target = await existing(engine, info, caller, depth + 1, seen);
      if (target.refusals.length) {
        refusals.push(
          `${field}: joining the ${ns} namespace of "${container}" needs an administrator: that container has settings you could not have created on this engine (${target.refusals.join('; ')})`,
        );
      }
    }
    return refusals;
  }

  /**
   * Whether the caller could have created the container `inspect` describes: the question before a
   * non-admin opens a shell in it, or joins one of its namespaces.
   */
  async function existing(engine: Engine, inspect: any, caller: Caller, depth = 0, seen = new Set<string>()): Promise<Judgement> {
    const { policy, opts } = await optionsFor(engine, caller);
    const joins = containerJoins(inspect);
    // Joins are judged below, container by container; here they only must not be refused blindly.
    const withJoins = { ...opts, allowedJoins: joins.map((j) => j.container) };
    const first = checkContainerPolicy(inspect, policy, withJoins);
    if (caller.isAdmin) return { refusals: [], warnings: first.warnings };
    seen.add(String(inspect?.Id ?? ''));
    const resolved = await resolveBinds(engine, first.settings);
    const again = checkPolicy(resolved.body, policy, withJoins);
    const volumes = await namedVolumes(engine, first.settings, policy, opts);
    const joined = await judgeJoins(engine, joins, caller, depth, seen);
    return {
      refusals: [...first.refusals, ...resolved.refusals, ...newOnes(first.refusals, again.refusals), ...volumes.refusals, ...joined],
      warnings: [...first.warnings, ...volumes.warnings],
    };
  }

  return {
    /** A create (or recreate) body: validated, then judged with paths resolved, volumes and joined containers looked at. */
    async create(engine: Engine, body: CreateContainerBody, caller: Caller): Promise<Judgement> {
      validateCreateBody(body);
      const { policy, opts } = await optionsFor(engine, caller);
      const joined = joinedContainer(body.network);
      const withJoin = { ...opts, allowedJoins: joined ? [joined] : [] };
      const first = checkPolicy(body, policy, withJoin);
      if (caller.isAdmin) return first;
      const resolved = await resolveBinds(engine, body);
      const again = checkPolicy(resolved.body, policy, withJoin);
      const volumes = await namedVolumes(engine, body, policy, opts);
      const joins = joined ? await judgeJoins(engine, [{ field: 'network', container: joined }], caller, 0, new Set()) : [];
      return {
        refusals: [...first.refusals, ...resolved.refusals, ...newOnes(first.refusals, again.refusals), ...volumes.refusals, ...joins],
        warnings: [...first.warnings, ...volumes.warnings],
      };
    },

    /** A volume about to be created. */
    async volume(engine: Engine, body: CreateVolumeBody, caller: Caller): Promise<Judgement> {
      const { policy, opts } = await optionsFor(engine, caller);
      return volumeOptions(engine, body, policy, opts);
    },

    existing: (engine: Engine, inspect: unknown, caller: Caller): Promise<Judgement> => existing(engine, inspect, caller),
  };
}

export type PolicyJudge = ReturnType<typeof createPolicyJudge>;
