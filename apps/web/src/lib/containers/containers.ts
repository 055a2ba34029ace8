/**
 * Container helpers shared by the list, the detail page, the run form and the fleet view.
 * Types come from @mirador/contract; nothing here talks to the API except `loadEngines` (and
 * `containerSocketPath`, which builds the websocket paths of logs and terminals).
 */
import type { ContainerAction, ContainerPort, ContainerState, ContainerSummary, DockerEngine } from '@mirador/contract';
import { api, apiHref, buildQuery, type Query } from '$lib/api';
import type { IconName } from '$lib/components/Icon.svelte';
import type { Tone } from '$lib/components/StatusBadge.svelte';
import { t, type MessageKey } from '$lib/i18n/index.svelte';

export const CONTAINER_STATES: readonly ContainerState[] = ['running', 'paused', 'restarting', 'created', 'exited', 'dead', 'removing'];

/** Every quick or detailed action a container offers (the engine's lifecycle verbs plus rename/remove). */
export type ContainerOp = ContainerAction | 'rename' | 'remove';

/** What an action button asks the confirm dialog to do. */
export interface ContainerOpRequest {
  container: Pick<ContainerSummary, 'hostId' | 'id' | 'name' | 'state'>;
  op: ContainerOp;
}

export function containerKey(c: Pick<ContainerSummary, 'hostId' | 'id'>): string {
  return `${c.hostId}/${c.id}`;
}

/** Pages are addressed by name (readable, what people type in the CLI); the API accepts names and IDs. */
export function containerHref(c: Pick<ContainerSummary, 'hostId' | 'name'>, tab?: string): string {
  const base = `/containers/${encodeURIComponent(c.hostId)}/${encodeURIComponent(c.name)}`;
  return tab ? `${base}?tab=${tab}` : base;
}

/**
 * The path of a websocket endpoint of one container (logs, exec, attach), for `StreamSocket.connect`.
 * The OpenAPI document describes HTTP routes only, so the endpoint is appended to the container's typed path.
 */
export function containerSocketPath(hostId: string, ref: string, endpoint: 'logs/ws' | 'exec' | 'attach', query: Query = {}): string {
  return `${apiHref('/api/hosts/{hostId}/containers/{id}', { hostId, id: ref })}/${endpoint}${buildQuery(query)}`;
}

/** Insert or replace a container in a list (order is left to the views). */
export function upsertContainer(list: ContainerSummary[], c: ContainerSummary): ContainerSummary[] {
  const key = containerKey(c);
  const i = list.findIndex((x) => containerKey(x) === key);
  if (i === -1) return [...list, c];
  const copy = [...list];
  copy[i] = c;
  return copy;
}

const STATE_TONES: Record<ContainerState, Tone> = {
  running: 'green',
  paused: 'amber',
  restarting: 'blue',
  created: 'gray',
  exited: 'gray',
  dead: 'red',
  removing: 'amber',
};

export function stateLabel(state: ContainerState): string {
  return t(`containers.state.${state}` as MessageKey);
}

/** A running container whose health check fails is shown red, one still starting amber. */
export function stateTone(c: Pick<ContainerSummary, 'state' | 'health'>): Tone {
  if (c.state === 'running' && c.health === 'unhealthy') return 'red';
  if (c.state === 'running' && c.health === 'starting') return 'amber';
  return STATE_TONES[c.state] ?? 'gray';
}

/** "Running (healthy)" — the health check result belongs to the state word. */
export function stateText(c: Pick<ContainerSummary, 'state' | 'health'>): string {
  const s = stateLabel(c.state);
  return c.health ? `${s} (${t(`containers.health.${c.health}` as MessageKey)})` : s;
}

export const OP_ICONS: Record<ContainerOp, IconName> = {
  start: 'play',
  stop: 'stop',
  restart: 'refresh',
  kill: 'zap',
  pause: 'pause',
  unpause: 'play',
  rename: 'edit',
  remove: 'trash',
};

