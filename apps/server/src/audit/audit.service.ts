import type { AuditEntry, AuditQuery, AuditVerify } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../realtime/bus.js';
import { newId } from '../lib/ids.js';
import { GENESIS_HASH, chainHash, type ChainedFields } from './chain.js';
import { redact } from './redact.js';

export interface Actor {
  type: 'user' | 'token' | 'anonymous' | 'system';
  id: string | null;
  name: string | null;
}

export interface AuditInput {
  actor: Actor;
  sourceIp?: string | null;
  action: string;
  target?: { type?: string | null; id?: string | null; name?: string | null; hostId?: string | null };
  params?: unknown;
  result: 'ok' | 'error';
  errorMessage?: string | null;
  statusCode?: number | null;
  durationMs?: number | null;
}

type Row = ChainedFields & { seq: number; prevHash: string; hash: string; at: Date };
type Filters = Omit<AuditQuery, 'limit' | 'before'>;

export interface AuditService {
  append(input: AuditInput): Promise<AuditEntry>;
  query(q: AuditQuery): Promise<{ items: AuditEntry[]; total: number; nextBefore: number | null }>;
  /** Streams every matching entry, oldest first, in pages (for exports of any size). */
  iterate(filters: Filters): AsyncGenerator<AuditEntry>;
  verify(): Promise<AuditVerify>;
}

export function toAuditEntry(r: Row): AuditEntry {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at.toISOString(),
    actor: { type: r.actorType as Actor['type'], id: r.actorId, name: r.actorName },
    sourceIp: r.sourceIp,
    action: r.action,
    target: { type: r.targetType, id: r.targetId, name: r.targetName, hostId: r.hostId },
    params: r.params ? JSON.parse(r.params) : null,
    result: r.result as 'ok' | 'error',
    errorMessage: r.errorMessage,
    statusCode: r.statusCode,
    durationMs: r.durationMs,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

function where(f: Filters) {
  const w: Record<string, unknown> = {};
  if (f.actor) w.actorName = f.actor;
  if (f.action) w.action = f.action.endsWith('.') ? { startsWith: f.action } : f.action;
  if (f.targetType) w.targetType = f.targetType;
  if (f.targetId) w.targetId = f.targetId;
  if (f.hostId) w.hostId = f.hostId;
  if (f.result) w.result = f.result;
  if (f.from || f.to) w.at = { ...(f.from ? { gte: new Date(f.from) } : {}), ...(f.to ? { lte: new Date(f.to) } : {}) };
  return w;
}

/**
 * Append-only, hash-chained audit log. Appends are serialized in-process so each record
 * links to its predecessor; Mirador is a single process per database by design.
 */
export function createAuditService(deps: { db: PrismaClient; bus: EventBus; onError: (err: unknown) => void }): AuditService {
  const { db, bus } = deps;
  let queue: Promise<unknown> = Promise.resolve();

  async function appendNow(input: AuditInput): Promise<AuditEntry> {
    const last = await db.auditLog.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
    const prevHash = last?.hash ?? GENESIS_HASH;
    const at = new Date();
    const fields: ChainedFields = {
      id: newId(),
      at: at.toISOString(),
      actorType: input.actor.type,
      actorId: input.actor.id,
      actorName: input.actor.name,
      sourceIp: input.sourceIp ?? null,
      action: input.action,
      targetType: input.target?.type ?? null,
      targetId: input.target?.id ?? null,
      targetName: input.target?.name ?? null,
      hostId: input.target?.hostId ?? null,
      params: input.params === undefined || input.params === null ? null : JSON.stringify(redact(input.params)),
      result: input.result,
      errorMessage: input.errorMessage ? input.errorMessage.slice(0, 2000) : null,
      statusCode: input.statusCode ?? null,
      durationMs: input.durationMs == null ? null : Math.round(input.durationMs),
    };
    const hash = chainHash(prevHash, fields);
    const row = await db.auditLog.create({ data: { ...fields, at, prevHash, hash } });
    const entry = toAuditEntry(row as Row);
    bus.publish({ type: 'audit.appended', topic: 'audit', entry });
    return entry;
  }

  return {
    append(input) {
      const next = queue.then(() => appendNow(input));
      // The queue must survive a failed append; the caller still sees the failure.
      queue = next.catch((err) => deps.onError(err));
      return next;
    },

    async query(q) {
      const limit = q.limit ?? 50;
      const w = where(q);
      const [rows, total] = await Promise.all([
        db.auditLog.findMany({
          where: { ...w, ...(q.before ? { seq: { lt: q.before } } : {}) },
          orderBy: { seq: 'desc' },
          take: limit + 1,
        }),
        db.auditLog.count({ where: w }),
      ]);
      const page = rows.slice(0, limit) as Row[];
      return {
        items: page.map(toAuditEntry),
        total,
        nextBefore: rows.length > limit ? page[page.length - 1]!.seq : null,
      };
    },

    async *iterate(filters) {
      let after = 0;
      for (;;) {
        const rows = (await db.auditLog.findMany({
          where: { ...where(filters), seq: { gt: after } },
          orderBy: { seq: 'asc' },
          take: 500,
        })) as Row[];
        for (const r of rows) yield toAuditEntry(r);
        if (rows.length < 500) return;
        after = rows[rows.length - 1]!.seq;
      }
    },

    async verify() {
      let prev = GENESIS_HASH;
      let checked = 0;
      let after = 0;
      for (;;) {
        const rows = (await db.auditLog.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take: 1000 })) as Row[];
        for (const r of rows) {
          if (r.prevHash !== prev) {
            return { intact: false, checked, firstBrokenSeq: r.seq, reason: `Record ${r.seq} does not link to the record before it (a record was removed or reordered)` };
          }
          const fields: ChainedFields = { ...r, at: r.at.toISOString() };
          if (chainHash(prev, fields) !== r.hash) {
            return { intact: false, checked, firstBrokenSeq: r.seq, reason: `Record ${r.seq} was modified after it was written` };
          }
          prev = r.hash;
          checked++;
        }
        if (rows.length < 1000) break;
        after = rows[rows.length - 1]!.seq;
      }
      return { intact: true, checked, firstBrokenSeq: null, reason: null };
    },
  };
}
