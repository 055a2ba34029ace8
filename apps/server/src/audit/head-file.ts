import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The audit log's head, kept outside the database: the last record's sequence number and MAC,
 * and where keyed MACs start (records before that use the legacy plain hash). The file carries
 * its own MAC, so it can be deleted or replaced by an older copy but not rewritten without the key.
 */
export interface AuditHead {
  seq: number;
  mac: string;
  keyedFrom: number;
}

export type HeadRead = { state: 'missing' } | { state: 'invalid'; why: string } | { state: 'ok'; head: AuditHead };

const VERSION = 1;

function tagOf(key: Buffer, h: AuditHead): string {
  return createHmac('sha256', key)
    .update(JSON.stringify(['audit-head', VERSION, h.seq, h.mac, h.keyedFrom]))
    .digest('hex');
}

export async function readHead(path: string, key: Buffer): Promise<HeadRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'invalid', why: `cannot be read (${(err as Error).message})` };
  }
  let f: { v?: unknown; seq?: unknown; mac?: unknown; keyedFrom?: unknown; tag?: unknown };
  try {
    f = JSON.parse(text);
  } catch {
    return { state: 'invalid', why: 'is not valid JSON' };
  }
  if (
    f?.v !== VERSION ||
    !Number.isInteger(f.seq) ||
    !Number.isInteger(f.keyedFrom) ||
    typeof f.mac !== 'string' ||
    typeof f.tag !== 'string'
  ) {
    return { state: 'invalid', why: 'is not in the expected format' };
  }
  const head: AuditHead = { seq: f.seq as number, mac: f.mac, keyedFrom: f.keyedFrom as number };
  const expected = Buffer.from(tagOf(key, head), 'hex');
  const given = Buffer.from(f.tag, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { state: 'invalid', why: "does not carry a valid MAC (it was written without Mirador's key)" };
  }
  return { state: 'ok', head };
}

/**
 * Replaces the file atomically and durably (temp file, fsync, rename, fsync of the directory):
 * after a crash it holds either the previous head or the new one, never a torn write.
 */
export async function writeHead(path: string, key: Buffer, head: AuditHead): Promise<void> {
  const body = JSON.stringify({ v: VERSION, ...head, tag: tagOf(key, head) }) + '\n';
  // Unique per write: two writers in one process (the first read after a start, and an append) must
  // not rename each other's temp file away (seen as 'ENOENT rename' in the fault suite).
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
