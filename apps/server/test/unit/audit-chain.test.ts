import { describe, expect, it } from 'vitest';
import {
  GENESIS_HASH,
  KEYED_SCHEME,
  KEYED_V1_SCHEME,
  LEGACY_SCHEME,
  chainHash,
  chainMac,
  type ChainedFields,
} from '../../src/audit/chain.js';
import type { HeadRead } from '../../src/audit/head-file.js';
import { REDACTED, knownSecrets, redact, redactText } from '../../src/audit/redact.js';
import { verifyChain, type VerifyRow } from '../../src/audit/verify.js';

const record: ChainedFields = {
  id: 'a',
  at: '2026-01-01T00:00:00.000Z',
  actorType: 'user',
  actorId: 'u',
  actorName: 'admin',
  sourceIp: '127.0.0.1',
  action: 'host.create',
  targetType: 'host',
  targetId: 'h',
  targetName: 'lab',
  hostId: 'h',
  params: null,
  result: 'ok',
  errorMessage: null,
  errorCode: null,
  errorParams: null,
  statusCode: 201,
  durationMs: 3,
};

describe('audit hash chain', () => {
  it('is deterministic and depends on every field and on the previous hash', () => {
    const h = chainHash(GENESIS_HASH, record);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { ...record })).toBe(h);
    // Legacy links were written before outcome codes existed (verify() refuses a legacy record carrying one).
    for (const key of (Object.keys(record) as (keyof ChainedFields)[]).filter((k) => k !== 'errorCode' && k !== 'errorParams')) {
      const changed = { ...record, [key]: typeof record[key] === 'number' ? 999 : 'changed' };
      expect(chainHash(GENESIS_HASH, changed), key).not.toBe(h);
    }
    expect(chainHash('f'.repeat(64), record)).not.toBe(h);
  });

  it('does not confuse field boundaries', () => {
    const a = chainHash(GENESIS_HASH, { ...record, actorName: 'ab', sourceIp: 'c' });
    const b = chainHash(GENESIS_HASH, { ...record, actorName: 'a', sourceIp: 'bc' });
    expect(a).not.toBe(b);
  });
});

describe('redaction', () => {
  it('hides secrets at any depth and keeps the rest', () => {
    const out = redact({ name: 'lab', privateKey: 'k', auth: { password: 'p', passphrase: 'x', user: 'root' }, list: [{ token: 't' }] });
    expect(out).toEqual({
      name: 'lab',
      privateKey: REDACTED,
      auth: { password: REDACTED, passphrase: REDACTED, user: 'root' },
      list: [{ token: REDACTED }],
    });
  });
});

describe('redaction of raw bodies', () => {
  it('summarises bytes and streams instead of copying them key by key', async () => {
    const { Readable } = await import('node:stream');
    expect(redact({ body: Buffer.alloc(5000) })).toEqual({ body: '[5000 bytes]' });
    expect(redact({ body: Readable.from(['x']) })).toEqual({ body: '[stream]' });
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [String(i), i]));
    expect(redact(wide)).toBe('[object with 500 keys]');
  });
});

