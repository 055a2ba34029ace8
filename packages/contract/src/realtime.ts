import { Type, type Static } from 'typebox';
import { Host } from './hosts.js';
import { Task, TaskLogLine } from './tasks.js';
import { AuditEntry } from './audit.js';
import { Me } from './auth.js';
import { MemorySource, VmStatsPoint, VmSummary } from './vms.js';

/**
 * One websocket per browser tab (`GET /api/ws`). The client subscribes to topics;
 * the server pushes typed messages. Topics: `hosts`, `tasks`, `task:<id>`, `audit` (admin only),
 * `vms` (every VM change on every host), `vm-stats:<hostId>` (live stats of that host's VMs).
 */
export const TOPIC_PATTERN = '^(hosts|tasks|audit|vms|task:[A-Za-z0-9_-]{1,64}|vm-stats:[A-Za-z0-9_-]{1,64})$';
export const Topic = Type.String({ pattern: TOPIC_PATTERN, maxLength: 80 });

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
]);
export type ServerMessage = Static<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
