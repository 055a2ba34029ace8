/**
 * What the Security page, the badges and the dashboard card compute from the advisor's answer
 * (`GET /api/security/findings`): filters, groups, the worst open severity of a target, score tones and
 * the links between them. Pure functions, so the rules of display are tested without a browser.
 */
import type { FindingSeverity, FindingTargetKind, SecurityFinding } from '@mirador/contract';
import { FINDING_SEVERITIES } from '@mirador/contract';
import { buildQuery } from '$lib/api';

export const TARGET_KINDS: readonly FindingTargetKind[] = ['host', 'engine', 'vm', 'container', 'image'];
export type AckFilter = 'open' | 'acknowledged' | 'all';
export const ACK_FILTERS: readonly AckFilter[] = ['open', 'acknowledged', 'all'];
export type GroupBy = 'host' | 'severity' | 'rule' | 'target';
export const GROUP_BYS: readonly GroupBy[] = ['host', 'severity', 'rule', 'target'];

/** 0 = critical … 4 = info: sorts the worst first. */
export function severityRank(s: FindingSeverity): number {
  return FINDING_SEVERITIES.indexOf(s);
}

/** The worst of some severities, or null when there are none. */
export function worstSeverity(list: readonly { severity: FindingSeverity }[]): FindingSeverity | null {
  let worst: FindingSeverity | null = null;
  for (const f of list) if (worst === null || severityRank(f.severity) < severityRank(worst)) worst = f.severity;
  return worst;
}

export const isOpen = (f: Pick<SecurityFinding, 'acknowledged'>): boolean => f.acknowledged === null;

/** The page's filters; they live in the URL so a filtered view (and a badge's link) can be shared. */
export interface FindingFilter {
  hostId: string;
  severity: FindingSeverity | '';
  targetKind: FindingTargetKind | '';
  /** A target's id within its kind (`targetKind` must be set for it to mean anything). */
  targetId: string;
  ruleId: string;
  ack: AckFilter;
}

export const NO_FILTER: FindingFilter = { hostId: '', severity: '', targetKind: '', targetId: '', ruleId: '', ack: 'open' };

const PARAMS = { hostId: 'host', severity: 'severity', targetKind: 'kind', targetId: 'target', ruleId: 'rule', ack: 'ack' } as const;

/** Reads the filters from a URL's query (unknown values are ignored). */
export function filterFromQuery(q: URLSearchParams): FindingFilter {
  const severity = q.get(PARAMS.severity) ?? '';
  const kind = q.get(PARAMS.targetKind) ?? '';
  const ack = q.get(PARAMS.ack) ?? '';
  return {
    hostId: q.get(PARAMS.hostId) ?? '',
    severity: (FINDING_SEVERITIES as readonly string[]).includes(severity) ? (severity as FindingSeverity) : '',
    targetKind: (TARGET_KINDS as readonly string[]).includes(kind) ? (kind as FindingTargetKind) : '',
    targetId: q.get(PARAMS.targetId) ?? '',
    ruleId: q.get(PARAMS.ruleId) ?? '',
    ack: (ACK_FILTERS as readonly string[]).includes(ack) ? (ack as AckFilter) : 'open',
  };
}

/** The Security page filtered (`/security?host=…&kind=container&target=web`). `open` is the default and left out. */
export function securityHref(f: Partial<FindingFilter> = {}): string {
  const full = { ...NO_FILTER, ...f };
  return `/security${buildQuery({
    [PARAMS.hostId]: full.hostId,
    [PARAMS.severity]: full.severity,
    [PARAMS.targetKind]: full.targetKind,
    [PARAMS.targetId]: full.targetId,
    [PARAMS.ruleId]: full.ruleId,
    [PARAMS.ack]: full.ack === 'open' ? '' : full.ack,
  })}`;
}

export function matchesFilter(f: SecurityFinding, filter: FindingFilter): boolean {
  if (filter.hostId && f.hostId !== filter.hostId) return false;
  if (filter.severity && f.severity !== filter.severity) return false;
  if (filter.targetKind && f.target.kind !== filter.targetKind) return false;
  if (filter.targetId && f.target.id !== filter.targetId) return false;
  if (filter.ruleId && f.ruleId !== filter.ruleId) return false;
  if (filter.ack === 'open') return isOpen(f);
  if (filter.ack === 'acknowledged') return !isOpen(f);
  return true;
}

/** Worst first, then by host, target and rule: the order of the list and of each group. */
export function compareFindings(a: SecurityFinding, b: SecurityFinding): number {
  return (
    Number(!isOpen(a)) - Number(!isOpen(b)) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    a.hostName.localeCompare(b.hostName) ||
    a.target.name.localeCompare(b.target.name) ||
    a.ruleId.localeCompare(b.ruleId)
  );
}

