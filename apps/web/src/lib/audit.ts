import type { AuditEntry } from '@mirador/contract';
import { t, tDyn } from '$lib/i18n/index.svelte';

/** Filters the UI exposes (strings as typed in the form; converted for the query). */
export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  hostId: string;
  result: '' | 'ok' | 'error';
  from: string; // datetime-local value
  to: string;
}

export const EMPTY_FILTERS: AuditFilters = { actor: '', action: '', targetType: '', hostId: '', result: '', from: '', to: '' };

const KEYS = Object.keys(EMPTY_FILTERS) as (keyof AuditFilters)[];

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const f: AuditFilters = { ...EMPTY_FILTERS };
  for (const k of KEYS) {
    const v = params.get(k);
    if (v === null) continue;
    if (k === 'result') f.result = v === 'ok' || v === 'error' ? v : '';
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
  if (q.from && e.at < q.from) return false;
  if (q.to && e.at > q.to) return false;
  return true;
}
