import type { AuditResult, MessageParams, Task, TaskDetail, TaskKind, TaskLogLine, TaskStatus } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../plugins/bus.js';
import type { AuditService } from '../audit/audit.service.js';
import { newId } from '../lib/ids.js';
import { redact, redactText } from '../audit/redact.js';
import { badRequest, conflict, HttpError, notFound } from '../lib/http-errors.js';
import { topics } from '@mirador/contract';

export interface TaskContext {
  /** The task's id, for operations that publish their own detail on `task:<id>`. */
  taskId: string;
  signal: AbortSignal;
  /** 0..1, or null when the operation cannot tell how far it is. */
  /** `code` + `params` let the UI translate `message` (which stays the English fallback). */
  progress(fraction: number | null, message?: string, code?: { code: string; params?: MessageParams }): void;
  log(line: string, level?: TaskLogLine['level']): void;
}

/** An English sentence plus the stable code and values the UI translates it with. */
export interface CodedMessage {
  message: string;
  code: string;
  params?: MessageParams;
}

export interface StartTask {
  /** One of TASK_KINDS (contract): its end is audited as `task.<kind>`, which the UI labels per kind. */
  type: TaskKind;
  target?: { type?: string; id?: string; name?: string; hostId?: string };
  user: { id: string; name: string } | null;
  cancellable: boolean;
  params?: unknown;
  /** Resolves with a final message (with a code to translate it by); throws to fail. Must honour ctx.signal when cancellable. */
  run(ctx: TaskContext): Promise<string | void | CodedMessage>;
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
const CANCELLED = 'Cancelled';

/** The codes the UI translates a task's `message` / `error` with (the texts stay the English fallback). */
type TaskCodes = Pick<Task, 'messageCode' | 'messageParams' | 'errorCode' | 'errorParams'>;

/** The code of a failure: an HttpError's own, else the generic `task.failed` carrying the text. */
function errorCodesOf(err: unknown, text: string): TaskCodes {
  if (err instanceof HttpError && err.extra.code)
    return { errorCode: err.extra.code, ...(err.extra.params ? { errorParams: err.extra.params } : {}) };
  return { errorCode: 'task.failed', errorParams: { detail: text } satisfies MessageParams };
}

/**
 * The codes a stored task carries (the `codes` column), or for rows written before it existed, what
 * the stored text alone tells (cancelled, interrupted by a restart).
 */
function codesOfRow(r: { status: string; message: string | null; error: string | null; codes?: string | null }): TaskCodes {
  if (r.error === INTERRUPTED) return { errorCode: 'task.interrupted' };
  if (r.codes) {
    try {
      return pickCodes(JSON.parse(r.codes) as TaskCodes);
    } catch {
      // A row edited by hand: its English text is still there.
    }
  }
  return r.status === 'cancelled' && r.message === CANCELLED ? { messageCode: 'task.cancelled' } : {};
}

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
  codes?: string | null;
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
    ...codesOfRow(r),
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
    codes: codesJson(l.task),
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

  async function finish(l: Live, status: TaskStatus, message: string | null, error: string | null, codes: TaskCodes = {}) {
    // Recorded as interrupted by close() already (it ran past the shutdown grace): one end per task.
    if (live.get(l.task.id) !== l) return;
    // An engine's or a host's error can echo what it was given (a registry password, a URL with one).
    error = error === null ? null : redactText(error);
    if (codes.errorParams) codes = { ...codes, errorParams: redactParams(codes.errorParams) };
    Object.assign(l.task, { status, message: message ?? l.task.message, error, finishedAt: new Date().toISOString() }, codes);
    // A new final message without a code must not keep the code of the last progress message.
    if (message !== null && codes.messageCode === undefined) {
      delete l.task.messageCode;
      delete l.task.messageParams;
    }
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
        errorCode: task.errorCode ?? null,
        errorParams: task.errorParams ?? null,
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
        progress(fraction, message, code) {
          l.task.progress = fraction === null ? null : Math.min(1, Math.max(0, fraction));
          if (message !== undefined) {
            l.task.message = message;
            l.task.messageCode = code?.code;
            l.task.messageParams = code?.params;
            if (!code) delete l.task.messageCode;
            if (!code?.params) delete l.task.messageParams;
          }
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
          const result = await spec.run(ctx);
          if (l.controller.signal.aborted) await finish(l, 'cancelled', CANCELLED, null, { messageCode: 'task.cancelled' });
          else if (typeof result === 'object')
            await finish(l, 'ok', result.message, null, {
              messageCode: result.code,
              ...(result.params ? { messageParams: result.params } : {}),
            });
          else await finish(l, 'ok', result || null, null);
        } catch (err) {
          if (l.controller.signal.aborted) await finish(l, 'cancelled', CANCELLED, null, { messageCode: 'task.cancelled' });
          else {
            const text = (err as Error)?.message ?? String(err);
            await finish(l, 'error', null, text, errorCodesOf(err, text));
          }
        }
      })();
      return { ...l.task };
    },

    async cancel(id: string): Promise<TaskDetail> {
      const l = live.get(id);
      if (!l) {
        const row = await db.task.findUnique({ where: { id } });
        if (!row) throw notFound('Task');
        throw conflict(`The task has already finished (${row.status})`, undefined, 'task.alreadyFinished', { status: row.status });
      }
      if (!l.task.cancellable) throw badRequest('This task cannot be cancelled once started', undefined, 'task.notCancellable');
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
        Object.assign(l.task, { status: 'error', error: INTERRUPTED, errorCode: 'task.interrupted', finishedAt: new Date().toISOString() });
        delete l.task.errorParams;
        await persist(l);
        await auditEnd(l.task);
      }
    },
  };
}

export type TaskManager = ReturnType<typeof createTaskManager>;

function pickCodes(t: TaskCodes): TaskCodes {
  const { messageCode, messageParams, errorCode, errorParams } = t;
  return Object.fromEntries(Object.entries({ messageCode, messageParams, errorCode, errorParams }).filter(([, v]) => v !== undefined));
}

/** The `codes` column: null when the task carries none (its text is all there is). */
function codesJson(t: Task): string | null {
  const codes = pickCodes(t);
  return Object.keys(codes).length ? JSON.stringify(codes) : null;
}

/** Parameters can carry an engine's words, which can echo a secret just like the error text. */
function redactParams(params: MessageParams): MessageParams {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? redactText(v) : v]));
}
