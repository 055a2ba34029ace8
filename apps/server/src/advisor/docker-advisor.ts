import type Docker from 'dockerode';
import type { FindingTarget } from '@mirador/contract';
import type { DockerInventory } from '../docker/docker-inventory.js';
import type { EnginePool } from '../docker/engine-pool.js';
import { engineMessage } from '../docker/docker-errors.js';
import type { FindingDraft, RuleRun } from './finding-draft.js';
import { containerRules, type ContainerFacts, type EngineContext } from './docker-container-rules.js';
import { engineRules, type EngineFacts } from './docker-engine-rules.js';
import { imageRules, type ImageUse } from './docker-image-rules.js';

/** Inspects at a time per engine: enough to be quick, few enough not to crowd the engine's socket. */
const INSPECT_CONCURRENCY = 4;

interface InspectedContainer {
  /** The inventory row it was read for: a changed row means a fresh inspect. */
  key: string;
  facts: ContainerFacts;
  imageId: string;
}

interface EngineCache {
  engine: EngineFacts | null;
  containers: Map<string, InspectedContainer>;
  /** Image ID → its healthcheck test (image IDs are immutable, so never re-read). */
  imageChecks: Map<string, string[] | null>;
  /** Containers an event said changed in ways the list does not show (`docker update`). */
  dirty: Set<string>;
}

/** Keeps only what the rules read: nothing else of an inspect (the environment least of all) is held. */
export function containerFacts(i: Docker.ContainerInspectInfo): ContainerFacts {
  const h = i.HostConfig as Docker.HostConfig & { PidsLimit?: number | null; CpusetCpus?: string };
  return {
    Name: i.Name,
    Config: { User: i.Config?.User ?? '', Image: i.Config?.Image ?? '', Healthcheck: i.Config?.Healthcheck ?? null },
    HostConfig: {
      Privileged: h?.Privileged,
      CapAdd: h?.CapAdd ?? null,
      SecurityOpt: h?.SecurityOpt ?? null,
      Memory: h?.Memory,
      NanoCpus: h?.NanoCpus,
      CpuQuota: h?.CpuQuota,
      CpusetCpus: h?.CpusetCpus,
      PidsLimit: h?.PidsLimit ?? null,
      ReadonlyRootfs: h?.ReadonlyRootfs,
      NetworkMode: h?.NetworkMode,
      PidMode: h?.PidMode,
      IpcMode: h?.IpcMode,
      AutoRemove: h?.AutoRemove,
    },
    AppArmorProfile: i.AppArmorProfile,
    Mounts: (i.Mounts ?? []).map((m) => ({ Type: m.Type, Source: m.Source, Destination: m.Destination, RW: m.RW })),
  };
}

async function pooled<T>(items: T[], n: number, fn: (item: T) => Promise<void>) {
  const queue = [...items];
  const worker = async () => {
    for (let it = queue.shift(); it !== undefined; it = queue.shift()) await fn(it);
  };
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, worker));
}

/**
 * The Docker rules of one engine, from the warm inventory plus the inspects the rules need. Inspects
 * are cached per container and redone only for containers whose row changed or that an event named,
 * so a recompute after one container changed costs one inspect, not one per container.
 */
