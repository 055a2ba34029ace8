import type Docker from 'dockerode';
import type { ContainerSummary, DockerResourceKind, EngineStatus } from '@mirador/contract';
import type { EventBus } from '../plugins/bus.js';
import type { EngineHost, EnginePool } from './engine-pool.js';
import { LiveInventory, type EventSink, type Follower, type LiveStatus, type Reread } from '../inventory/live-inventory.js';
import { engineMessage } from './docker-errors.js';
import { onJsonLines } from './json-lines.js';
import { ENDED_STATES, finishedAtOf, startedAtOf, toContainerSummary } from './mappers.js';

type Log = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
type ListedKind = 'image' | 'volume' | 'network';
type EngineEvent = { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };

/** What one engine looks like right now, kept current by its event stream. */
export interface EngineView {
  host: EngineHost;
  state: EngineStatus['state'];
  message: string | null;
  version: string | null;
  containers: Map<string, ContainerSummary>;
  /** `<containerId>/<network>` → IPv4 (the list API carries them; network listings do not). */
  ips: Map<string, string>;
  images: Docker.ImageInfo[];
  volumes: Docker.VolumeInspectInfo[];
  networks: Docker.NetworkInspectInfo[];
  live: LiveInventory<EngineEvent>;
  /** Settles when the first full load finished (or failed). */
  ready: Promise<void>;
}

const EVENT_TYPES: Array<'container' | 'image' | 'volume' | 'network' | 'daemon'> = ['container', 'image', 'volume', 'network', 'daemon'];
/** Coalesces the bursts engines emit (create, attach, start… for one `docker run`). */
const CONTAINER_DEBOUNCE_MS = 40;
const KIND_DEBOUNCE_MS = 150;
/** Actions that fire constantly and change nothing in the list (health does, so it is read). */
const IGNORED_ACTIONS = new Set(['top', 'resize', 'attach', 'archive-path']);

/** Re-read keys: one per container, one per listed kind. */
export const containerKey = (id: string) => `container:${id}`;
const kindKey = (kind: ListedKind) => `kind:${kind}`;

/**
 * One engine's warm picture: its `/events` stream patches it (one container re-read per change;
 * images/volumes/networks re-listed per burst), with the shared follow/reconnect/resync lifecycle.
 */
