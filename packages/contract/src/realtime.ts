import { Type, type Static } from 'typebox';
import { Host } from './hosts.js';
import { Task, TaskLogLine } from './tasks.js';
import { AuditEntry } from './audit.js';
import { Me } from './auth.js';
import { MemorySource, VmStatsPoint, VmSummary } from './vms.js';
import { ContainerStatsPoint, ContainerSummary, FleetStatsEntry } from './containers.js';
import { DockerResourceKind } from './docker.js';
import { LayerProgress } from './docker-resources.js';

/**
 * One websocket per browser tab (`GET /api/ws`). The client subscribes to topics;
 * the server pushes typed messages. Topics: `hosts`, `tasks`, `task:<id>`, `audit` (admin only),
 * `vms` (every VM change on every host), `vm-stats:<hostId>` (live stats of that host's VMs),
 * `docker` (container changes and "re-read images/volumes/networks" hints on every engine),
 * `container-stats:<hostId>:<container>` (one container's live stats; the stream runs while someone
 * watches), `docker-fleet` (CPU/memory of every running container on every engine, every 2 s),
 * `security` (the advisor's findings changed: re-read them).
 */
export const TOPIC_PATTERN =
  '^(hosts|tasks|audit|vms|security|task:[A-Za-z0-9_-]{1,64}|vm-stats:[A-Za-z0-9_-]{1,64}|docker|docker-fleet|container-stats:[A-Za-z0-9_-]{1,64}:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127})$';
export const Topic = Type.String({ pattern: TOPIC_PATTERN, maxLength: 220 });

export const ClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('subscribe'), topic: Topic }),
  Type.Object({ type: Type.Literal('unsubscribe'), topic: Topic }),
  Type.Object({ type: Type.Literal('ping'), id: Type.Optional(Type.Integer()) }),
]);
export type ClientMessage = Static<typeof ClientMessage>;

export const ServerMessage = Type.Union([
  Type.Object({ type: Type.Literal('hello'), user: Me }),
  Type.Object({ type: Type.Literal('subscribed'), topic: Type.String() }),
  Type.Object({ type: Type.Literal('unsubscribed'), topic: Type.String() }),
  Type.Object({ type: Type.Literal('pong'), id: Type.Optional(Type.Integer()) }),
  Type.Object({ type: Type.Literal('error'), message: Type.String(), topic: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('host.updated'), topic: Type.Literal('hosts'), host: Host }),
  Type.Object({ type: Type.Literal('host.removed'), topic: Type.Literal('hosts'), id: Type.String() }),
  Type.Object({ type: Type.Literal('task.updated'), topic: Type.String(), task: Task }),
  Type.Object({ type: Type.Literal('task.log'), topic: Type.String(), taskId: Type.String(), line: TaskLogLine }),
  Type.Object({ type: Type.Literal('audit.appended'), topic: Type.Literal('audit'), entry: AuditEntry }),
  Type.Object({ type: Type.Literal('vm.updated'), topic: Type.Literal('vms'), vm: VmSummary }),
  Type.Object({ type: Type.Literal('vm.removed'), topic: Type.Literal('vms'), hostId: Type.String(), name: Type.String() }),
  Type.Object({
    type: Type.Literal('vm.stats'),
    topic: Type.String(),
    hostId: Type.String(),
    stats: Type.Array(Type.Object({ name: Type.String(), point: VmStatsPoint, memorySource: Type.Optional(MemorySource) })),
  }),
  Type.Object({ type: Type.Literal('container.updated'), topic: Type.Literal('docker'), container: ContainerSummary }),
  Type.Object({
    type: Type.Literal('container.removed'),
    topic: Type.Literal('docker'),
    hostId: Type.String(),
    id: Type.String(),
    name: Type.String(),
  }),
  /** Images, volumes, networks or the engine itself changed: lists re-read the (already updated) inventory. */
  Type.Object({ type: Type.Literal('docker.changed'), topic: Type.Literal('docker'), hostId: Type.String(), kind: DockerResourceKind }),
  Type.Object({
    type: Type.Literal('container.stats'),
    topic: Type.String(),
    hostId: Type.String(),
    id: Type.String(),
    point: ContainerStatsPoint,
  }),
  /** The engine ended a container's stats stream (the container stopped, the engine went away): why; samples resume on its next start. */
  Type.Object({
    type: Type.Literal('container.stats.stopped'),
    topic: Type.String(),
    hostId: Type.String(),
    id: Type.String(),
    message: Type.String(),
  }),
  Type.Object({ type: Type.Literal('fleet.stats'), topic: Type.Literal('docker-fleet'), items: Type.Array(FleetStatsEntry) }),
  /** The security advisor's findings changed (recomputed after an inventory change, or acknowledged): re-read them. */
  Type.Object({ type: Type.Literal('security.changed'), topic: Type.Literal('security'), computedAt: Type.String() }),
  /** Per-layer progress of an image pull or push task (on `task:<id>`). */
  Type.Object({ type: Type.Literal('task.layers'), topic: Type.String(), taskId: Type.String(), layers: Type.Array(LayerProgress) }),
]);
export type ServerMessage = Static<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
