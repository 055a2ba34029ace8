import type {
  FindingAck,
  HostSecurityScore,
  SecurityFinding,
  SecurityFindingList,
  SecurityFindingsQuery,
  SecurityRuleInfo,
} from '@mirador/contract';
import type { EventBus } from '../plugins/bus.js';
import { notFound } from '../lib/http-errors.js';
import type { FindingDraft, RuleRun } from './finding-draft.js';
import type { DockerAdvisor } from './docker-advisor.js';
import type { FindingAcks } from './finding-acks.js';
import { findingId } from './finding-id.js';
import { mergeOverlaps } from './finding-overlaps.js';
import { fleetScore, scoreOf } from './scores.js';

/** libvirt/host/VM rules of one host (host-advisor.ts, wired in advisor.plugin.ts); null runs the Docker rules alone. */
export interface HostRuleChecker {
  check(hostId: string): Promise<RuleRun>;
  forget?(hostId: string): void;
}

type Log = { warn(obj: unknown, msg: string): void };
type Family = 'docker' | 'host';

interface HostState {
  name: string;
  runs: Partial<Record<Family, RuleRun>>;
  /** The families to recompute on the next run. */
  pending: Set<Family>;
  timer: NodeJS.Timeout | null;
  running: Partial<Record<Family, Promise<void>>>;
  /** When a recompute last finished (a host no family applies to is still "checked"). */
  lastRun: Date | null;
}

/**
 * The reasons a host's findings are stale, each said once: a reason that quotes another one whole (the
 * Docker rules' "Cannot read the Docker engine: Host "x" is not reachable: …" next to the host rules'
 * "Host "x" is not reachable: …") is the same problem seen through one more layer, so only the plain one stays.
 */
export function rootCauses(reasons: string[]): string[] {
  const unique = [...new Set(reasons)];
  return unique.filter((r) => !unique.some((o) => o !== r && r.includes(o)));
}

/** Bursts of inventory events (a `docker run` is create, attach, start…) within this window make one recompute. */
export const RECOMPUTE_DEBOUNCE_MS = 1_500;
/** A first request waits this long for the first computation; after that it is answered from memory. */
const FIRST_WAIT_MS = 20_000;

/**
 * The advisor's findings, computed per host from the rule families (Docker engine rules, host rules),
 * kept in memory, and recomputed when the inventory says something changed — never per request.
 * Findings get a stable id, their acknowledgement, and the time they were first seen; scores are
 * derived on reading.
 */
