import type { Readable } from 'node:stream';
import type { ContainerStatsPoint, FleetStatsEntry } from '@mirador/contract';
import { computeStatsPoint } from '@mirador/docker';
import type { EventBus } from '../plugins/bus.js';
import type { DockerInventory } from './docker-inventory.js';
import type { EnginePool } from './engine-pool.js';
import { engineError, engineMessage } from './docker-errors.js';
import { onJsonLines } from './json-lines.js';
import { parseTopic, topics } from '@mirador/contract';

type Log = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };

export const FLEET_TOPIC = topics.dockerFleet;
const FLEET_INTERVAL_MS = 2_000;
/** How soon a watched container whose stream ended is looked at again. */
const RESUME_CHECK_MS = 2_000;

/** One engine stats stream for one container, shared by every viewer (and the fleet view). */
interface Source {
  hostId: string;
  id: string;
  /** Topics fed by this source (a container can be watched by name and by ID). */
  topics: Set<string>;
  fleet: boolean;
  stream: Readable | null;
  latest: ContainerStatsPoint | null;
  stopped: boolean;
}

/**
 * Container stats on demand: a source opens when its first viewer subscribes (directly or via the
 * fleet view) and closes when the last one leaves, so idle containers cost nothing.
 */
export function createContainerStats(deps: { engines: EnginePool; inventory: DockerInventory; bus: EventBus; log: Log }) {
  const { engines, inventory, bus, log } = deps;
  const sources = new Map<string, Source>();
  let fleetTimer: NodeJS.Timeout | null = null;
  let offFleetFollow: (() => void) | null = null;
  let closed = false;

  const keyOf = (hostId: string, id: string) => `${hostId}/${id}`;

  async function open(src: Source) {
    try {
      const { docker } = await engines.engine(src.hostId);
      const stream = (await docker.getContainer(src.id).stats({ stream: true })) as unknown as Readable;
      if (src.stopped) return void stream.destroy();
      src.stream = stream;
      onJsonLines(
        stream,
        (raw) => {
          const point = computeStatsPoint(raw);
          src.latest = point;
          for (const topic of src.topics) bus.publish({ type: 'container.stats', topic, hostId: src.hostId, id: src.id, point });
        },
        (_line, err) => log.warn({ err }, 'unreadable stats sample'),
      );
      // The engine ends the stream when the container stops (or the engine goes away); a later start re-opens on demand.
      stream.on('end', () => stopped(src, 'the engine ended the stream (the container stopped, or the engine went away)'));
      stream.on('error', (err) => stopped(src, engineMessage(err)));
    } catch (err) {
      log.warn({ err: engineMessage(err), id: src.id }, 'could not open container stats');
      release(src, true);
    }
  }

  /** A stream that ended under its viewers: they are told why (not left looking at a frozen chart), then it waits to resume. */
  function stopped(src: Source, why: string) {
    if (src.stopped) return;
    for (const topic of src.topics)
      bus.publish({
        type: 'container.stats.stopped',
        topic,
        hostId: src.hostId,
        id: src.id,
        message: `Live stats stopped: ${why}. They resume when the container runs again.`,
      });
    release(src, true);
  }

  function acquire(hostId: string, id: string): Source {
    const key = keyOf(hostId, id);
    let src = sources.get(key);
    if (!src) {
      src = { hostId, id, topics: new Set(), fleet: false, stream: null, latest: null, stopped: false };
      sources.set(key, src);
      void open(src);
    }
    return src;
  }

  function release(src: Source, force = false) {
    if (!force && (src.topics.size > 0 || src.fleet)) return;
    src.stopped = true;
    src.stream?.destroy();
    src.stream = null;
    if (sources.get(keyOf(src.hostId, src.id)) === src) sources.delete(keyOf(src.hostId, src.id));
    // Still watched (the stream ended because the container stopped): re-open when it runs again.
    if (force && (src.topics.size > 0 || src.fleet)) {
      const key = keyOf(src.hostId, src.id);
      pending.set(key, { topics: src.topics, fleet: src.fleet, hostId: src.hostId, id: src.id });
      // The stream may also have ended with the container still running (engine restart, SSH drop):
      // no start event will come, so look again shortly.
      setTimeout(() => void resumeIfRunning(key), RESUME_CHECK_MS).unref();
    }
  }

  async function resumeIfRunning(key: string) {
    const wait = pending.get(key);
    if (!wait || closed) return;
    const view = await inventory.viewOf(wait.hostId, 2_000).catch(() => null);
    const c = view ? inventory.findContainer(view, wait.id) : null;
    if (!c) return void pending.delete(key);
    if (c.state !== 'running' || view!.state !== 'ok') {
      // Stopped: its next start re-attaches. Engine down: keep looking until it is back.
      if (view!.state !== 'ok') setTimeout(() => void resumeIfRunning(key), RESUME_CHECK_MS * 2).unref();
      return;
    }
    pending.delete(key);
    const src = acquire(wait.hostId, wait.id);
    for (const t of wait.topics) src.topics.add(t);
    src.fleet = src.fleet || wait.fleet;
  }

  /** Watchers of containers that are not running right now, re-attached on their next start. */
  const pending = new Map<string, { hostId: string; id: string; topics: Set<string>; fleet: boolean }>();
  const offDocker = bus.subscribe('docker', (msg) => {
    if (msg.type === 'container.removed') {
      const key = keyOf(msg.hostId, msg.id);
      pending.delete(key);
      const src = sources.get(key);
      if (src) release(src, true);
      pending.delete(key);
    }
    if (msg.type !== 'container.updated') return;
    const c = msg.container;
    const key = keyOf(c.hostId, c.id);
    if (c.state !== 'running') return;
    const wait = pending.get(key);
    if (wait) {
      pending.delete(key);
      const src = acquire(c.hostId, c.id);
      for (const t of wait.topics) src.topics.add(t);
      src.fleet = src.fleet || wait.fleet;
    } else if (fleetTimer && !sources.has(key)) {
      acquire(c.hostId, c.id).fleet = true;
    }
  });

  async function watchTopic(topic: string, hostId: string, ref: string, active: boolean) {
    try {
      const view = await inventory.viewOf(hostId);
      const c = inventory.findContainer(view, ref);
      if (!c) return;
      const key = keyOf(hostId, c.id);
      if (active) {
        if (bus.listenerCount(topic) === 0) return; // left again while we looked it up
        if (c.state !== 'running') {
          const w = pending.get(key) ?? { hostId, id: c.id, topics: new Set<string>(), fleet: false };
          w.topics.add(topic);
          pending.set(key, w);
          return;
        }
        acquire(hostId, c.id).topics.add(topic);
      } else {
        const w = pending.get(key);
        w?.topics.delete(topic);
        if (w && w.topics.size === 0 && !w.fleet) pending.delete(key);
        const src = sources.get(key);
        if (src) {
          src.topics.delete(topic);
          release(src);
        }
      }
    } catch (err) {
      log.warn({ err: engineMessage(err), topic }, 'could not follow container stats');
    }
  }

  async function startFleet() {
    if (fleetTimer) return;
    fleetTimer = setInterval(publishFleet, FLEET_INTERVAL_MS);
    for (const view of await inventory.all(5_000)) {
      for (const c of inventory.containers(view)) if (c.state === 'running') acquire(c.hostId, c.id).fleet = true;
    }
  }

  function stopFleet() {
    if (fleetTimer) clearInterval(fleetTimer);
    fleetTimer = null;
    for (const src of [...sources.values()]) {
      src.fleet = false;
      release(src);
    }
    for (const [k, w] of pending) {
      w.fleet = false;
      if (w.topics.size === 0) pending.delete(k);
    }
  }

  async function snapshot(): Promise<FleetStatsEntry[]> {
    const items: FleetStatsEntry[] = [];
    for (const src of sources.values()) {
      if (!src.latest) continue;
      const view = await inventory.viewOf(src.hostId).catch(() => null);
      const c = view ? inventory.findContainer(view, src.id) : null;
      if (!c) continue;
      items.push({ hostId: c.hostId, hostName: c.hostName, id: c.id, name: c.name, image: c.image, point: src.latest });
    }
    return items.sort((a, b) => b.point.cpuPercent - a.point.cpuPercent);
  }

  function publishFleet() {
    void snapshot().then((items) => bus.publish({ type: 'fleet.stats', topic: FLEET_TOPIC, items }));
  }

  const offActivity = bus.onActivity((topic, active) => {
    const t = parseTopic(topic);
    if (t?.kind === 'container-stats') void watchTopic(topic, t.hostId, t.container, active);
    else if (t?.kind === 'docker-fleet') void (active ? startFleet() : stopFleet());
  });
  offFleetFollow = () => {
    offActivity();
    offDocker();
  };

  return {
    /** One sample, without a stream (REST). */
    async sample(hostId: string, ref: string): Promise<ContainerStatsPoint> {
      const view = await inventory.viewOf(hostId);
      const c = inventory.findContainer(view, ref);
      const id = c?.id ?? ref;
      const live = sources.get(keyOf(hostId, id))?.latest;
      if (live) return live;
      const engine = await engines.engine(hostId);
      try {
        const raw = await engine.docker.getContainer(id).stats({ stream: false });
        return computeStatsPoint(raw);
      } catch (err) {
        throw engineError(err, engine.host.name);
      }
    },
    /** The fleet view's first paint: starts the fleet sources if nobody watches yet, waits a moment for samples. */
    async fleetSnapshot(): Promise<{ items: FleetStatsEntry[] }> {
      if (!fleetTimer) {
        // Nobody watches: take a look for this request, then let the sources go.
        await startFleet();
        await new Promise((r) => setTimeout(r, 2_500));
        const items = await snapshot();
        if (bus.listenerCount(FLEET_TOPIC) === 0) stopFleet();
        return { items };
      }
      return { items: await snapshot() };
    },
    /** For tests and the benchmark: how many engine streams are open. */
    openSources(): number {
      return sources.size;
    },
    close() {
      closed = true;
      offFleetFollow?.();
      stopFleet();
      for (const src of [...sources.values()]) release(src, true);
      pending.clear();
    },
  };
}

export type ContainerStats = ReturnType<typeof createContainerStats>;