export function opLabel(op: ContainerOp): string {
  return t(`containers.op.${op}` as MessageKey);
}

/** Which lifecycle verbs make sense in a state (the engine would refuse the others with a 409). */
export function opAllowed(op: ContainerOp, state: ContainerState): boolean {
  switch (op) {
    case 'start':
      return state === 'created' || state === 'exited' || state === 'dead';
    case 'stop':
    case 'kill':
      return state === 'running' || state === 'restarting';
    case 'restart':
      return state === 'running' || state === 'exited' || state === 'created' || state === 'restarting';
    case 'pause':
      return state === 'running';
    case 'unpause':
      return state === 'paused';
    case 'rename':
      return state !== 'removing';
    case 'remove':
      return state !== 'removing';
  }
}

/** A running container refuses `docker rm` without `-f`. */
export function removeNeedsForce(state: ContainerState): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting';
}

// ---- ports -------------------------------------------------------------------------------------------

/** Docker lists a published port once per address family (0.0.0.0 and ::): keep one of each. */
export function publishedPorts(ports: readonly ContainerPort[]): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const p of ports) {
    if (p.publicPort === null) continue;
    const wildcard = p.ip === null || p.ip === '0.0.0.0' || p.ip === '::';
    const key = `${wildcard ? '*' : p.ip}|${p.publicPort}|${p.privatePort}|${p.protocol}`;
    const prev = seen.get(key);
    if (!prev || prev.ip === '::') seen.set(key, p);
  }
  return [...seen.values()].sort((a, b) => (a.publicPort ?? 0) - (b.publicPort ?? 0) || a.privatePort - b.privatePort);
}

/** Exposed but not published (`EXPOSE 80` without `-p`). */
export function exposedOnly(ports: readonly ContainerPort[]): ContainerPort[] {
  const published = new Set(ports.filter((p) => p.publicPort !== null).map((p) => `${p.privatePort}/${p.protocol}`));
  const out = new Map<string, ContainerPort>();
  for (const p of ports) {
    const k = `${p.privatePort}/${p.protocol}`;
    if (p.publicPort === null && !published.has(k)) out.set(k, p);
  }
  return [...out.values()];
}

/** `0.0.0.0:8080→80/tcp`, as `docker ps` prints it. */
export function portText(p: ContainerPort): string {
  const ip = p.ip ?? '0.0.0.0';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return p.publicPort === null ? `${p.privatePort}/${p.protocol}` : `${host}:${p.publicPort}→${p.privatePort}/${p.protocol}`;
}

/**
 * A link to try the port in the browser, when we know an address that reaches it: a local engine
 * publishing on every address is reachable at the hostname this page was loaded from.
 */
export function portHref(p: ContainerPort, engineIsLocal: boolean): string | null {
  if (!engineIsLocal || p.publicPort === null || p.protocol !== 'tcp') return null;
  if (p.ip !== null && p.ip !== '0.0.0.0' && p.ip !== '::') return null;
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  return `http://${host}:${p.publicPort}/`;
}

// ---- engines -------------------------------------------------------------------------------------------

/** This machine's engine first, then by host name (the order of engine pickers). */
export function localFirst(a: DockerEngine, b: DockerEngine): number {
  return Number(b.transport === 'socket') - Number(a.transport === 'socket') || a.hostName.localeCompare(b.hostName);
}

export async function loadEngines(): Promise<DockerEngine[]> {
  const res = await api.GET('/api/docker/engines');
  return [...res.items].sort(localFirst);
}

/** Short image ID (`sha256:abc…` → `abc123456789`). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Uptime or age in a compact form: 42 s, 5 min, 3 h, 2 d. */
export function compactAge(fromIso: string | null | undefined, now = Date.now()): string {
  if (!fromIso) return '—';
  const ms = now - new Date(fromIso).getTime();
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/**
 * The teaching command line, or undefined while the input is not valid yet: `dockerCommands`
 * validates what it quotes and throws on bad input, which must never break rendering.
 */
export function commandOrNothing(build: () => string): string | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}
