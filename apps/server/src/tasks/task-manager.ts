import type { AuditResult, Task, TaskDetail, TaskKind, TaskLogLine, TaskStatus } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../plugins/bus.js';
import type { AuditService } from '../audit/audit.service.js';
import { newId } from '../lib/ids.js';
import { redact, redactText } from '../audit/redact.js';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { topics } from '@mirador/contract';

export interface TaskContext {
  /** The task's id, for operations that publish their own detail on `task:<id>`. */
  taskId: string;
  signal: AbortSignal;
  /** 0..1, or null when the operation cannot tell how far it is. */
  progress(fraction: number | null, message?: string): void;
  log(line: string, level?: TaskLogLine['level']): void;
}

export interface StartTask {
  /** One of TASK_KINDS (contract): its end is audited as `task.<kind>`, which the UI labels per kind. */
  type: TaskKind;
  target?: { type?: string; id?: string; name?: string; hostId?: string };
  user: { id: string; name: string } | null;
  cancellable: boolean;
  params?: unknown;
  /** Resolves with a final message; throws to fail. Must honour ctx.signal when cancellable. */
  run(ctx: TaskContext): Promise<string | void>;
}

interface Live {
  task: Task;
  log: TaskLogLine[];
  controller: AbortController;
  done: Promise<void>;
  dirty: boolean;
}

const MAX_LOG = 1000;
const FLUSH_MS = 1000;
const ACTIVE: TaskStatus[] = ['queued', 'running'];
const INTERRUPTED = 'Interrupted: Mirador stopped while this task was running';

const AUDIT_RESULT: Record<TaskStatus, AuditResult> = {
  ok: 'ok',
  error: 'error',
  cancelled: 'cancelled',
  queued: 'error',
  running: 'error',
};

