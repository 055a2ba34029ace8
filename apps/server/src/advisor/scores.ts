import { FINDING_SEVERITIES, type FindingSeverity, type SecurityFinding, type SecurityScore, type SeverityCounts } from '@mirador/contract';

/**
 * How much one open finding costs a score out of 100: a critical finding alone takes a host to 75,
 * four of them to 0; ten low ones cost as much as one high. Informational findings cost nothing.
 * Acknowledged findings (someone accepted the risk, with a reason) do not count. The floor is 0.
 */
export const SEVERITY_WEIGHT: Record<FindingSeverity, number> = { critical: 25, high: 10, medium: 4, low: 1, info: 0 };

const noCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });

/** The score of one host's findings. */
export function scoreOf(findings: readonly SecurityFinding[]): SecurityScore {
  const open = noCounts();
  let acknowledged = 0;
  for (const f of findings) {
    if (f.acknowledged) acknowledged++;
    else open[f.severity]++;
  }
  const cost = FINDING_SEVERITIES.reduce((sum, s) => sum + open[s] * SEVERITY_WEIGHT[s], 0);
  return { score: Math.max(0, 100 - cost), open, acknowledged };
}

/**
 * The fleet's score: the mean of the hosts' scores (rounded down), so a fleet is judged host by host
 * rather than floored by the sheer number of containers; the counts are the fleet's totals. With no
 * host checked yet it is 100 with nothing open.
 */
export function fleetScore(hostScores: readonly SecurityScore[]): SecurityScore {
  const open = noCounts();
  let acknowledged = 0;
  for (const h of hostScores) {
    for (const s of FINDING_SEVERITIES) open[s] += h.open[s];
    acknowledged += h.acknowledged;
  }
  const score = hostScores.length ? Math.floor(hostScores.reduce((sum, h) => sum + h.score, 0) / hostScores.length) : 100;
  return { score, open, acknowledged };
}
