import type Docker from 'dockerode';
import type { ContainerState, ContainerSummary, ImageSummary, NetworkSummary, VolumeSummary } from '@mirador/contract';
import type { EngineHost } from './engine-pool.js';
import { redact } from '../audit/redact.js';

const STATES = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
const iso = (unixSeconds: number | undefined) => new Date((unixSeconds ?? 0) * 1000).toISOString();
const isoOrNull = (s: string | undefined | null) => (s && !s.startsWith('0001-') ? new Date(s).toISOString() : null);

function healthOf(status: string): ContainerSummary['health'] {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!m) return null;
  return m[1] === 'health: starting' ? 'starting' : (m[1] as 'healthy' | 'unhealthy');
}

/** One row of `GET /containers/json?all=1` (plus what an inspect added) in the contract's shape. */
/** States whose last run has ended: their time is `finishedAt`. */
export const ENDED_STATES: ReadonlySet<ContainerState> = new Set(['exited', 'dead', 'restarting']);

function exitCodeOf(status: string): number | null {
  const m = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : null;
}

export function toContainerSummary(
  host: EngineHost,
  c: Docker.ContainerInfo,
  startedAt: string | null,
  finishedAt: string | null = null,
): ContainerSummary {
  const labels = c.Labels ?? {};
  const state = (STATES.has(c.State as ContainerState) ? c.State : 'dead') as ContainerState;
  return {
    hostId: host.id,
    hostName: host.name,
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command ?? '',
    createdAt: iso(c.Created),
    state,
    status: c.Status ?? '',
    health: healthOf(c.Status ?? ''),
    startedAt: state === 'running' || state === 'paused' || state === 'restarting' ? startedAt : null,
    finishedAt: ENDED_STATES.has(state) ? finishedAt : null,
    exitCode: exitCodeOf(c.Status ?? ''),
    ports: (c.Ports ?? [])
      .map((p) => ({ ip: p.IP ?? null, privatePort: p.PrivatePort, publicPort: p.PublicPort ?? null, protocol: p.Type }))
      .sort((a, b) => a.privatePort - b.privatePort || (a.ip ?? '').localeCompare(b.ip ?? '')),
    labels,
    composeProject: labels['com.docker.compose.project'] ?? null,
    composeService: labels['com.docker.compose.service'] ?? null,
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    mounts: (c.Mounts ?? []).map((m) => ({
      type: m.Type,
      source: m.Type === 'volume' ? (m.Name ?? null) : m.Type === 'tmpfs' ? null : (m.Source ?? null),
      destination: m.Destination,
      readOnly: m.RW === false,
    })),
  };
}

export function startedAtOf(inspect: Docker.ContainerInspectInfo): string | null {
  return isoOrNull(inspect.State?.StartedAt);
}

export function finishedAtOf(inspect: Docker.ContainerInspectInfo): string | null {
  return isoOrNull(inspect.State?.FinishedAt);
}

export function toImageSummary(hostId: string, i: Docker.ImageInfo, usedBy: string[]): ImageSummary {
  const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  return {
    hostId,
    id: i.Id,
    tags,
    digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
    sizeBytes: i.Size,
    createdAt: iso(i.Created),
    dangling: tags.length === 0,
    containers: usedBy,
    labels: i.Labels ?? {},
  };
}

export function toVolumeSummary(hostId: string, v: Docker.VolumeInspectInfo & { CreatedAt?: string }, usedBy: string[]): VolumeSummary {
  return {
    hostId,
    name: v.Name,
    driver: v.Driver,
    mountpoint: v.Mountpoint,
    scope: v.Scope ?? 'local',
    createdAt: isoOrNull(v.CreatedAt),
    labels: v.Labels ?? {},
    // Driver options can carry credentials (`o=addr=…,username=u,password=p` for cifs/nfs): what the
    // engine keeps is not ours to show, whoever asks.
    options: redact((v.Options as Record<string, string> | null) ?? {}) as Record<string, string>,
    containers: usedBy,
    anonymous: /^[0-9a-f]{64}$/.test(v.Name) && !(v.Labels && 'com.docker.volume.name' in v.Labels),
  };
}

export const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none']);

export function toNetworkSummary(
  hostId: string,
  n: Docker.NetworkInspectInfo,
  members: Array<{ id: string; name: string; ipv4: string | null }>,
): NetworkSummary {
  const opts = n.Options ?? {};
  return {
    hostId,
    id: n.Id,
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    internal: Boolean(n.Internal),
    attachable: Boolean(n.Attachable),
    icc: opts['com.docker.network.bridge.enable_icc'] !== 'false',
    subnets: (n.IPAM?.Config ?? []).map((c) => ({ subnet: c.Subnet ?? '', gateway: c.Gateway ?? null })).filter((c) => c.subnet),
    containers: members,
    labels: n.Labels ?? {},
    createdAt: isoOrNull(n.Created),
    builtin: BUILTIN_NETWORKS.has(n.Name),
  };
}
