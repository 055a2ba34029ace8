import { createHash, createHmac } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** Records written before keyed MACs: a plain SHA-256 chain, kept verifiable after an upgrade. */
export const LEGACY_SCHEME = 'sha256';
/** HMAC-SHA256 under a key that never enters the database (see audit.service.ts for the threat model). */
export const KEYED_V1_SCHEME = 'hmac-sha256-v1';
/** The same MAC, also covering the outcome's code and values (records written since they are stored). */
export const KEYED_SCHEME = 'hmac-sha256-v2';
export const isKeyedScheme = (scheme: string) => scheme === KEYED_SCHEME || scheme === KEYED_V1_SCHEME;

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
  /** Only in hmac-sha256-v2 records (null in older ones, which their MAC does not cover). */
  errorCode: string | null;
  errorParams: string | null;
  statusCode: number | null;
  durationMs: number | null;
}

const fieldList = (f: ChainedFields) => [
  f.id,
  f.at,
  f.actorType,
  f.actorId,
  f.actorName,
  f.sourceIp,
  f.action,
  f.targetType,
  f.targetId,
  f.targetName,
  f.hostId,
  f.params,
  f.result,
  f.errorMessage,
  f.statusCode,
  f.durationMs,
];

/** The legacy link: anyone who can write the database can recompute it, so it only catches accidents. */
export function chainHash(prevHash: string, f: ChainedFields): string {
  return createHash('sha256')
    .update(JSON.stringify([prevHash, ...fieldList(f)]))
    .digest('hex');
}

/**
 * The keyed link. It also covers the scheme and the sequence number, so a record cannot be
 * renumbered into a gap or passed off as a legacy one without breaking its MAC. A v1 link does not
 * cover the outcome code columns (they did not exist): verify() refuses an older record carrying one.
 */
export function chainMac(key: Buffer, seq: number, prevHash: string, f: ChainedFields, scheme: string = KEYED_SCHEME): string {
  const fields = scheme === KEYED_V1_SCHEME ? fieldList(f) : [...fieldList(f), f.errorCode, f.errorParams];
  return createHmac('sha256', key)
    .update(JSON.stringify([scheme, seq, prevHash, ...fields]))
    .digest('hex');
}
