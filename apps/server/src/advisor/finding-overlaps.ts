import type { FindingSeverity } from '@mirador/contract';
import type { FindingDraft } from './finding-draft.js';
import { dockerApiOnTcp } from './docker-engine-rules.js';
import { RULES } from './host-rules.js';

const ENGINE_TCP = 'docker.engine.tcp-without-tls';
const HOST_TCP = RULES.dockerTcp.ruleId;
const RANK: Record<FindingSeverity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * One host's drafts from its two rule families, with what both families report about the same thing
 * made into one finding.
 *
 * The Docker API on TCP without TLS is seen twice on a host whose engine Mirador reads: by the engine
 * (`docker info` warns about its own tcp:// listener) and by the host probe (dockerd's command line,
 * daemon.json, `ss`). Mirador reaches a host's engine through that host's own socket, so both are the
 * same dockerd. It becomes one finding on the engine (the precise target, rule `docker.engine.tcp-without-tls`)
 * whichever family saw it — so its id does not change when one family is stale or slow, and one
 * acknowledgement covers it — with both evidences and the worse severity. A host without a Docker
 * engine in Mirador (`docker` null) keeps the host rule's finding on the host.
 */
export function mergeOverlaps(docker: FindingDraft[] | null, host: FindingDraft[]): FindingDraft[] {
  if (docker === null) return host;
  const seenOnHost = host.find((d) => d.ruleId === HOST_TCP);
  if (!seenOnHost) return [...docker, ...host];
  const otherHost = host.filter((d) => d !== seenOnHost);
  const probe = `host probe: ${seenOnHost.evidence}`;
  const engineTarget = { ...seenOnHost.target, kind: 'engine' as const };
  const fromEngine = docker.find((d) => d.ruleId === ENGINE_TCP);
  if (!fromEngine) {
    const listens = String(seenOnHost.params.hosts ?? '')
      .split(',')
      .filter(Boolean);
    return [...docker, dockerApiOnTcp(engineTarget, probe, listens), ...otherHost];
  }
  const merged: FindingDraft = {
    ...fromEngine,
    severity: RANK[seenOnHost.severity] > RANK[fromEngine.severity] ? seenOnHost.severity : fromEngine.severity,
    evidence: `${fromEngine.evidence}; ${probe}`,
  };
  return [...docker.map((d) => (d === fromEngine ? merged : d)), ...otherHost];
}
