import {
  isTaskOutcomeAction,
  type AuditEntry,
  type MessageParams,
  type AuditQuery,
  type AuditResult,
  type AuditVerify,
} from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';
import type { EventBus } from '../plugins/bus.js';
import { newId } from '../lib/ids.js';
import { GENESIS_HASH, KEYED_SCHEME, KEYED_V1_SCHEME, chainMac, isKeyedScheme, type ChainedFields } from './chain.js';
import { readHead, writeHead } from './head-file.js';
import { redact, redactText } from './redact.js';
import { verifyChain, type Link, type VerifyRow } from './verify.js';

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
  result: AuditResult;
  errorMessage?: string | null;
  /** A stable code (and its values) the UI translates the outcome with; errorMessage stays the English fallback. */
  errorCode?: string | null;
  errorParams?: MessageParams | null;
  statusCode?: number | null;
  durationMs?: number | null;
}

type Row = ChainedFields & { seq: number; prevHash: string; hash: string; scheme: string; at: Date };
type Filters = Omit<AuditQuery, 'limit' | 'before'>;

export interface AuditService {
  append(input: AuditInput): Promise<AuditEntry>;
  query(q: AuditQuery): Promise<{ items: AuditEntry[]; total: number; nextBefore: number | null }>;
  /** Streams every matching entry, oldest first, in pages (for exports of any size). */
  iterate(filters: Filters): AsyncGenerator<AuditEntry>;
  verify(): Promise<AuditVerify>;
}

/**
 * Older versions recorded a request answered with 202 (taken on as a task) as `ok`, which read as if
 * the work had succeeded; it is shown for what it was. The stored row (and its MAC) stays as written.
 */
const isLegacyAccepted = (r: { result: string; statusCode: number | null }) => r.result === 'ok' && r.statusCode === 202;

function resultOf(r: Row): AuditResult {
  return isLegacyAccepted(r) ? 'accepted' : (r.result as AuditResult);
}

/** The task a record started or ended: a top-level `taskId` of its parameters (see audit.plugin.ts, task-manager.ts). */
function taskLinkOf(params: unknown): { taskId: string | null; taskType: string | null } {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return { taskId: null, taskType: null };
  const { taskId, taskType } = params as Record<string, unknown>;
  return { taskId: typeof taskId === 'string' ? taskId : null, taskType: typeof taskType === 'string' ? taskType : null };
}

const parseParams = (r: Pick<Row, 'params'>): unknown => (r.params ? JSON.parse(r.params) : null);

/** Values as long as the English text may be (2000 characters), so a code's values cannot grow a record past it. */
function boundedParams(params: MessageParams): MessageParams {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 2000) : v]));
}

/** The outcome's code and values, redacted again on the way out (values can quote what a host said). */
function codesOf(r: Pick<Row, 'errorCode' | 'errorParams'>): { errorCode?: string; errorParams?: MessageParams } {
  if (!r.errorCode) return {};
  const params = r.errorParams ? (redact(JSON.parse(r.errorParams)) as MessageParams) : null;
  return { errorCode: r.errorCode, ...(params ? { errorParams: params } : {}) };
}

/** Redacts again on the way out: records written by older versions were redacted by name only. */
export function toAuditEntry(r: Row): AuditEntry {
  const params = parseParams(r);
  return {
    seq: r.seq,
    id: r.id,
    at: r.at.toISOString(),
    actor: { type: r.actorType as Actor['type'], id: r.actorId, name: r.actorName === null ? null : redactText(r.actorName) },
    sourceIp: r.sourceIp,
    action: r.action,
    target: { type: r.targetType, id: r.targetId, name: r.targetName, hostId: r.hostId },
    params: params === null ? null : redact(params),
    result: resultOf(r),
    errorMessage: r.errorMessage === null ? null : redactText(r.errorMessage),
    ...codesOf(r),
    statusCode: r.statusCode,
    durationMs: r.durationMs,
    prevHash: r.prevHash,
    hash: r.hash,
    taskId: taskLinkOf(params).taskId,
  };
}

/** The parameters' text that names a task (JSON.stringify writes no spaces; task ids are UUIDs). */
const naming = (taskId: string) => ({ contains: `"taskId":${JSON.stringify(taskId)}` });

/** The request record is written right after its task started; its task may end first, by a few milliseconds. */
const LINK_SLACK_MS = 60_000;

function where(f: Filters) {
  const w: Record<string, unknown> = {};
  if (f.actor) w.actorName = f.actor;
  if (f.action) w.action = f.action.endsWith('.') ? { startsWith: f.action } : f.action;
  if (f.targetType) w.targetType = f.targetType;
  if (f.targetId) w.targetId = f.targetId;
  if (f.hostId) w.hostId = f.hostId;
  const and: Record<string, unknown>[] = [];
  if (f.result === 'accepted') and.push({ OR: [{ result: 'accepted' }, { result: 'ok', statusCode: 202 }] });
  else if (f.result === 'ok') and.push({ result: 'ok', OR: [{ statusCode: null }, { statusCode: { not: 202 } }] });
  else if (f.result) w.result = f.result;
  if (f.taskId) w.params = naming(f.taskId);
  if (and.length) w.AND = and;
  if (f.from || f.to) w.at = { ...(f.from ? { gte: new Date(f.from) } : {}), ...(f.to ? { lte: new Date(f.to) } : {}) };
  return w;
}