export interface FindingGroup {
  key: string;
  /** What the heading names (a host name, a severity, a rule id, a target's name). */
  label: string;
  /** For target groups: the target's kind and host (the heading links to it). */
  target?: SecurityFinding['target'] & { hostId: string };
  items: SecurityFinding[];
  worst: FindingSeverity | null;
}

/** Findings in groups: by severity in severity order, the others worst group first, then by name. */
export function groupFindings(items: readonly SecurityFinding[], by: GroupBy): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const f of [...items].sort(compareFindings)) {
    const [key, label] =
      by === 'host'
        ? [f.hostId, f.hostName]
        : by === 'severity'
          ? [f.severity, f.severity]
          : by === 'rule'
            ? [f.ruleId, f.ruleId]
            : [`${f.hostId}|${f.target.kind}|${f.target.id}`, f.target.name];
    let g = groups.get(key);
    if (!g) {
      g = { key, label, items: [], worst: null, ...(by === 'target' ? { target: { ...f.target, hostId: f.hostId } } : {}) };
      groups.set(key, g);
    }
    g.items.push(f);
  }
  const list = [...groups.values()].map((g) => ({ ...g, worst: worstSeverity(g.items.filter(isOpen)) }));
  const rank = (g: FindingGroup) => (g.worst === null ? FINDING_SEVERITIES.length : severityRank(g.worst));
  return by === 'severity'
    ? list.sort((a, b) => severityRank(a.key as FindingSeverity) - severityRank(b.key as FindingSeverity))
    : list.sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label));
}

/** The key a badge looks its target up by. */
export function targetKey(kind: FindingTargetKind, hostId: string, id: string): string {
  return `${kind}|${hostId}|${id}`;
}

export interface TargetSummary {
  /** Open findings by severity. */
  open: Record<FindingSeverity, number>;
  total: number;
  worst: FindingSeverity | null;
  acknowledged: number;
}

const zeroCounts = (): Record<FindingSeverity, number> => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });

/** Per target (kind + host + id): what its badge shows. Built once per answer, looked up per row. */
export function summariseByTarget(items: readonly SecurityFinding[]): Map<string, TargetSummary> {
  return summarise(items, (f) => targetKey(f.target.kind, f.hostId, f.target.id));
}

/** Per host, every target on it (the host's own rules, its engine, its VMs, containers and images). */
export function summariseByHost(items: readonly SecurityFinding[]): Map<string, TargetSummary> {
  return summarise(items, (f) => f.hostId);
}

function summarise(items: readonly SecurityFinding[], keyOf: (f: SecurityFinding) => string): Map<string, TargetSummary> {
  const map = new Map<string, TargetSummary>();
  for (const f of items) {
    const key = keyOf(f);
    let s = map.get(key);
    if (!s) {
      s = { open: zeroCounts(), total: 0, worst: null, acknowledged: 0 };
      map.set(key, s);
    }
    if (!isOpen(f)) {
      s.acknowledged++;
      continue;
    }
    s.open[f.severity]++;
    s.total++;
    if (s.worst === null || severityRank(f.severity) < severityRank(s.worst)) s.worst = f.severity;
  }
  return map;
}

/** Tone of a score: green from 90, amber from 70, red below. */
export function scoreTone(score: number): 'green' | 'amber' | 'red' {
  return score >= 90 ? 'green' : score >= 70 ? 'amber' : 'red';
}

/** The page of a finding's target in the UI (null when it has none). */
export function targetHref(f: Pick<SecurityFinding, 'hostId' | 'target'>): string | null {
  const host = encodeURIComponent(f.hostId);
  const id = encodeURIComponent(f.target.id);
  switch (f.target.kind) {
    case 'host':
      return `/hosts/${host}`;
    case 'engine':
      return `/docker/${host}`;
    case 'vm':
      return `/vms/${host}/${id}`;
    case 'container':
      return `/containers/${host}/${id}`;
    case 'image':
      return `/images/${host}/${id}`;
  }
}

/** The distinct rules among some findings, for the rule filter. */
export function rulesOf(items: readonly SecurityFinding[]): string[] {
  return [...new Set(items.map((f) => f.ruleId))].sort();
}

/** Optimistic acknowledge / un-acknowledge before the server's recomputed list arrives. */
export function withAck(items: readonly SecurityFinding[], id: string, ack: SecurityFinding['acknowledged']): SecurityFinding[] {
  return items.map((f) => (f.id === id ? { ...f, acknowledged: ack } : f));
}