describe('keyed audit chain', () => {
  const key = Buffer.alloc(32, 7);

  it('depends on the key, the sequence number and the previous link', () => {
    const mac = chainMac(key, 5, GENESIS_HASH, record);
    expect(mac).toMatch(/^[0-9a-f]{64}$/);
    expect(chainMac(key, 5, GENESIS_HASH, { ...record })).toBe(mac);
    expect(chainMac(Buffer.alloc(32, 8), 5, GENESIS_HASH, record)).not.toBe(mac);
    expect(chainMac(key, 4, GENESIS_HASH, record)).not.toBe(mac);
    expect(chainMac(key, 5, 'f'.repeat(64), record)).not.toBe(mac);
    expect(chainMac(key, 5, GENESIS_HASH, record)).not.toBe(chainHash(GENESIS_HASH, record));
    for (const field of Object.keys(record) as (keyof ChainedFields)[]) {
      const changed = { ...record, [field]: typeof record[field] === 'number' ? 999 : 'changed' };
      expect(chainMac(key, 5, GENESIS_HASH, changed), field).not.toBe(mac);
    }
  });

  it('v2 links also cover the outcome code and values; v1 links (written before codes) stay verifiable', () => {
    const coded = {
      ...record,
      result: 'error',
      errorMessage: 'Host port 8080 is taken',
      errorCode: 'docker.portTaken',
      errorParams: '{"port":8080}',
    };
    const mac = chainMac(key, 5, GENESIS_HASH, coded);
    expect(chainMac(key, 5, GENESIS_HASH, { ...coded, errorCode: 'docker.policyRefused' })).not.toBe(mac);
    expect(chainMac(key, 5, GENESIS_HASH, { ...coded, errorParams: '{"port":8081}' })).not.toBe(mac);
    expect(chainMac(key, 5, GENESIS_HASH, { ...coded, errorParams: null })).not.toBe(mac);
    // A v1 MAC is what older versions wrote: it never covered the new columns (verify() refuses a v1 record with a code).
    expect(chainMac(key, 5, GENESIS_HASH, record, KEYED_V1_SCHEME)).not.toBe(chainMac(key, 5, GENESIS_HASH, record));
  });

  it('verifies a log that switched from v1 to v2 links, and catches a code added to a v1 or legacy record', async () => {
    const rows: VerifyRow[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 4; seq++) {
      const scheme = seq <= 2 ? KEYED_V1_SCHEME : KEYED_SCHEME;
      const f =
        seq <= 2 ? { ...record, id: `r${seq}` } : { ...record, id: `r${seq}`, errorCode: 'task.failed', errorParams: '{"detail":"x"}' };
      const hash = chainMac(key, seq, prev, f, scheme);
      rows.push({ ...f, seq, prevHash: prev, hash, scheme });
      prev = hash;
    }
    const head: HeadRead = { state: 'ok', head: { seq: 4, mac: rows[3]!.hash, keyedFrom: 1 } };
    const ok = await verifyChain({ key, rows: each(rows), file: head, memory: { seq: 4, mac: rows[3]!.hash } });
    expect(ok).toMatchObject({ intact: true, checked: 4 });
    const doctored = rows.map((r) => (r.seq === 2 ? { ...r, errorCode: 'docker.portTaken' } : r));
    const bad = await verifyChain({ key, rows: each(doctored), file: head, memory: null });
    expect(bad).toMatchObject({ intact: false, firstBrokenSeq: 2 });

    const legacy: VerifyRow = { ...record, seq: 1, prevHash: GENESIS_HASH, hash: chainHash(GENESIS_HASH, record), scheme: LEGACY_SCHEME };
    const missing: HeadRead = { state: 'missing' };
    expect(await verifyChain({ key, rows: each([legacy]), file: missing, memory: null })).toMatchObject({ intact: true });
    const legacyCoded = { ...legacy, errorCode: 'task.failed' };
    expect(await verifyChain({ key, rows: each([legacyCoded]), file: missing, memory: null })).toMatchObject({
      intact: false,
      firstBrokenSeq: 1,
    });
  });

  /** A keyed chain of n records and the head a healthy server would have written for it. */
  function chain(n: number): VerifyRow[] {
    const rows: VerifyRow[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const f = { ...record, id: `r${seq}` };
      const hash = chainMac(key, seq, prev, f);
      rows.push({ ...f, seq, prevHash: prev, hash, scheme: KEYED_SCHEME });
      prev = hash;
    }
    return rows;
  }
  async function* each(rows: VerifyRow[]) {
    yield* rows;
  }
  const headOf = (rows: VerifyRow[], at = rows.length): HeadRead => ({
    state: 'ok',
    head: { seq: at, mac: rows[at - 1]!.hash, keyedFrom: 1 },
  });
  const memOf = (rows: VerifyRow[], at = rows.length) => ({ seq: at, mac: rows[at - 1]!.hash });

  it('accepts a healthy chain, and one record past the head file (a crash before the head write)', async () => {
    const rows = chain(5);
    expect(await verifyChain({ key, rows: each(rows), file: headOf(rows), memory: memOf(rows) })).toMatchObject({
      intact: true,
      checked: 5,
      legacyChecked: 0,
      headSeq: 5,
    });
    expect((await verifyChain({ key, rows: each(rows), file: headOf(rows, 4), memory: null })).intact).toBe(true);
    expect((await verifyChain({ key, rows: each(rows), file: headOf(rows, 3), memory: null })).reason).toMatch(/older copy/);
  });

  it('reports truncation, a missing or forged head, and a head changed under a running server', async () => {
    const rows = chain(5);
    const truncated = await verifyChain({ key, rows: each(rows.slice(0, 3)), file: headOf(rows), memory: memOf(rows) });
    expect(truncated).toMatchObject({ intact: false, firstBrokenSeq: 4 });
    expect(truncated.reason).toMatch(/truncated.*2 record/);
    expect((await verifyChain({ key, rows: each(rows), file: { state: 'missing' }, memory: null })).reason).toMatch(/missing/);
    expect((await verifyChain({ key, rows: each(rows), file: { state: 'invalid', why: 'is bad' }, memory: null })).reason).toMatch(
      /is bad/,
    );
    expect((await verifyChain({ key, rows: each(rows.slice(0, 4)), file: headOf(rows, 4), memory: memOf(rows) })).reason).toMatch(
      /changed since this server wrote it/,
    );
    // Without the key a rewritten record cannot be re-MAC'd.
    const forged = rows.map((r) => ({ ...r }));
    forged[1] = {
      ...forged[1]!,
      actorName: 'x',
      hash: chainMac(Buffer.alloc(32, 1), 2, forged[0]!.hash, { ...forged[1]!, actorName: 'x' }),
    };
    expect(await verifyChain({ key, rows: each(forged), file: headOf(rows), memory: null })).toMatchObject({
      intact: false,
      firstBrokenSeq: 2,
    });
  });

  it('checks legacy records with the plain hash, counts them, and refuses a legacy record after a keyed one', async () => {
    const legacy: VerifyRow[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 2; seq++) {
      const f = { ...record, id: `l${seq}` };
      const hash = chainHash(prev, f);
      legacy.push({ ...f, seq, prevHash: prev, hash, scheme: LEGACY_SCHEME });
      prev = hash;
    }
    const f3 = { ...record, id: 'k3' };
    const keyed: VerifyRow = { ...f3, seq: 3, prevHash: prev, hash: chainMac(key, 3, prev, f3), scheme: KEYED_SCHEME };
    const file: HeadRead = { state: 'ok', head: { seq: 3, mac: keyed.hash, keyedFrom: 3 } };
    expect(await verifyChain({ key, rows: each([...legacy, keyed]), file, memory: null })).toMatchObject({
      intact: true,
      checked: 3,
      legacyChecked: 2,
    });
    expect(await verifyChain({ key, rows: each(legacy), file: { state: 'missing' }, memory: null })).toMatchObject({
      intact: true,
      legacyChecked: 2,
    });
    const f4 = { ...record, id: 'l4' };
    const downgraded: VerifyRow = { ...f4, seq: 4, prevHash: keyed.hash, hash: chainHash(keyed.hash, f4), scheme: LEGACY_SCHEME };
    expect((await verifyChain({ key, rows: each([...legacy, keyed, downgraded]), file, memory: null })).reason).toMatch(/unkeyed hash/);
  });
});