export interface AuditDeps {
  db: PrismaClient;
  bus: EventBus;
  /** The chain key (HKDF of the secrets key material): never stored in the database. */
  key: Buffer;
  /** dataDir/audit-head.json: the head of the chain, outside the database. */
  headFile: string;
  onError: (err: unknown) => void;
}

/**
 * Append-only audit log, tamper-evident against a database writer.
 *
 * Threat model: someone who can write mirador.db (a stolen or restored copy, a backup tool, an
 * SQL tool on the box, a bug) but does not hold the key material (MIRADOR_SECRET or
 * dataDir/secret.key). Each record carries an HMAC over its content, its sequence number and the
 * previous record's MAC, so rewriting a record - even recomputing every later link - or deleting
 * one in the middle breaks the chain at that record. The chain's head (last seq + MAC, itself
 * MAC'd) lives in dataDir/audit-head.json, so deleting the newest records shows as truncation.
 * Out of scope: whoever holds the key can forge everything; rolling back the database *and* the
 * head file together to an older consistent copy is only caught while this process runs (it keeps
 * the head it last wrote) - verify() reports the head so an admin can note it elsewhere.
 *
 * Appends are serialized in-process (Mirador is a single process per database by design). A new
 * record links to the head this process trusts, not to whatever the database's last row is: a
 * truncated or doctored tail therefore stays visible as a broken link instead of being adopted.
 * The head file is written after the insert; a crash in between leaves the database one record
 * ahead of the file, which start-up accepts when that record's MAC links to the file's head.
 */