export function createDockerAdvisor(deps: { engines: EnginePool; inventory: DockerInventory }) {
  const { engines, inventory } = deps;
  const caches = new Map<string, EngineCache>();

  function cacheOf(hostId: string): EngineCache {
    let c = caches.get(hostId);
    if (!c) caches.set(hostId, (c = { engine: null, containers: new Map(), imageChecks: new Map(), dirty: new Set() }));
    return c;
  }

  async function readEngine(docker: Docker, networks: Docker.NetworkInspectInfo[]): Promise<EngineFacts> {
    const info = (await docker.info()) as EngineFacts['info'];
    const bridge = networks.find((n) => n.Name === 'bridge' && n.Driver === 'bridge') ?? null;
    return {
      info: { ServerVersion: info.ServerVersion, SecurityOptions: info.SecurityOptions, Warnings: info.Warnings, Debug: info.Debug },
      defaultBridge: bridge ? { Name: bridge.Name, Options: bridge.Options ?? null } : null,
    };
  }

  return {
    /** An engine-level change (daemon event, reconnect): its facts are read again on the next check. */
    engineChanged(hostId: string) {
      const c = caches.get(hostId);
      if (c) c.engine = null;
    },
    containerChanged(hostId: string, containerId: string) {
      caches.get(hostId)?.dirty.add(containerId);
    },
    forget(hostId: string) {
      caches.delete(hostId);
    },
    /** The engine's drafts, or why they could not be computed now; null when the host has no engine. */
    async check(host: { id: string; name: string }): Promise<RuleRun | null> {
      const checkedAt = new Date();
      const hosts = await engines.hosts();
      if (!hosts.some((h) => h.id === host.id)) {
        caches.delete(host.id);
        return null;
      }
      let view;
      try {
        view = await inventory.viewOf(host.id, 10_000);
      } catch (err) {
        return { findings: [], checkedAt, stale: `Cannot read the Docker engine: ${engineMessage(err)}` };
      }
      if (view.state !== 'ok') return { findings: [], checkedAt, stale: view.message ?? 'The Docker engine has not answered yet' };
      const cache = cacheOf(host.id);
      // Kept in a local: an engine event during the awaits below resets cache.engine to null.
      let engine: EngineFacts;
      try {
        const { docker } = await engines.engine(host.id);
        engine = cache.engine ?? (cache.engine = await readEngine(docker, view.networks));
        const rows = inventory.containers(view);
        const live = new Set(rows.map((r) => r.id));
        for (const id of [...cache.containers.keys()]) if (!live.has(id)) cache.containers.delete(id);
        const stale = rows.filter((r) => cache.dirty.has(r.id) || cache.containers.get(r.id)?.key !== JSON.stringify(r));
        await pooled(stale, INSPECT_CONCURRENCY, async (r) => {
          cache.dirty.delete(r.id);
          try {
            const i = await docker.getContainer(r.id).inspect();
            cache.containers.set(r.id, { key: JSON.stringify(r), facts: containerFacts(i), imageId: i.Image });
          } catch {
            cache.containers.delete(r.id); // removed meanwhile: its event brings the next recompute
          }
        });
        const imageIds = [...new Set([...cache.containers.values()].map((c) => c.imageId))].filter((id) => !cache.imageChecks.has(id));
        await pooled(imageIds, INSPECT_CONCURRENCY, async (id) => {
          const image = await docker
            .getImage(id)
            .inspect()
            .catch(() => null);
          cache.imageChecks.set(id, image?.Config?.Healthcheck?.Test ?? null);
        });
      } catch (err) {
        cache.engine = null;
        return { findings: [], checkedAt, stale: `Cannot read the Docker engine: ${engineMessage(err)}` };
      }
      return { findings: draftsOf(host, cache, engine), checkedAt, stale: null };
    },
  };
}

function draftsOf(host: { id: string; name: string }, cache: EngineCache, engine: EngineFacts): FindingDraft[] {
  const engineTarget: FindingTarget = { kind: 'engine', id: host.id, name: host.name };
  const options = engine.info.SecurityOptions ?? [];
  const ctx: EngineContext = {
    apparmor: options.some((o) => o.includes('name=apparmor')),
    usernsRemap: options.some((o) => o.includes('name=userns') || o.includes('name=rootless')),
  };
  const out: FindingDraft[] = engineRules(engineTarget, engine, new Date());
  const uses: ImageUse[] = [];
  const containers = [...cache.containers.values()].sort((a, b) => (a.facts.Name ?? '').localeCompare(b.facts.Name ?? ''));
  for (const c of containers) {
    out.push(...containerRules(c.facts, ctx));
    uses.push({
      container: (c.facts.Name ?? '').replace(/^\//, ''),
      reference: c.facts.Config?.Image ?? '',
      healthcheck: c.facts.Config?.Healthcheck?.Test ?? null,
      imageHealthcheck: cache.imageChecks.get(c.imageId) ?? null,
    });
  }
  out.push(...imageRules(uses));
  return out;
}

export type DockerAdvisor = ReturnType<typeof createDockerAdvisor>;