export function openEngineView(host: EngineHost, deps: { engines: EnginePool; bus: EventBus; log: Log }): EngineView {
  const { engines, bus, log } = deps;

  function publishKind(kind: DockerResourceKind) {
    bus.publish({ type: 'docker.changed', topic: 'docker', hostId: view.host.id, kind });
  }

  async function loadKind(docker: Docker, kind: ListedKind) {
    if (kind === 'image') view.images = await docker.listImages({ all: false });
    if (kind === 'volume') view.volumes = (await docker.listVolumes()).Volumes ?? [];
    if (kind === 'network') view.networks = await docker.listNetworks();
  }

  async function loadAll(): Promise<void> {
    const { docker } = await engines.engine(view.host.id);
    const [version, list] = await Promise.all([docker.version(), docker.listContainers({ all: true })]);
    view.version = version.Version;
    const next = new Map<string, ContainerSummary>();
    view.ips.clear();
    for (const c of list) {
      const known = view.containers.get(c.Id);
      next.set(c.Id, toContainerSummary(view.host, c, known?.startedAt ?? null, known?.finishedAt ?? null));
      recordIps(view, c);
    }
    await Promise.all([loadKind(docker, 'image'), loadKind(docker, 'volume'), loadKind(docker, 'network')]);
    const before = view.containers;
    view.containers = next;
    // A resync after a gap: tell viewers about what changed meanwhile.
    for (const [id, c] of before)
      if (!next.has(id)) bus.publish({ type: 'container.removed', topic: 'docker', hostId: view.host.id, id, name: c.name });
    for (const c of next.values())
      if (JSON.stringify(before.get(c.id)) !== JSON.stringify(c)) bus.publish({ type: 'container.updated', topic: 'docker', container: c });
    void fillStartTimes(
      docker,
      [...next.values()]
        .filter((c) => (c.state === 'running' && !c.startedAt) || (ENDED_STATES.has(c.state) && !c.finishedAt))
        .map((c) => c.id),
    );
  }

  /** Start and end times only come with an inspect: fetched in the background, a few at a time. */
  async function fillStartTimes(docker: Docker, ids: string[]) {
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id && !view.live.stopped; id = queue.shift()) {
        try {
          const info = await docker.getContainer(id).inspect();
          const c = view.containers.get(id);
          if (c && (c.state === 'running' || ENDED_STATES.has(c.state))) {
            const updated =
              c.state === 'running'
                ? { ...c, startedAt: startedAtOf(info) }
                : { ...c, finishedAt: finishedAtOf(info), startedAt: c.startedAt };
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

  async function loadContainer(id: string) {
    const { docker } = await engines.engine(view.host.id);
    const [entry] = await docker.listContainers({ all: true, filters: { id: [id] } });
    const known = view.containers.get(id);
    let startedAt: string | null = known?.startedAt ?? null;
    let finishedAt: string | null = known?.finishedAt ?? null;
    const state = entry?.State as ContainerSummary['state'] | undefined;
    // A (re)start or an end changes the times: read them again then, and while they are unknown.
    const ended = state !== undefined && ENDED_STATES.has(state);
    if ((state === 'running' && (known?.state !== 'running' || !startedAt)) || (ended && (known?.state !== state || !finishedAt))) {
      const info = await docker
        .getContainer(id)
        .inspect()
        .catch(() => null);
      if (info) {
        startedAt = startedAtOf(info);
        finishedAt = finishedAtOf(info);
      }
    }
    // Reads of one container never overlap (LiveInventory queues them), so this answer is the newest.
    if (view.live.stopped) return;
    const previous = view.containers.get(id);
    if (!entry) {
      if (previous) {
        view.containers.delete(id);
        bus.publish({ type: 'container.removed', topic: 'docker', hostId: view.host.id, id, name: previous.name });
      }
      return;
    }
    recordIps(view, entry);
    const summary = toContainerSummary(view.host, entry, startedAt, finishedAt);
    view.containers.set(id, summary);
    bus.publish({ type: 'container.updated', topic: 'docker', container: summary });
  }

  async function loadItem(key: string) {
    if (key.startsWith('container:')) return loadContainer(key.slice('container:'.length));
    const kind = key.slice('kind:'.length) as ListedKind;
    const { docker } = await engines.engine(view.host.id);
    await loadKind(docker, kind);
    publishKind(kind);
  }

  function interpret(evt: EngineEvent): Reread[] {
    const type = evt.Type;
    const id = evt.Actor?.ID;
    if (type === 'container' && id) {
      if (evt.Action?.startsWith('exec_') || IGNORED_ACTIONS.has(evt.Action ?? '')) return [];
      // "used by" columns of images and volumes follow container changes.
      if (evt.Action === 'destroy' || evt.Action === 'create') publishKind('container');
      return [containerKey(id)];
    }
    if (type === 'image' || type === 'volume' || type === 'network') {
      // Connecting a container to a network changes the container's row too.
      const member = type === 'network' ? evt.Actor?.Attributes?.container : undefined;
      return member ? [kindKey(type), containerKey(member)] : [kindKey(type)];
    }
    if (type === 'daemon') publishKind('engine');
    return [];
  }

  async function follow(sink: EventSink<EngineEvent>): Promise<Follower> {
    const { docker } = await engines.engine(view.host.id);
    const stream = (await docker.getEvents({ filters: { type: EVENT_TYPES } })) as unknown as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    onJsonLines(
      stream,
      (evt: EngineEvent) => sink.event(evt),
      (line, err) => log.warn({ err, line: line.slice(0, 200) }, 'unreadable docker event'),
    );
    const lost = (why: string) => sink.lost(`Lost the engine's event stream: ${why}`);
    stream.on('end', () => lost('it ended'));
    stream.on('close', () => lost('it closed'));
    stream.on('error', (err: Error) => lost(engineMessage(err)));
    return { stop: () => stream.destroy?.() };
  }

  /** The status viewers see; a change is announced as `docker.changed` (kind `engine`). */
  function onStatus(status: LiveStatus) {
    const state = status.state === 'live' ? 'ok' : status.state === 'loading' ? 'loading' : 'error';
    const message = status.state === 'reconnecting' || status.state === 'stale' ? status.reason : null;
    if (state === 'ok') log.info({ host: view.host.name, containers: view.containers.size }, 'docker inventory ready');
    if (view.state === state && view.message === message) return;
    view.state = state;
    view.message = message;
    publishKind('engine');
  }

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
    live: new LiveInventory<EngineEvent>(
      {
        follow,
        loadAll,
        loadItem,
        interpret,
        describeFailure: (err) => `Cannot reach the Docker engine: ${engineMessage(err)}`,
        debounceMs: (key) => (typeof key === 'string' && key.startsWith('container:') ? CONTAINER_DEBOUNCE_MS : KIND_DEBOUNCE_MS),
      },
      { log, onStatus, logContext: () => ({ host: view.host.name, source: 'docker' }) },
    ),
    ready: Promise.resolve(),
  };
  view.ready = view.live.ensureLive().catch(() => {});
  return view;
}

/** Re-lists one kind now (after an action), announcing it. */
export const refreshKind = (view: EngineView, kind: ListedKind) => view.live.refreshItem(kindKey(kind));

function recordIps(view: EngineView, c: Docker.ContainerInfo) {
  for (const key of [...view.ips.keys()]) if (key.startsWith(`${c.Id}/`)) view.ips.delete(key);
  for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) if (ep.IPAddress) view.ips.set(`${c.Id}/${net}`, ep.IPAddress);
}
