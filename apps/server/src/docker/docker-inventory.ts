import type Docker from 'dockerode';
import type { ContainerSummary, DockerResourceKind, EngineStatus, ImageSummary, NetworkSummary, VolumeSummary } from '@mirador/contract';
import type { EventBus } from '../plugins/bus.js';
import type { EngineHost, EnginePool } from './engine-pool.js';
import { engineMessage } from './docker-errors.js';
import { onJsonLines } from './json-lines.js';
import { startedAtOf, toContainerSummary, toImageSummary, toNetworkSummary, toVolumeSummary } from './mappers.js';

type Log = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };

/** What one engine looks like right now, kept current by its event stream. */
interface EngineView {
  host: EngineHost;
  state: 'loading' | 'ok' | 'error';
  message: string | null;
  version: string | null;
  containers: Map<string, ContainerSummary>;
  /** `<containerId>/<network>` → IPv4 (the list API carries them; network listings do not). */
  ips: Map<string, string>;
  images: Docker.ImageInfo[];
  volumes: Docker.VolumeInspectInfo[];
  networks: Docker.NetworkInspectInfo[];
  /** Settles when the first full load finished (or failed). */
  ready: Promise<void>;
  events: NodeJS.ReadableStream | null;
  retry: NodeJS.Timeout | null;
  failures: number;
  pendingContainers: Map<string, NodeJS.Timeout>;
  /** Refreshes are numbered when they start; a slow older one must not overwrite a newer answer. */
  refreshSeq: number;
  appliedSeq: Map<string, number>;
  pendingKinds: Map<DockerResourceKind, NodeJS.Timeout>;
  closed: boolean;
}

const EVENT_TYPES: Array<'container' | 'image' | 'volume' | 'network' | 'daemon'> = ['container', 'image', 'volume', 'network', 'daemon'];
/** Coalesces the bursts engines emit (create, attach, start… for one `docker run`). */
const CONTAINER_DEBOUNCE_MS = 40;
const KIND_DEBOUNCE_MS = 150;

/**
 * Warm inventory of every engine: lists are served from memory, and the engine's `/events` stream
 * patches them (one container re-read per change; images/volumes/networks re-listed per burst).
 * Nothing calls the engine on a page load once an engine is warm.
 */
