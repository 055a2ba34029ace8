import { createHash } from 'node:crypto';
import type { FindingTargetKind } from '@mirador/contract';

/**
 * A finding's stable id: the same rule on the same target of the same host always gets the same id,
 * so an acknowledgement outlives recomputes, restarts and a recreated container (targets are named,
 * not by engine IDs). 32 hex digits of SHA-256: URL-safe and inside the contract's pattern.
 */
export function findingId(ruleId: string, hostId: string, targetKind: FindingTargetKind, targetId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([ruleId, hostId, targetKind, targetId]))
    .digest('hex')
    .slice(0, 32);
}
