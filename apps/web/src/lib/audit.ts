import { isTaskOutcomeAction, type AuditEntry, type AuditResult } from '@mirador/contract';
import { t, tDyn } from '$lib/i18n/index.svelte';
import { translateServerMessage } from '$lib/i18n/serverMessage';

/** Every result a record can carry, in the order the filter offers them. */
export const AUDIT_RESULTS: readonly AuditResult[] = ['ok', 'error', 'accepted', 'cancelled'];

const isResult = (v: string): v is AuditResult => (AUDIT_RESULTS as readonly string[]).includes(v);

/** Filters the UI exposes (strings as typed in the form; converted for the query). */
export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  hostId: string;
  result: '' | AuditResult;
  /** A task's id: the request that started it and the record of its end. */
  taskId: string;
  from: string; // datetime-local value
  to: string;
}

export const EMPTY_FILTERS: AuditFilters = { actor: '', action: '', targetType: '', hostId: '', result: '', taskId: '', from: '', to: '' };

const KEYS = Object.keys(EMPTY_FILTERS) as (keyof AuditFilters)[];

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const f: AuditFilters = { ...EMPTY_FILTERS };
  for (const k of KEYS) {
    const v = params.get(k);
    if (v === null) continue;
    if (k === 'result') f.result = isResult(v) ? v : '';
    else if (k === 'from' || k === 'to') f[k] = isoToLocalInput(v);
    else f[k] = v;
  }
  return f;
}

/** Query parameters for /api/audit and /api/audit/export. */
export function filtersToQuery(f: AuditFilters): Record<string, string | undefined> {
  return {
    actor: f.actor.trim() || undefined,
    action: f.action.trim() || undefined,
    targetType: f.targetType.trim() || undefined,
    hostId: f.hostId || undefined,
    result: f.result || undefined,
    taskId: f.taskId.trim() || undefined,
    from: localInputToIso(f.from),
    to: localInputToIso(f.to),
  };
}

export function hasFilters(f: AuditFilters): boolean {
  return KEYS.some((k) => f[k] !== '');
}

export function localInputToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function actorLabel(e: AuditEntry): string {
  if (e.actor.type === 'anonymous') return e.actor.name ? `${e.actor.name} (${t('audit.anonymous')})` : t('audit.anonymous');
  if (e.actor.type === 'system') return t('audit.system');
  const name = e.actor.name ?? e.actor.id ?? '?';
  return e.actor.type === 'token' ? `${name} (${t('audit.viaToken')})` : name;
}

export function actionLabel(action: string): string {
  return tDyn(`action.${action}`, action);
}

/**
 * What a record says, as a sentence: a task's end reads as its outcome ("Image build failed: <reason>"),
 * never as the request that started it; anything else by its action's label.
 */
export function entryLabel(e: Pick<AuditEntry, 'action' | 'result' | 'errorMessage' | 'errorCode' | 'errorParams'>): string {
  if (isTaskOutcomeAction(e.action) && (e.result === 'ok' || e.result === 'error' || e.result === 'cancelled')) {
    const kind = e.action.slice('task.'.length);
    return tDyn(`audit.outcome.${kind}.${e.result}`, actionLabel(e.action), { reason: failureText(e) ?? t('audit.noReason') });
  }
  return actionLabel(e.action);
}

/**
 * Why a recorded action failed, in the reader's language: records carry a code and values beside the
 * English text (older records only the text, shown as it is). Null when the record names no reason.
 */
export function failureText(e: Pick<AuditEntry, 'errorMessage' | 'errorCode' | 'errorParams'>): string | null {
  if (!e.errorMessage && !e.errorCode) return null;
  return translateServerMessage({ code: e.errorCode, params: e.errorParams, message: e.errorMessage }) || null;
}

/** A task id short enough for a table cell (the full id is in the link and the details). */
export const shortTaskId = (id: string) => `#${id.slice(0, 8)}`;

/**
 * An accepted request with its task's end, once the log has one: the server pairs them on reads, and a
 * record pushed live is paired here (idempotent: patching twice changes nothing).
 */
export function withOutcome(items: AuditEntry[], end: AuditEntry): AuditEntry[] {
  if (!end.taskId || !isTaskOutcomeAction(end.action)) return items;
  const codes = end.errorCode ? { errorCode: end.errorCode, ...(end.errorParams ? { errorParams: end.errorParams } : {}) } : {};
  const outcome = { seq: end.seq, at: end.at, action: end.action, result: end.result, errorMessage: end.errorMessage, ...codes };
  let changed = false;
  const next = items.map((e) => {
    if (e.result !== 'accepted' || e.taskId !== end.taskId || e.outcome?.seq === end.seq) return e;
    changed = true;
    return { ...e, outcome };
  });
  return changed ? next : items;
}

export function targetLabel(e: AuditEntry): string {
  const tg = e.target;
  if (!tg.type && !tg.name && !tg.id) return '—';
  const type = tg.type ? tDyn(`targetType.${tg.type}`, tg.type) : '';
  return [type, tg.name ?? tg.id].filter(Boolean).join(' ');
}

/** Does a live entry match the current filters (best effort; the server is authoritative)? */
export function entryMatches(e: AuditEntry, f: AuditFilters): boolean {
  const q = filtersToQuery(f);
  if (q.actor && e.actor.name !== q.actor && e.actor.id !== q.actor) return false;
  if (q.action && !(q.action.endsWith('.') ? e.action.startsWith(q.action) : e.action === q.action)) return false;
  if (q.targetType && e.target.type !== q.targetType) return false;
  if (q.hostId && e.target.hostId !== q.hostId && !(e.target.type === 'host' && e.target.id === q.hostId)) return false;
  if (q.result && e.result !== q.result) return false;
  if (q.taskId && e.taskId !== q.taskId) return false;
  if (q.from && e.at < q.from) return false;
  if (q.to && e.at > q.to) return false;
  return true;
}
