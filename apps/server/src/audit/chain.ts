import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's hash covers, in a fixed order, so verification recomputes the same bytes. */
export interface ChainedFields {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  sourceIp: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  hostId: string | null;
  params: string | null;
  result: string;
  errorMessage: string | null;
  statusCode: number | null;
  durationMs: number | null;
}

export function chainHash(prevHash: string, f: ChainedFields): string {
  const canonical = JSON.stringify([
    prevHash, f.id, f.at, f.actorType, f.actorId, f.actorName, f.sourceIp, f.action, f.targetType,
    f.targetId, f.targetName, f.hostId, f.params, f.result, f.errorMessage, f.statusCode, f.durationMs,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