export function createAdvisorService(deps: {
  hosts: () => Promise<Array<{ id: string; name: string }>>;
  docker: DockerAdvisor;
  hostRules: HostRuleChecker | null;
  acks: FindingAcks;
  bus: EventBus;
  log: Log;
  rules: SecurityRuleInfo[];
  debounceMs?: number;
}) {
  const { docker, hostRules, acks, bus, log } = deps;
  const debounceMs = deps.debounceMs ?? RECOMPUTE_DEBOUNCE_MS;
  const states = new Map<string, HostState>();
  const firstSeen = new Map<string, string>();
  let computedAt: string | null = null;
  let started: Promise<void> | null = null;
  let closed = false;
  let lastSignature = '';

  function stateOf(host: { id: string; name: string }): HostState {
    let s = states.get(host.id);
    if (!s) states.set(host.id, (s = { name: host.name, runs: {}, pending: new Set(), timer: null, running: {}, lastRun: null }));
    s.name = host.name;
    return s;
  }

  async function runFamily(family: Family, host: { id: string; name: string }, previous: RuleRun | undefined): Promise<RuleRun | null> {
    let run: RuleRun | null;
    try {
      if (family === 'docker') run = await docker.check(host);
      else run = hostRules ? await hostRules.check(host.id) : null;
    } catch (err) {
      log.warn({ err, host: host.name, family }, 'security rules could not run');
      run = { findings: [], checkedAt: new Date(), stale: `The ${family} rules could not run: ${(err as Error).message}` };
    }
    // Rules that could not run now keep their last known findings, marked stale.
    if (run?.stale && run.findings.length === 0 && previous) return { ...previous, stale: run.stale };
    return run;
  }

  /** Runs one family of one host; a request while it runs makes one more run after it. */
  async function recomputeFamily(s: HostState, hostId: string, family: Family): Promise<void> {
    const running = s.running[family];
    if (running) {
      await running;
      if (s.pending.has(family)) return recomputeFamily(s, hostId, family);
      return;
    }
    s.pending.delete(family);
    const job = (async () => {
      const run = await runFamily(family, { id: hostId, name: s.name }, s.runs[family]);
      if (states.get(hostId) !== s) return; // the host went away meanwhile
      if (run) s.runs[family] = run;
      else delete s.runs[family];
      s.lastRun = new Date();
      announce();
    })().finally(() => delete s.running[family]);
    s.running[family] = job;
    await job;
  }

  /**
   * Recomputes a host's pending families side by side: each one's findings show as soon as it is done,
   * so the quick Docker rules are not held up by a host probe that takes seconds.
   */
  async function recompute(hostId: string): Promise<void> {
    const s = states.get(hostId);
    if (!s || closed) return;
    await Promise.all([...s.pending].map((f) => recomputeFamily(s, hostId, f)));
  }

  /** Tells viewers once the findings really changed (not on every recompute). */
  function announce() {
    computedAt = new Date().toISOString();
    const signature = JSON.stringify(
      [...states].map(([id, s]) => [id, s.runs.docker, s.runs.host].map((r) => (r && typeof r === 'object' ? { ...r, checkedAt: 0 } : r))),
    );
    if (signature === lastSignature) return;
    lastSignature = signature;
    bus.publish({ type: 'security.changed', topic: 'security', computedAt });
  }

  /**
   * The first computation of every host. Resolves once the Docker rules are in (a first request waits
   * for those); host probes go on in the background and announce themselves when done.
   */
  async function refreshAll(): Promise<void> {
    const hosts = await deps.hosts();
    const ids = new Set(hosts.map((h) => h.id));
    for (const id of [...states.keys()]) if (!ids.has(id)) forgetHost(id);
    const docker: Array<Promise<void>> = [];
    for (const h of hosts) {
      const s = stateOf(h);
      if (hostRules) void recomputeFamily(s, h.id, 'host').catch((err) => log.warn({ err, host: h.name }, 'host rules failed'));
      docker.push(recomputeFamily(s, h.id, 'docker'));
    }
    await Promise.all(docker);
    announce();
  }

  function ensureStarted(): Promise<void> {
    started ??= refreshAll().catch((err) => log.warn({ err }, 'security advisor: first computation failed'));
    return started;
  }

  function forgetHost(id: string) {
    const s = states.get(id);
    if (s?.timer) clearTimeout(s.timer);
    states.delete(id);
    docker.forget(id);
    hostRules?.forget?.(id);
  }

  function toFinding(hostId: string, hostName: string, d: FindingDraft, ack: FindingAck | undefined): SecurityFinding {
    const id = findingId(d.ruleId, hostId, d.target.kind, d.target.id);
    let seen = firstSeen.get(id);
    if (!seen) firstSeen.set(id, (seen = new Date().toISOString()));
    return { id, hostId, hostName, ...d, acknowledged: ack ?? null, detectedAt: seen };
  }

  async function everything(): Promise<{ findings: SecurityFinding[]; hosts: HostSecurityScore[] }> {
    const ackMap = await acks.all();
    const findings: SecurityFinding[] = [];
    const hosts: HostSecurityScore[] = [];
    for (const [hostId, s] of [...states].sort(([, a], [, b]) => a.name.localeCompare(b.name))) {
      const runs = Object.values(s.runs);
      const own: SecurityFinding[] = [];
      const seenIds = new Set<string>();
      // What both families saw of one thing (the Docker API on TCP) is one finding: finding-overlaps.ts.
      for (const d of mergeOverlaps(s.runs.docker?.findings ?? null, s.runs.host?.findings ?? [])) {
        const f = toFinding(hostId, s.name, d, undefined);
        if (seenIds.has(f.id)) continue; // one rule, one target: one finding
        seenIds.add(f.id);
        f.acknowledged = ackMap.get(f.id) ?? null;
        own.push(f);
      }
      const checked = runs.map((r) => r.checkedAt.getTime());
      const stale = runs.map((r) => r.stale).filter((x): x is string => Boolean(x));
      if (hostRules && s.lastRun && !s.runs.host) stale.push('The host checks have not finished yet');
      const pendingFirst = s.lastRun ? null : 'Not checked yet';
      hosts.push({
        hostId,
        hostName: s.name,
        ...scoreOf(own),
        checkedAt: checked.length ? new Date(Math.min(...checked)).toISOString() : (s.lastRun?.toISOString() ?? null),
        stale: stale.length ? rootCauses(stale).join('; ') : pendingFirst,
      });
      findings.push(...own);
    }
    // First-seen times are kept only for findings that still exist (containers come and go).
    const current = new Set(findings.map((f) => f.id));
    for (const id of [...firstSeen.keys()]) if (!current.has(id)) firstSeen.delete(id);
    return { findings, hosts };
  }

  const matches = (f: SecurityFinding, q: SecurityFindingsQuery) =>
    (!q.hostId || f.hostId === q.hostId) &&
    (!q.targetKind || f.target.kind === q.targetKind) &&
    (!q.targetId || f.target.id === q.targetId) &&
    (!q.severity || f.severity === q.severity) &&
    (q.includeAcknowledged !== false || !f.acknowledged);

  const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

  return {
    /** Findings (filtered), the fleet's and every host's score, and the rule catalog. */
    async list(q: SecurityFindingsQuery = {}): Promise<SecurityFindingList> {
      await Promise.race([ensureStarted(), new Promise((r) => setTimeout(r, FIRST_WAIT_MS).unref())]);
      const { findings, hosts } = await everything();
      const items = findings
        .filter((f) => matches(f, q))
        .sort(
          (a, b) =>
            SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
            a.hostName.localeCompare(b.hostName) ||
            a.target.id.localeCompare(b.target.id) ||
            a.ruleId.localeCompare(b.ruleId),
        );
      return {
        items,
        fleet: fleetScore(hosts),
        hosts: q.hostId ? hosts.filter((h) => h.hostId === q.hostId) : hosts,
        rules: deps.rules,
        computedAt,
      };
    },

    /** The current finding with this id, or 404. */
    async get(id: string): Promise<SecurityFinding> {
      await ensureStarted();
      const f = (await everything()).findings.find((x) => x.id === id);
      if (!f) throw notFound('Finding', 'notFound.finding');
      return f;
    },

    async acknowledge(id: string, reason: string, user: { id: string | null; name: string }): Promise<SecurityFinding> {
      const f = await this.get(id);
      const ack = await acks.set({
        findingId: f.id,
        ruleId: f.ruleId,
        hostId: f.hostId,
        targetKind: f.target.kind,
        targetId: f.target.id,
        reason,
        user,
      });
      bus.publish({ type: 'security.changed', topic: 'security', computedAt: computedAt ?? new Date().toISOString() });
      return { ...f, acknowledged: ack };
    },

    async unacknowledge(id: string): Promise<SecurityFinding> {
      const f = await this.get(id);
      if (!(await acks.remove(id))) throw notFound('Acknowledgement', 'notFound.findingAck');
      bus.publish({ type: 'security.changed', topic: 'security', computedAt: computedAt ?? new Date().toISOString() });
      return { ...f, acknowledged: null };
    },

    /**
     * Something about a host changed: its named families are recomputed after the burst settles.
     * Before anyone has asked for findings, nothing is computed (and nothing is owed).
     */
    changed(host: { id: string; name?: string }, families: Family[]) {
      if (!started || closed) return;
      const known = states.get(host.id);
      // Events that name a host only by id (a removal on an engine) never invent a host: a new host
      // arrives with its name (`host.updated`).
      if (!known && !host.name) return;
      const s = stateOf({ id: host.id, name: host.name ?? known?.name ?? host.id });
      for (const f of families) if (f === 'docker' || hostRules) s.pending.add(f);
      // A window from the first event, not a trailing debounce: a busy engine's steady stream of
      // events must not postpone the recompute forever.
      if (!s.pending.size || s.timer) return;
      s.timer = setTimeout(() => {
        s.timer = null;
        void recompute(host.id).catch((err) => log.warn({ err }, 'security recompute failed'));
      }, debounceMs);
      s.timer.unref();
    },

    /** Recomputes one host now (after a fix), waiting for it. */
    async recheck(hostId: string, families: Family[] = ['docker', 'host']): Promise<void> {
      await ensureStarted();
      const s = states.get(hostId);
      if (!s) return;
      for (const f of families) if (f === 'docker' || hostRules) s.pending.add(f);
      await recompute(hostId);
    },

    removed(hostId: string) {
      if (!states.has(hostId)) return;
      forgetHost(hostId);
      announce();
    },

    close() {
      closed = true;
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
    },
  };
}

export type AdvisorService = ReturnType<typeof createAdvisorService>;
