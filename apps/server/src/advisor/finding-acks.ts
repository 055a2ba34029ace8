import type { FindingAck } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';

export interface AckInput {
  findingId: string;
  ruleId: string;
  hostId: string;
  targetKind: string;
  targetId: string;
  reason: string;
  user: { id: string | null; name: string };
}

/** Acknowledgements as stored (the FindingAck table): the only code that touches it. */
export function createFindingAcks(db: PrismaClient) {
  return {
    async all(): Promise<Map<string, FindingAck>> {
      const rows = await db.findingAck.findMany();
      return new Map(rows.map((r) => [r.findingId, { by: r.userName, at: r.createdAt.toISOString(), reason: r.reason }]));
    },
    async set(a: AckInput): Promise<FindingAck> {
      const data = {
        ruleId: a.ruleId,
        hostId: a.hostId,
        targetKind: a.targetKind,
        targetId: a.targetId,
        reason: a.reason,
        userId: a.user.id,
        userName: a.user.name,
        createdAt: new Date(),
      };
      const r = await db.findingAck.upsert({
        where: { findingId: a.findingId },
        create: { findingId: a.findingId, ...data },
        update: data,
      });
      return { by: r.userName, at: r.createdAt.toISOString(), reason: r.reason };
    },
    /** False when there was nothing to remove. */
    async remove(findingId: string): Promise<boolean> {
      const { count } = await db.findingAck.deleteMany({ where: { findingId } });
      return count > 0;
    },
  };
}

export type FindingAcks = ReturnType<typeof createFindingAcks>;
