import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainHash, type ChainedFields } from '../../src/audit/chain.js';
import { REDACTED, redact } from '../../src/audit/redact.js';

const record: ChainedFields = {
  id: 'a', at: '2026-01-01T00:00:00.000Z', actorType: 'user', actorId: 'u', actorName: 'admin', sourceIp: '127.0.0.1',
  action: 'host.create', targetType: 'host', targetId: 'h', targetName: 'lab', hostId: 'h', params: null, result: 'ok',
  errorMessage: null, statusCode: 201, durationMs: 3,
};

describe('audit hash chain', () => {
  it('is deterministic and depends on every field and on the previous hash', () => {
    const h = chainHash(GENESIS_HASH, record);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(GENESIS_HASH, { ...record })).toBe(h);
    for (const key of Object.keys(record) as (keyof ChainedFields)[]) {
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
    expect(out).toEqual({ name: 'lab', privateKey: REDACTED, auth: { password: REDACTED, passphrase: REDACTED, user: 'root' }, list: [{ token: REDACTED }] });
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