export function createDockerInventory(deps: { engines: EnginePool; bus: EventBus; log: Log }) {
  const { engines, bus, log } = deps;
  const views = new Map<string, EngineView>();
  let closed = false;

  function publishKind(hostId: string, kind: DockerResourceKind) {
    bus.publish({ type: 'docker.changed', topic: 'docker', hostId, kind });
  }

  async function loadKind(view: EngineView, docker: Docker, kind: 'image' | 'volume' | 'network') {
    if (kind === 'image') view.images = await docker.listImages({ all: false });
    if (kind === 'volume') view.volumes = (await docker.listVolumes()).Volumes ?? [];
    if (kind === 'network') view.networks = await docker.listNetworks();
  }

  async function loadAll(view: EngineView): Promise<void> {
    const { docker } = await engines.engine(view.host.id);
    const [version, list] = await Promise.all([docker.version(), docker.listContainers({ all: true })]);
    view.version = version.Version;
    const next = new Map<string, ContainerSummary>();
    view.ips.clear();
    for (const c of list) {
      next.set(c.Id, toContainerSummary(view.host, c, view.containers.get(c.Id)?.startedAt ?? null));
      recordIps(view, c);
    }
    await Promise.all([loadKind(view, docker, 'image'), loadKind(view, docker, 'volume'), loadKind(view, docker, 'network')]);
    const before = view.containers;
    view.containers = next;
    // A resync after a gap: tell viewers about what changed meanwhile.
    for (const [id, c] of before)
      if (!next.has(id)) bus.publish({ type: 'container.removed', topic: 'docker', hostId: view.host.id, id, name: c.name });
    for (const c of next.values())
      if (JSON.stringify(before.get(c.id)) !== JSON.stringify(c)) bus.publish({ type: 'container.updated', topic: 'docker', container: c });
    void fillStartTimes(
      view,
      docker,
      [...next.values()].filter((c) => c.state === 'running' && !c.startedAt).map((c) => c.id),
    );
  }

  /** Start times only come with an inspect: fetched in the background, a few at a time. */
  async function fillStartTimes(view: EngineView, docker: Docker, ids: string[]) {
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id && !view.closed; id = queue.shift()) {
        try {
          const info = await docker.getContainer(id).inspect();
          const c = view.containers.get(id);
          if (c && c.state === 'running') {
            const updated = { ...c, startedAt: startedAtOf(info) };
            view.containers.set(id, updated);
            bus.publish({ type: 'container.updated', topic: 'docker', container: updated });
          }
        } catch {
          /* removed meanwhile: its destroy event handles it */
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  }

  async function refreshContainer(view: EngineView, id: string) {
    const seq = ++view.refreshSeq;
    const { docker } = await engines.engine(view.host.id);
    const [entry] = await docker.listContainers({ all: true, filters: { id: [id] } });
    let startedAt: string | null = view.containers.get(id)?.startedAt ?? null;
    if (entry?.State === 'running') {
      const known = view.containers.get(id);
      if (!known || known.state !== 'running' || !startedAt)
        startedAt = await docker
          .getContainer(id)
          .inspect()
          .then(startedAtOf, () => null);
    }
    if (seq < (view.appliedSeq.get(id) ?? 0)) return;
    view.appliedSeq.set(id, seq);
    const previous = view.containers.get(id);
    if (!entry) {
      if (previous) {
        view.containers.delete(id);
        bus.publish({ type: 'container.removed', topic: 'docker', hostId: view.host.id, id, name: previous.name });
      }
      return;
    }
    recordIps(view, entry);
    const summary = toContainerSummary(view.host, entry, startedAt);
    view.containers.set(id, summary);
    bus.publish({ type: 'container.updated', topic: 'docker', container: summary });
  }

  function scheduleContainer(view: EngineView, id: string) {
    const t = view.pendingContainers.get(id);
    if (t) clearTimeout(t);
    view.pendingContainers.set(
      id,
      setTimeout(() => {
        view.pendingContainers.delete(id);
        refreshContainer(view, id).catch((err) =>
          log.warn({ err: engineMessage(err), host: view.host.name }, 'could not refresh a container'),
        );
      }, CONTAINER_DEBOUNCE_MS),
    );
  }

  function scheduleKind(view: EngineView, kind: 'image' | 'volume' | 'network') {
    if (view.pendingKinds.has(kind)) return;
    view.pendingKinds.set(
      kind,
      setTimeout(() => {
        view.pendingKinds.delete(kind);
        void engines
          .engine(view.host.id)
          .then(({ docker }) => loadKind(view, docker, kind))
          .then(() => publishKind(view.host.id, kind))
          .catch((err) => log.warn({ err: engineMessage(err), host: view.host.name }, `could not refresh ${kind}s`));
      }, KIND_DEBOUNCE_MS),
    );
  }

  function onEvent(
    view: EngineView,
    evt: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } },
  ) {
    const type = evt.Type;
    const id = evt.Actor?.ID;
    if (type === 'container' && id) {
      // exec_* and health probes fire constantly and change nothing in the list (health does).
      if (
        evt.Action?.startsWith('exec_') ||
        evt.Action === 'top' ||
        evt.Action === 'resize' ||
        evt.Action === 'attach' ||
        evt.Action === 'archive-path'
      )
        return;
      scheduleContainer(view, id);
      if (evt.Action === 'destroy' || evt.Action === 'create') {
        // "used by" columns of images and volumes follow container changes.
        publishKind(view.host.id, 'container');
      }
    } else if (type === 'image' || type === 'volume' || type === 'network') {
      scheduleKind(view, type);
      // Connecting a container to a network changes the container's row too.
      if (type === 'network' && evt.Actor?.Attributes?.container) scheduleContainer(view, evt.Actor.Attributes.container);
    } else if (type === 'daemon') {
      publishKind(view.host.id, 'engine');
    }
  }

  async function follow(view: EngineView) {
    const { docker } = await engines.engine(view.host.id);
    const stream = (await docker.getEvents({ filters: { type: EVENT_TYPES } })) as unknown as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    view.events = stream;
    onJsonLines(
      stream,
      (evt) => onEvent(view, evt),
      (line, err) => log.warn({ err, line: line.slice(0, 200) }, 'unreadable docker event'),
    );
    const lost = (why: string) => {
      if (view.events !== stream) return;
      view.events = null;
      if (view.closed) return;
      setState(view, 'error', `Lost the engine's event stream: ${why}`);
      scheduleReconnect(view);
    };
    stream.on('end', () => lost('it ended'));
    stream.on('close', () => lost('it closed'));
    stream.on('error', (err: Error) => lost(engineMessage(err)));
  }

  function setState(view: EngineView, state: EngineView['state'], message: string | null) {
    const changed = view.state !== state || view.message !== message;
    view.state = state;
    view.message = message;
    if (changed) publishKind(view.host.id, 'engine');
  }

  /** Events first, then the full load: nothing that happens during the load is missed. */
  async function connect(view: EngineView) {
    try {
      await follow(view);
      await loadAll(view);
      view.failures = 0;
      setState(view, 'ok', null);
      log.info({ host: view.host.name, containers: view.containers.size }, 'docker inventory ready');
    } catch (err) {
      const msg = engineMessage(err);
      const stream = view.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
      view.events = null;
      stream?.destroy?.();
      setState(view, 'error', `Cannot reach the Docker engine: ${msg}`);
      scheduleReconnect(view);
    }
  }

  function scheduleReconnect(view: EngineView) {
    if (view.retry || view.closed || closed) return;
    view.failures++;
    const delay = Math.min(30_000, 1_000 * 2 ** Math.min(view.failures - 1, 5));
    view.retry = setTimeout(() => {
      view.retry = null;
      void connect(view);
    }, delay);
  }

  function ensure(host: EngineHost): EngineView {
    const existing = views.get(host.id);
    if (existing && existing.host.socketPath === host.socketPath && existing.host.transport === host.transport) {
      existing.host = host; // renamed hosts keep their view
      if (existing.state === 'error' && existing.retry && !existing.events) {
        // The host changed (a key was just accepted, credentials fixed): try now, not after the backoff.
        clearTimeout(existing.retry);
        existing.retry = null;
        existing.failures = 0;
        void connect(existing);
      }
      return existing;
    }
    if (existing) stop(existing);
    const view: EngineView = {
      host,
      state: 'loading',
      message: null,
      version: null,
      containers: new Map(),
      ips: new Map(),
      images: [],
      volumes: [],
      networks: [],
      ready: Promise.resolve(),
      events: null,
      retry: null,
      failures: 0,
      pendingContainers: new Map(),
      refreshSeq: 0,
      appliedSeq: new Map(),
      pendingKinds: new Map(),
      closed: false,
    };
    views.set(host.id, view);
    view.ready = connect(view);
    return view;
  }

  function stop(view: EngineView) {
    view.closed = true;
    if (view.retry) clearTimeout(view.retry);
    for (const t of view.pendingContainers.values()) clearTimeout(t);
    for (const t of view.pendingKinds.values()) clearTimeout(t);
    const s = view.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    view.events = null;
    s?.destroy?.();
    views.delete(view.host.id);
  }

  function dropMissing(hosts: EngineHost[]) {
    const ids = new Set(hosts.map((h) => h.id));
    for (const v of [...views.values()]) if (!ids.has(v.host.id)) stop(v);
  }

  /** The view of one engine, loading it the first time (waits at most `waitMs` for the first load). */
  async function viewOf(hostId: string, waitMs = 15_000): Promise<EngineView> {
    let view = views.get(hostId);
    if (!view) {
      const { host } = await engines.engine(hostId);
      view = ensure(host);
    }
    if (view.state === 'loading') await Promise.race([view.ready, new Promise((r) => setTimeout(r, waitMs))]);
    return view;
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
    forget(hostId: string) {
      const v = views.get(hostId);
      if (v) stop(v);
    },
    viewOf,
    statusOf,
    /** Every engine of the inventory, waiting briefly for the ones still loading. */
    async all(waitMs = 15_000): Promise<EngineView[]> {
      const hosts = await engines.hosts();
      return Promise.all(
        hosts.map((h) => {
          const v = ensure(h);
          return v.state === 'loading' ? Promise.race([v.ready, new Promise((r) => setTimeout(r, waitMs))]).then(() => v) : v;
        }),
      );
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
      await refreshContainer(view, id);
      return view.containers.get(id) ?? null;
    },
    async refreshKind(hostId: string, kind: 'image' | 'volume' | 'network') {
      const view = await viewOf(hostId);
      const { docker } = await engines.engine(hostId);
      await loadKind(view, docker, kind);
      publishKind(hostId, kind);
    },
    async close() {
      closed = true;
      for (const v of [...views.values()]) stop(v);
    },
  };
}

function recordIps(view: EngineView, c: Docker.ContainerInfo) {
  for (const key of [...view.ips.keys()]) if (key.startsWith(`${c.Id}/`)) view.ips.delete(key);
  for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) if (ep.IPAddress) view.ips.set(`${c.Id}/${net}`, ep.IPAddress);
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
