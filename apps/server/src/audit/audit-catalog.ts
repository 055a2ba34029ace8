import { TASK_KINDS, taskOutcomeAction, type AuditActionInfo } from '@mirador/contract';

/**
 * Streams whose lifetime is audited (streams/socket-adapter.ts, auth/identity-watch.ts): `<action>.open`
 * and `.close` for interactive ones, `.revoked` and `.downgraded` when the identity guard acts. The
 * guard only takes these, so a new stream is added here (and labelled in the UI) or does not compile.
 */
export const STREAM_AUDIT_ACTIONS = ['vm.console', 'vm.vnc', 'container.logs', 'container.exec', 'container.attach', 'realtime'] as const;
export type StreamAuditAction = (typeof STREAM_AUDIT_ACTIONS)[number];
const STREAM_EVENTS = ['open', 'close', 'revoked', 'downgraded'] as const;

/** Records the server writes on its own, outside any route (see audit.plugin.ts). */
export const SYSTEM_AUDIT_ACTIONS = ['audit.suppressed', 'recovery.undo'] as const;

/** What a route declares: its `audit.action`, and whether it answers 202 (a task). */
export interface DeclaredRoute {
  action: string;
  startsTask: boolean;
}

/**
 * Every action the server can record, from the routes' own declarations (collected as they are
 * registered), the task kinds, the audited streams and the server's own records. The audit page
 * offers these as filters; a test holds the UI's labels to this list.
 */
export function auditCatalog(routes: Iterable<DeclaredRoute>): AuditActionInfo[] {
  const byAction = new Map<string, AuditActionInfo>();
  const add = (action: string, kind: AuditActionInfo['kind']) => {
    const known = byAction.get(action);
    // One action on several routes: it starts a task if any of them does.
    if (!known || (known.kind === 'request' && kind === 'task-request')) byAction.set(action, { action, kind });
  };
  for (const r of routes) add(r.action, r.startsTask ? 'task-request' : 'request');
  for (const kind of TASK_KINDS) add(taskOutcomeAction(kind), 'task-outcome');
  for (const stream of STREAM_AUDIT_ACTIONS) for (const event of STREAM_EVENTS) add(`${stream}.${event}`, 'stream');
  for (const action of SYSTEM_AUDIT_ACTIONS) add(action, 'system');
  return [...byAction.values()].sort((a, b) => a.action.localeCompare(b.action));
}
