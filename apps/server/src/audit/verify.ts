import type { AuditVerify } from '@mirador/contract';
import { GENESIS_HASH, KEYED_SCHEME, LEGACY_SCHEME, chainHash, chainMac, isKeyedScheme, type ChainedFields } from './chain.js';
import type { HeadRead } from './head-file.js';

export interface Link {
  seq: number;
  mac: string;
}

export type VerifyRow = ChainedFields & { seq: number; prevHash: string; hash: string; scheme: string };

const GAP_REASONS: Record<string, string> = {
  'head-missing':
    'the audit head file was missing at start-up while keyed records existed (it was deleted, so the newest records may have been removed with it)',
  'head-invalid': "the audit head file did not carry a valid MAC at start-up (it was rewritten without Mirador's key)",
};

/**
 * Walks the chain oldest first and checks every link, then compares the end of the chain with
 * the head kept outside the database (file) and the head this process last wrote (memory).
 * Stops at the first problem and names the record and the reason.
 */
export async function verifyChain(opts: {
  key: Buffer;
  rows: AsyncIterable<VerifyRow>;
  file: HeadRead;
  memory: Link | null;
}): Promise<AuditVerify> {
  const { key, file } = opts;
  const head = file.state === 'ok' ? file.head : null;
  let prev = GENESIS_HASH;
  let checked = 0;
  let legacyChecked = 0;
  let sawKeyed = false;
  let last: Link | null = null;
  let atHead: string | null = null;
  const result = (firstBrokenSeq: number | null, reason: string | null): AuditVerify => ({
    intact: reason === null,
    checked,
    legacyChecked,
    firstBrokenSeq,
    reason,
    headSeq: head?.seq ?? null,
    headMac: head?.mac ?? null,
  });

  for await (const r of opts.rows) {
    // Outcome codes came with the v2 link: an older record carrying one was changed after it was written.
    if (r.scheme !== KEYED_SCHEME && (r.errorCode !== null || r.errorParams !== null))
      return result(r.seq, `Record ${r.seq} was modified after it was written (it carries an outcome code its link predates)`);
    if (r.scheme === LEGACY_SCHEME) {
      if (sawKeyed || (head && r.seq >= head.keyedFrom)) {
        return result(
          r.seq,
          `Record ${r.seq} carries the old unkeyed hash although the log had switched to keyed MACs before it was written: it was modified (rewritten by someone without Mirador's key)`,
        );
      }
      if (r.prevHash !== prev)
        return result(r.seq, `Record ${r.seq} does not link to the record before it (a record was removed or reordered)`);
      if (chainHash(prev, r) !== r.hash) return result(r.seq, `Record ${r.seq} was modified after it was written`);
      legacyChecked++;
    } else if (isKeyedScheme(r.scheme)) {
      if (chainMac(key, r.seq, r.prevHash, r, r.scheme) !== r.hash) {
        return result(
          r.seq,
          `Record ${r.seq} was modified after it was written (its MAC does not match: it was changed or inserted by someone without Mirador's key)`,
        );
      }
      const gap = /^gap:([a-z-]+):/.exec(r.prevHash);
      if (gap) return result(r.seq, `Record ${r.seq} was written after ${GAP_REASONS[gap[1]!] ?? gap[1]}`);
      if (r.prevHash !== prev) {
        return result(
          r.seq,
          `Record ${r.seq} does not link to the record before it (a record was removed or reordered${last ? `: the chain skips from record ${last.seq}` : ''})`,
        );
      }
      sawKeyed = true;
    } else {
      return result(r.seq, `Record ${r.seq} names an unknown link scheme "${r.scheme}"`);
    }
    prev = r.hash;
    last = { seq: r.seq, mac: r.hash };
    if (head && r.seq === head.seq) atHead = r.hash;
    checked++;
  }

  // The end of the chain against the head kept outside the database.
  if (file.state === 'missing') {
    return sawKeyed
      ? result(
          null,
          'The audit head file (audit-head.json in the data directory) is missing while the log has keyed records: it was deleted, so the newest records may have been removed with it',
        )
      : result(null, null);
  }
  if (file.state === 'invalid') return result(null, `The audit head file ${file.why}`);
  const h = file.head;
  const lastSeq = last?.seq ?? 0;
  if (lastSeq < h.seq) {
    return result(
      lastSeq + 1,
      `The log was truncated: it ends at record ${lastSeq} but the audit head file says record ${h.seq} was written (the newest ${h.seq - lastSeq} record(s) were deleted)`,
    );
  }
  if (atHead !== h.mac)
    return result(h.seq, `Record ${h.seq} is not the record the audit head file names: the head file or the record was replaced`);
  // One record past the file is what a crash between the insert and the head write leaves behind.
  if (lastSeq > h.seq + 1) {
    return result(
      h.seq + 1,
      `The audit head file names record ${h.seq} but the log goes on to record ${lastSeq}: the head file was replaced with an older copy (or could not be written: see the server log)`,
    );
  }
  const mem = opts.memory;
  if (mem && (mem.seq !== h.seq || mem.mac !== h.mac) && !(last && mem.seq === last.seq && mem.mac === last.mac && lastSeq === h.seq + 1)) {
    return result(
      null,
      `The audit head file changed since this server wrote it (it names record ${h.seq}, the server last wrote record ${mem.seq}): it was replaced with another copy`,
    );
  }
  return result(null, null);
}
