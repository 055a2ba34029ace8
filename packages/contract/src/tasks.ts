import { Type, type Static } from 'typebox';
import { MessageParams, Timestamp } from './common.js';

export const TaskStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('ok'),
  Type.Literal('error'),
  Type.Literal('cancelled'),
]);
export type TaskStatus = Static<typeof TaskStatus>;

/**
 * Every kind of task the server runs. A task's end is audited as `task.<kind>`, and the UI labels each
 * kind and each outcome: a new kind goes here first (the server's task manager only accepts these).
 */
export const TASK_KINDS = [
  'selftest',
  'vm.create',
  'vm.clone',
  'vm.migrate',
  'vm.snapshot.create',
  'vm.snapshot.revert',
  'vm.snapshot.delete',
  'image.pull',
  'image.push',
  'image.build',
  'compare.measure',
  'security.fix',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The audit action that records a task's end. */
export const taskOutcomeAction = (kind: TaskKind) => `task.${kind}` as const;

/** Whether an audit action records a task's end (`task.image.build`), not a request (`task.selftest.start`, `task.cancel`). */
export function isTaskOutcomeAction(action: string): boolean {
  return action.startsWith('task.') && (TASK_KINDS as readonly string[]).includes(action.slice('task.'.length));
}

export const TaskLogLine = Type.Object({
  at: Timestamp,
  level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  line: Type.String(),
});
export type TaskLogLine = Static<typeof TaskLogLine>;

export const Task = Type.Object({
  id: Type.String(),
  type: Type.String(),
  target: Type.Object({
    type: Type.Union([Type.String(), Type.Null()]),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    hostId: Type.Union([Type.String(), Type.Null()]),
  }),
  user: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  status: TaskStatus,
  /** 0..1, or null when the operation cannot tell. */
  progress: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  /** Stable codes + values for translating `message` / `error` (which stay the English fallback). */
  messageCode: Type.Optional(Type.String()),
  messageParams: Type.Optional(MessageParams),
  errorCode: Type.Optional(Type.String()),
  errorParams: Type.Optional(MessageParams),
  cancellable: Type.Boolean(),
  createdAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
});
export type Task = Static<typeof Task>;

export const TaskDetail = Type.Object({ ...Task.properties, log: Type.Array(TaskLogLine) });
export type TaskDetail = Static<typeof TaskDetail>;

export const TaskListQuery = Type.Object({
  status: Type.Optional(Type.Union([TaskStatus, Type.Literal('active')])),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export type TaskListQuery = Static<typeof TaskListQuery>;

/** A harmless task that exercises the whole mechanism (progress, log, cancel, failure). */
export const SelfTestTaskBody = Type.Object({
  steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 5 })),
  intervalMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 5000, default: 500 })),
  failAtStep: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type SelfTestTaskBody = Static<typeof SelfTestTaskBody>;
