/**
 * libvirt/host rules of the security advisor: one posture probe per host (one SSH round trip),
 * judged by the pure host rules and VM rules.
 *
 * Wiring (advisor service / plugin):
 *
 *   const hostAdvisor = createHostAdvisor({
 *     host: (id) => app.db.host.findUnique({ where: { id }, select: { id: true, name: true, libvirtUri: true } }),
 *     runner: (id) => app.connections.runner(id),   // the pooled, pinned connection; LocalRunner for 'local'
 *   });
 *   const run: RuleRun = await hostAdvisor.check(hostId);   // host + VM drafts, or stale with the reason
 *
 * Run it when the inventory changes (host added/edited/online again, VM defined/undefined/started),
 * not per page view: the probe is one SSH command of a few seconds. Pending package updates (apt
 * rebuilding its cache, 5–10 s on a busy host) are read at most every `updatesEveryMs` (default 6 h); in
 * between, the last answer about them is carried over.
 * Check only hosts ready for background work (hosts/host-trust.ts READY_FOR_BACKGROUND): the pool
 * refuses a host whose key nobody accepted yet, which comes back here as a stale run.
 * `forget(hostId)` when a host is removed.
 */
import type { FindingTarget } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import type { FindingDraft, RuleRun } from './finding-draft.js';
import { readHostPosture, type HostPosture } from './host-posture.js';
import { HOST_RULES, hostRules, unknown } from './host-rules.js';
import { VM_RULES, vmRules } from './vm-rules.js';

export interface HostAdvisorDeps {
  /** The host row (null when it is gone). `libvirtUri` null: no libvirt on it; only QEMU URIs Mirador builds are used. */
  host(hostId: string): Promise<{ id: string; name: string; libvirtUri: string | null } | null>;
  /** The host's shared command runner (connection pool). May reject (unknown host, key not accepted). */
  runner(hostId: string): Promise<CommandRunner>;
  now?: () => Date;
  /** How often pending package updates are read again (they change with the package lists, not with the inventory). */
  updatesEveryMs?: number;
}

export interface HostAdvisor {
  check(hostId: string): Promise<RuleRun>;
  forget(hostId: string): void;
}

/** Every rule this family can produce (for the advisor's rule list). */
export const HOST_ADVISOR_RULES = [
  ...HOST_RULES.map((r) => ({
    ruleId: r.ruleId,
    reference: r.reference,
    severity: r.severity,
    title: r.title,
    appliesTo: 'host' as const,
  })),
  { ...pick(VM_RULES.vnc), severity: 'high' as const, appliesTo: 'vm' as const },
  { ...pick(VM_RULES.unconfined), severity: 'medium' as const, appliesTo: 'vm' as const },
];

function pick(r: { ruleId: string; reference: string; title: string }) {
  return { ruleId: r.ruleId, reference: r.reference, title: r.title };
}

/** Findings about the probe itself: domains it could not list or did not get to. */
function probeNotes(p: HostPosture, target: FindingTarget): FindingDraft[] {
  const notes: FindingDraft[] = [];
  const fix = 'Check that libvirt answers on this host (virsh list --all) and run the check again.';
  if (p.domains && !p.domains.ok) notes.push(unknown(VM_RULES.vnc, target, p.domains.reason, fix));
  else if (p.domains?.ok && p.domains.value.total > p.domains.value.items.length) {
    const { total, items } = p.domains.value;
    notes.push(unknown(VM_RULES.vnc, target, `only ${items.length} of ${total} domains were read (the probe reads at most 300)`, fix));
  }
  if (!p.complete)
    notes.push(unknown(HOST_RULES[0]!, target, 'the probe was cut short (time or output limit); later sections are missing', fix));
  return notes;
}

/** Judges a posture: host rules, VM rules, and notes about what could not be read. */
export function judgePosture(p: HostPosture, host: { id: string; name: string }): FindingDraft[] {
  const target: FindingTarget = { kind: 'host', id: host.id, name: host.name };
  return [...hostRules(p, target), ...vmRules(p), ...probeNotes(p, target)];
}

const isUpdatesDraft = (d: FindingDraft) => d.ruleId.startsWith('host.security-updates');

export function createHostAdvisor(deps: HostAdvisorDeps): HostAdvisor {
  const now = deps.now ?? (() => new Date());
  const updatesEveryMs = deps.updatesEveryMs ?? 6 * 3600_000;
  const last = new Map<string, { findings: FindingDraft[]; at: Date }>();
  const lastUpdates = new Map<string, { findings: FindingDraft[]; at: number }>();
  const inflight = new Map<string, Promise<RuleRun>>();

  async function checkNow(hostId: string): Promise<RuleRun> {
    const host = await deps.host(hostId);
    if (!host) return { findings: [], checkedAt: now(), stale: 'The host is no longer in the inventory' };
    try {
      const runner = await deps.runner(hostId);
      const previous = lastUpdates.get(hostId);
      const readUpdates = !previous || now().getTime() - previous.at >= updatesEveryMs;
      const { posture } = await readHostPosture(runner, host.libvirtUri, { updates: readUpdates, now: () => now().getTime() });
      let findings = judgePosture(posture, host);
      // A failed read (apt busy, no lists) is tried again at the next check rather than carried for hours.
      if (readUpdates && posture.updates?.ok) lastUpdates.set(hostId, { findings: findings.filter(isUpdatesDraft), at: now().getTime() });
      else findings = [...findings.filter((d) => !isUpdatesDraft(d)), ...(previous?.findings ?? [])];
      const at = now();
      last.set(hostId, { findings, at });
      return { findings, checkedAt: at, stale: null };
    } catch (err) {
      const known = last.get(hostId);
      const why = err instanceof Error ? err.message : String(err);
      return { findings: known?.findings ?? [], checkedAt: known?.at ?? now(), stale: `Could not read host "${host.name}": ${why}` };
    }
  }

  return {
    /** Callers asking while a probe of the same host runs share its answer (one probe per host at a time). */
    check(hostId) {
      const running = inflight.get(hostId);
      if (running) return running;
      const run = checkNow(hostId).finally(() => inflight.delete(hostId));
      inflight.set(hostId, run);
      return run;
    },
    forget(hostId) {
      last.delete(hostId);
      lastUpdates.delete(hostId);
    },
  };
}