describe('redaction by value', () => {
  it('keeps option strings readable and hides only the secret values', () => {
    expect(redactText('addr=1.2.3.4,username=u,password=p4ss')).toBe('addr=1.2.3.4,username=u,password=[redacted]');
    expect(redactText('o=password=p4ss')).toBe('o=password=[redacted]');
    expect(redactText('https://user:pass@host/x and git+ssh://git:pw@h')).toBe(
      'https://user:[redacted]@host/x and git+ssh://git:[redacted]@h',
    );
    expect(redactText('qemu+ssh://root@host/system')).toBe('qemu+ssh://root@host/system');
    expect(redactText('/api/hosts?access_token=abc&limit=5')).toBe('/api/hosts?access_token=[redacted]&limit=5');
  });

  it('hides env entries with secret names, and keeps the others', () => {
    expect(redact({ env: ['DB_PASSWORD=a b,c', 'API_KEY=zzz', 'MODE=lab', 'PATH=/usr/bin'] })).toEqual({
      env: ['DB_PASSWORD=[redacted]', 'API_KEY=[redacted]', 'MODE=lab', 'PATH=/usr/bin'],
    });
    expect(redactText("docker run -e 'DB_PASSWORD=x y' -e FOO=bar img")).toBe("docker run -e 'DB_PASSWORD=[redacted]' -e FOO=bar img");
  });

  it('hides keys, headers and tokens by their shape', () => {
    expect(redactText('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\nrest')).toBe(
      '[redacted private key]\nrest',
    );
    expect(redactText('-----BEGIN RSA PRIVATE KEY-----\ntruncated')).toBe('[redacted private key]');
    expect(redactText('Authorization: Bearer abc.def-123')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('Basic dXNlcjpwYXNz')).toBe('Basic [redacted]');
    expect(redactText('Basic authentication failed')).toBe('Basic authentication failed');
    expect(redactText('token mir_AbCdEfGhIjKlMnOpQrStUvWxYz0123')).toBe('token [redacted]');
    expect(redactText('id AKIAABCDEFGHIJKLMNOP here')).toBe('id [redacted] here');
    expect(redactText('jwt eyJhbGciOi.eyJzdWIiOiIx.sig')).toBe('jwt [redacted]');
    expect(redactText('{"password":"x","user":"u"}')).toBe('{"password":"[redacted]","user":"u"}');
  });

  it('is idempotent, so records redacted at write time come out the same on export', () => {
    for (const s of ['o=password=p', 'https://u:p@h', 'DB_PASSWORD=x', 'Bearer abcdefgh1', '{"token":"t"}']) {
      expect(redactText(redactText(s))).toBe(redactText(s));
    }
  });

  it('hides the secrets Mirador knows wherever they appear, bounded and only for long values', () => {
    knownSecrets.add('hunter2-known-secret');
    knownSecrets.add('short');
    expect(redact({ notes: 'the pass is hunter2-known-secret!', name: 'short' })).toEqual({
      notes: 'the pass is [redacted]!',
      name: 'short',
    });
    knownSecrets.addPlaintext(JSON.stringify({ password: 'from-a-sealed-json', user: 'x' }));
    expect(redactText('echo from-a-sealed-json')).toBe('echo [redacted]');
    for (let i = 0; i < 600; i++) knownSecrets.add(`filler-secret-${i}`);
    expect(redactText('hunter2-known-secret')).toBe('hunter2-known-secret');
    expect(redactText('filler-secret-599')).toBe('[redacted]');
  });
});