export function createAuditService(deps: AuditDeps): AuditService {
  const { db, bus, key, headFile } = deps;
  let queue: Promise<unknown> = Promise.resolve();
  /** The last record this process knows to be genuine; null before the first record. */
  let trusted: Link | null = null;
  /** First keyed seq (records before it are legacy); null until the first keyed record. */
  let keyedFrom: number | null = null;
  /** Set when start-up found the head file missing or forged while keyed records exist. */
  let gap: 'head-missing' | 'head-invalid' | null = null;
  let loaded = false;

  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn);
    // The queue must survive a failure; the caller still sees it.
    queue = next.catch((err) => deps.onError(err));
    return next;
  }

  async function load() {
    if (loaded) return;
    const tail = (await db.auditLog.findFirst({ orderBy: { seq: 'desc' } })) as Row | null;
    const firstKeyed = await db.auditLog.findFirst({
      where: { scheme: { in: [KEYED_V1_SCHEME, KEYED_SCHEME] } },
      orderBy: { seq: 'asc' },
      select: { seq: true },
    });
    const tailLink = tail ? { seq: tail.seq, mac: tail.hash } : null;
    const file = await readHead(headFile, key);
    if (file.state === 'ok') {
      trusted = { seq: file.head.seq, mac: file.head.mac };
      keyedFrom = file.head.keyedFrom;
      // A crash between the insert and the head write: adopt that one record if its MAC links to the head.
      if (
        tail &&
        tail.seq === file.head.seq + 1 &&
        isKeyedScheme(tail.scheme) &&
        tail.prevHash === file.head.mac &&
        macOf(tail) === tail.hash
      ) {
        trusted = tailLink;
        await writeHead(headFile, key, { seq: tail.seq, mac: tail.hash, keyedFrom });
      }
    } else if (file.state === 'missing' && !firstKeyed) {
      // A fresh install, or the first start after the upgrade: keyed MACs start after the legacy tail.
      trusted = tailLink;
    } else {
      // The out-of-database anchor is gone or forged while keyed records exist: say so in the chain itself.
      trusted = tailLink;
      keyedFrom = firstKeyed?.seq ?? null;
      gap = file.state === 'missing' ? 'head-missing' : 'head-invalid';
    }
    loaded = true;
  }

  function macOf(r: Row): string {
    return chainMac(key, r.seq, r.prevHash, { ...r, at: r.at.toISOString() }, r.scheme);
  }

  async function appendNow(input: AuditInput): Promise<AuditEntry> {
    await load();
    const maxSeq = (await db.auditLog.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } }))?.seq ?? 0;
    const seq = Math.max(maxSeq, trusted?.seq ?? 0) + 1;
    const prevHash = gap ? `gap:${gap}:${trusted?.mac ?? ''}` : (trusted?.mac ?? GENESIS_HASH);
    const at = new Date();
    const fields: ChainedFields = {
      id: newId(),
      at: at.toISOString(),
      actorType: input.actor.type,
      actorId: input.actor.id,
      // A password typed into the username field of a login must not become an actor name.
      actorName: input.actor.name ? redactText(input.actor.name) : null,
      sourceIp: input.sourceIp ?? null,
      action: input.action,
      targetType: input.target?.type ?? null,
      targetId: input.target?.id ?? null,
      targetName: input.target?.name ? redactText(input.target.name) : null,
      hostId: input.target?.hostId ?? null,
      params: input.params === undefined || input.params === null ? null : JSON.stringify(redact(input.params)),
      result: input.result,
      errorMessage: input.errorMessage ? redactText(input.errorMessage.slice(0, 2000)) : null,
      errorCode: input.errorCode ? input.errorCode.slice(0, 100) : null,
      errorParams: input.errorCode && input.errorParams ? JSON.stringify(redact(boundedParams(input.errorParams))) : null,
      statusCode: input.statusCode ?? null,
      durationMs: input.durationMs == null ? null : Math.round(input.durationMs),
    };
    const hash = chainMac(key, seq, prevHash, fields);
    const row = await db.auditLog.create({ data: { ...fields, seq, at, prevHash, hash, scheme: KEYED_SCHEME } });
    trusted = { seq, mac: hash };
    keyedFrom ??= seq;
    gap = null;
    try {
      await writeHead(headFile, key, { seq, mac: hash, keyedFrom });
    } catch (err) {
      // The record is stored; verify() will report the stale head until a later write succeeds.
      deps.onError(new Error(`could not update the audit head file ${headFile}: ${(err as Error).message}`));
    }
    const entry = toAuditEntry(row as Row);
    bus.publish({ type: 'audit.appended', topic: 'audit', entry });
    return entry;
  }

  /**
   * Pairs each accepted request on a page with its task's outcome record, and each outcome with the
   * request that started it: two reads for the whole page, each narrowed by action or time (indexed).
   */
  async function linkTasks(items: AuditEntry[]): Promise<AuditEntry[]> {
    // Records of older versions name no task: they stay unpaired.
    const requests = items.flatMap((e) => {
      const { taskId, taskType } = taskLinkOf(e.params);
      return e.result === 'accepted' && taskId && taskType ? [{ at: e.at, taskId, taskType }] : [];
    });
    const outcomes = items.filter((e) => isTaskOutcomeAction(e.action) && e.taskId);
    const [ends, starts] = await Promise.all([
      requests.length
        ? (db.auditLog.findMany({
            where: {
              OR: requests.map((r) => ({
                action: `task.${r.taskType}`,
                at: { gte: new Date(Date.parse(r.at) - LINK_SLACK_MS) },
                params: naming(r.taskId),
              })),
            },
            orderBy: { seq: 'asc' },
          }) as Promise<Row[]>)
        : [],
      outcomes.length
        ? (db.auditLog.findMany({
            where: {
              OR: outcomes.map((e) => ({
                result: 'accepted',
                at: {
                  gte: new Date(Date.parse(e.at) - (e.durationMs ?? 0) - LINK_SLACK_MS),
                  lte: new Date(Date.parse(e.at) + LINK_SLACK_MS),
                },
                params: naming(e.taskId!),
              })),
            },
            orderBy: { seq: 'asc' },
            select: { seq: true, params: true },
          }) as Promise<Pick<Row, 'seq' | 'params'>[]>)
        : [],
    ]);
    const endOf = new Map<string, AuditEntry['outcome']>();
    for (const r of ends) {
      const id = taskLinkOf(parseParams(r)).taskId;
      if (id && !endOf.has(id))
        endOf.set(id, {
          seq: r.seq,
          at: r.at.toISOString(),
          action: r.action,
          result: resultOf(r),
          errorMessage: r.errorMessage === null ? null : redactText(r.errorMessage),
          ...codesOf(r),
        });
    }
    const startOf = new Map<string, number>();
    for (const r of starts) {
      const id = taskLinkOf(parseParams(r)).taskId;
      if (id && !startOf.has(id)) startOf.set(id, r.seq);
    }
    return items.map((e) => {
      if (!e.taskId) return e;
      if (e.result === 'accepted') return { ...e, outcome: endOf.get(e.taskId) ?? null };
      if (isTaskOutcomeAction(e.action)) return { ...e, requestSeq: startOf.get(e.taskId) ?? null };
      return e;
    });
  }

  return {
    append(input) {
      return serialized(() => appendNow(input));
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
        items: await linkTasks(page.map(toAuditEntry)),
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
      // A consistent snapshot between appends: the head file, the head in memory and the last seq.
      const snap = await serialized(async () => {
        await load();
        const file = await readHead(headFile, key);
        const last = await db.auditLog.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
        return { file, memory: trusted as Link | null, lastSeq: last?.seq ?? 0 };
      });
      async function* rows(): AsyncGenerator<VerifyRow> {
        let after = 0;
        for (;;) {
          const page = (await db.auditLog.findMany({
            where: { seq: { gt: after, lte: snap.lastSeq } },
            orderBy: { seq: 'asc' },
            take: 1000,
          })) as Row[];
          for (const r of page) yield { ...r, at: r.at.toISOString() };
          if (page.length < 1000) return;
          after = page[page.length - 1]!.seq;
        }
      }
      return verifyChain({ key, rows: rows(), file: snap.file, memory: snap.memory });
    },
  };
}
