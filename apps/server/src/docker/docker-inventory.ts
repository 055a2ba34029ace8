import type Docker from 'dockerode';
import type { ContainerSummary, EngineStatus, ImageSummary, NetworkSummary, VolumeSummary } from '@mirador/contract';
import type { EventBus } from '../plugins/bus.js';
import type { EngineHost, EnginePool } from './engine-pool.js';
import { containerKey, openEngineView, refreshKind, type EngineView } from './engine-view.js';
import { toImageSummary, toNetworkSummary, toVolumeSummary } from './mappers.js';

type Log = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };

/**
 * Warm inventory of every engine: lists are served from memory, each engine's view kept current
 * by its event stream (engine-view.ts). Nothing calls the engine on a page load once an engine is warm.
 */
export function createDockerInventory(deps: { engines: EnginePool; bus: EventBus; log: Log }) {
  const { engines } = deps;
  const views = new Map<string, EngineView>();

  function ensure(host: EngineHost): EngineView {
    const existing = views.get(host.id);
    if (existing && existing.host.socketPath === host.socketPath && existing.host.transport === host.transport) {
      existing.host = host; // renamed hosts keep their view
      // The host changed (a key was just accepted, credentials fixed): try now, not after the backoff.
      existing.live.retryNow();
      return existing;
    }
    if (existing) stop(existing);
    const view = openEngineView(host, deps);
    views.set(host.id, view);
    return view;
  }

  function stop(view: EngineView) {
    view.live.stop();
    views.delete(view.host.id);
  }

  function dropMissing(hosts: EngineHost[]) {
    const ids = new Set(hosts.map((h) => h.id));
    for (const v of [...views.values()]) if (!ids.has(v.host.id)) stop(v);
  }

  /** Waits at most `waitMs` for a view's first load. */
  async function settled(view: EngineView, waitMs: number): Promise<EngineView> {
    if (view.state === 'loading') await Promise.race([view.ready, new Promise((r) => setTimeout(r, waitMs))]);
    return view;
  }

  /** The view of one engine, loading it the first time (waits at most `waitMs` for the first load). */
  async function viewOf(hostId: string, waitMs = 15_000): Promise<EngineView> {
    let view = views.get(hostId);
    if (!view) {
      const { host } = await engines.engine(hostId);
      view = ensure(host);
    }
    return settled(view, waitMs);
  }

  function statusOf(view: EngineView): EngineStatus {
    return { hostId: view.host.id, hostName: view.host.name, state: view.state, message: view.message };
  }

  function usersByImage(view: EngineView) {
    const m = new Map<string, string[]>();
    for (const c of view.containers.values()) m.set(c.imageId, [...(m.get(c.imageId) ?? []), c.name]);
    return m;
  }

  return {
    /** Every engine of the inventory loaded and followed (engines that went away are dropped). */
    async warmUp() {
      const hosts = await engines.hosts();
      dropMissing(hosts);
      for (const h of hosts) ensure(h);
    },
    /** Follows inventory edits for the engines already loaded: a host losing or changing its engine. */
    async sync() {
      const hosts = await engines.hosts();
      dropMissing(hosts);
      for (const h of hosts) if (views.has(h.id)) ensure(h);
    },
    /** The host is gone: its event stream is ended and its view dropped. */
    forget(hostId: string) {
      const v = views.get(hostId);
      if (v) stop(v);
    },
    viewOf,
    statusOf,
    /** Every engine of the inventory, waiting briefly for the ones still loading. */
    async all(waitMs = 15_000): Promise<EngineView[]> {
      const hosts = await engines.hosts();
      return Promise.all(hosts.map((h) => settled(ensure(h), waitMs)));
    },
    containers(view: EngineView): ContainerSummary[] {
      return [...view.containers.values()];
    },
    findContainer(view: EngineView, ref: string): ContainerSummary | null {
      const byId = view.containers.get(ref);
      if (byId) return byId;
      for (const c of view.containers.values()) if (c.name === ref) return c;
      if (/^[0-9a-f]{4,64}$/.test(ref)) {
        const matches = [...view.containers.values()].filter((c) => c.id.startsWith(ref));
        if (matches.length === 1) return matches[0]!;
      }
      return null;
    },
    images(view: EngineView): ImageSummary[] {
      const users = usersByImage(view);
      return view.images.map((i) => toImageSummary(view.host.id, i, users.get(i.Id) ?? []));
    },
    volumes(view: EngineView): VolumeSummary[] {
      const users = new Map<string, string[]>();
      for (const c of view.containers.values())
        for (const m of c.mounts) if (m.type === 'volume' && m.source) users.set(m.source, [...(users.get(m.source) ?? []), c.name]);
      return view.volumes.map((v) => toVolumeSummary(view.host.id, v, users.get(v.Name) ?? []));
    },
    networks(view: EngineView): NetworkSummary[] {
      return view.networks.map((n) => toNetworkSummary(view.host.id, n, membersOf(view, n)));
    },
    /** Re-reads one container now (after an action), so the answer already has the new state. */
    async refreshContainer(hostId: string, id: string): Promise<ContainerSummary | null> {
      const view = await viewOf(hostId);
      await view.live.refreshItem(containerKey(id));
      return view.containers.get(id) ?? null;
    },
    async refreshKind(hostId: string, kind: 'image' | 'volume' | 'network') {
      await refreshKind(await viewOf(hostId), kind);
    },
    async close() {
      for (const v of [...views.values()]) stop(v);
    },
  };
}

/** Containers attached to a network, from the containers' own view (the list API omits members). */
function membersOf(view: EngineView, n: Docker.NetworkInspectInfo) {
  const out: Array<{ id: string; name: string; ipv4: string | null }> = [];
  for (const c of view.containers.values())
    if (c.networks.includes(n.Name)) out.push({ id: c.id, name: c.name, ipv4: view.ips.get(`${c.id}/${n.Name}`) ?? null });
  return out;
}

export type DockerInventory = ReturnType<typeof createDockerInventory>;
export type DockerEngineView = EngineView;