type TaskRow = {
  id: string;
  type: string;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  hostId: string | null;
  userId: string | null;
  userName: string | null;
  status: string;
  progress: number;
  message: string | null;
  error: string | null;
  log: string;
  cancellable: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

function fromRow(r: TaskRow): Task {
  return {
    id: r.id,
    type: r.type,
    target: { type: r.targetType, id: r.targetId, name: r.targetName, hostId: r.hostId },
    user: r.userId ? { id: r.userId, name: r.userName ?? '' } : null,
    status: r.status as TaskStatus,
    progress: r.progress < 0 ? null : r.progress,
    message: r.message,
    error: r.error,
    cancellable: r.cancellable,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Runs long operations detached from the request that started them: a browser going away
 * does not stop a task, and every change is pushed to subscribers and persisted.
 */
export function createTaskManager(deps: {
  db: PrismaClient;
  bus: EventBus;
  audit: AuditService;
  log: { error(obj: unknown, msg: string): void };
}) {
  const { db, bus, audit } = deps;
  const live = new Map<string, Live>();

  const toData = (l: Live) => ({
    status: l.task.status,
    progress: l.task.progress ?? -1,
    message: l.task.message,
    error: l.task.error,
    log: JSON.stringify(l.log),
    startedAt: l.task.startedAt ? new Date(l.task.startedAt) : null,
    finishedAt: l.task.finishedAt ? new Date(l.task.finishedAt) : null,
  });

  async function persist(l: Live) {
    l.dirty = false;
    await db.task.update({ where: { id: l.task.id }, data: toData(l) }).catch((err) => deps.log.error({ err }, 'task persist failed'));
  }

  const flusher = setInterval(() => {
    for (const l of live.values()) if (l.dirty) void persist(l);
  }, FLUSH_MS);
  flusher.unref();

  function publish(l: Live) {
    const msg = { type: 'task.updated' as const, task: { ...l.task } };
    bus.publish({ ...msg, topic: topics.tasks });
    bus.publish({ ...msg, topic: topics.task(l.task.id) });
  }

  async function finish(l: Live, status: TaskStatus, message: string | null, error: string | null) {
    // Recorded as interrupted by close() already (it ran past the shutdown grace): one end per task.
    if (live.get(l.task.id) !== l) return;
    // An engine's or a host's error can echo what it was given (a registry password, a URL with one).
    error = error === null ? null : redactText(error);
    Object.assign(l.task, { status, message: message ?? l.task.message, error, finishedAt: new Date().toISOString() });
    if (status === 'ok') l.task.progress = 1;
    await persist(l);
    publish(l);
    live.delete(l.task.id);
    await auditEnd(l.task);
  }

  /**
   * The task's outcome record: `task.<kind>` with the task id, which the accepted request that started
   * it also carries (audit.plugin.ts), so the log pairs them.
   */
  async function auditEnd(task: Task) {
    const started = Date.parse(task.startedAt ?? task.createdAt);
    const finished = task.finishedAt ? Date.parse(task.finishedAt) : Date.now();
    await audit
      .append({
        actor: task.user ? { type: 'user', id: task.user.id, name: task.user.name } : { type: 'system', id: null, name: 'mirador' },
        action: `task.${task.type}`,
        target: { type: task.target.type, id: task.target.id, name: task.target.name, hostId: task.target.hostId },
        params: { taskId: task.id, status: task.status },
        result: AUDIT_RESULT[task.status],
        errorMessage: task.error,
        durationMs: Math.max(0, finished - started),
      })
      .catch((err) => deps.log.error({ err }, 'task audit failed'));
  }

  return {
    /** Tasks a previous process left running can't be resumed: say so instead of showing them running forever. */
    async recoverInterrupted() {
      const left = await db.task.findMany({ where: { status: { in: ACTIVE } } });
      for (const row of left) {
        const finishedAt = new Date();
        // Only rows still active: another process cannot share this database, but the check costs nothing.
        const n = await db.task.updateMany({
          where: { id: row.id, status: { in: ACTIVE } },
          data: { status: 'error', error: INTERRUPTED, finishedAt },
        });
        // Its request reads "started as task …": the log must also say how it ended.
        if (n.count) await auditEnd(fromRow({ ...row, status: 'error', error: INTERRUPTED, finishedAt }));
      }
      return left.length;
    },

    async start(spec: StartTask): Promise<Task> {
      const now = new Date();
      const row = await db.task.create({
        data: {
          id: newId(),
          type: spec.type,
          status: 'running',
          startedAt: now,
          createdAt: now,
          targetType: spec.target?.type ?? null,
          targetId: spec.target?.id ?? null,
          targetName: spec.target?.name ?? null,
          hostId: spec.target?.hostId ?? null,
          userId: spec.user?.id ?? null,
          userName: spec.user?.name ?? null,
          cancellable: spec.cancellable,
          progress: 0,
          params: spec.params === undefined ? null : JSON.stringify(redact(spec.params)),
        },
      });
      const l: Live = { task: fromRow(row), log: [], controller: new AbortController(), done: Promise.resolve(), dirty: false };
      live.set(l.task.id, l);
      const ctx: TaskContext = {
        taskId: l.task.id,
        signal: l.controller.signal,
        progress(fraction, message) {
          l.task.progress = fraction === null ? null : Math.min(1, Math.max(0, fraction));
          if (message !== undefined) l.task.message = message;
          l.dirty = true;
          publish(l);
        },
        log(line, level = 'info') {
          const entry: TaskLogLine = { at: new Date().toISOString(), level, line: line.slice(0, 4000) };
          l.log.push(entry);
          if (l.log.length > MAX_LOG) l.log.splice(0, l.log.length - MAX_LOG);
          l.dirty = true;
          bus.publish({ type: 'task.log', topic: topics.task(l.task.id), taskId: l.task.id, line: entry });
        },
      };
      publish(l);
      l.done = (async () => {
        try {
          const message = await spec.run(ctx);
          if (l.controller.signal.aborted) await finish(l, 'cancelled', 'Cancelled', null);
          else await finish(l, 'ok', message || null, null);
        } catch (err) {
          if (l.controller.signal.aborted) await finish(l, 'cancelled', 'Cancelled', null);
          else await finish(l, 'error', null, (err as Error)?.message ?? String(err));
        }
      })();
      return { ...l.task };
    },

    async cancel(id: string): Promise<TaskDetail> {
      const l = live.get(id);
      if (!l) {
        const row = await db.task.findUnique({ where: { id } });
        if (!row) throw notFound('Task');
        throw conflict(`The task has already finished (${row.status})`);
      }
      if (!l.task.cancellable) throw badRequest('This task cannot be cancelled once started');
      l.controller.abort();
      await l.done;
      return this.get(id);
    },

    async get(id: string): Promise<TaskDetail> {
      const l = live.get(id);
      if (l) return { ...l.task, log: [...l.log] };
      const row = await db.task.findUnique({ where: { id } });
      if (!row) throw notFound('Task');
      return { ...fromRow(row), log: JSON.parse(row.log) as TaskLogLine[] };
    },

    async list(q: { status?: TaskStatus | 'active'; type?: string; limit?: number }): Promise<Task[]> {
      const rows = await db.task.findMany({
        where: {
          ...(q.status === 'active' ? { status: { in: ACTIVE } } : q.status ? { status: q.status } : {}),
          ...(q.type ? { type: q.type } : {}),
        },
        orderBy: { createdAt: 'desc' },
        take: q.limit ?? 50,
      });
      // Running tasks are fresher in memory than in the database.
      return rows.map((r) => (live.has(r.id) ? { ...live.get(r.id)!.task } : fromRow(r)));
    },

    /** On shutdown: stop what can be stopped, and record the rest as interrupted. */
    async close() {
      clearInterval(flusher);
      const running = [...live.values()];
      for (const l of running) l.controller.abort();
      await Promise.race([Promise.all(running.map((l) => l.done)), new Promise((r) => setTimeout(r, 3000))]);
      for (const l of [...live.values()]) {
        live.delete(l.task.id);
        Object.assign(l.task, { status: 'error', error: INTERRUPTED, finishedAt: new Date().toISOString() });
        await persist(l);
        await auditEnd(l.task);
      }
    },
  };
}

export type TaskManager = ReturnType<typeof createTaskManager>;
