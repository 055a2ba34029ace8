import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadKeyMaterial } from '../../src/lib/secret-box.js';

describe('secret box', () => {
  const box = createSecretBox(Buffer.from('a test key that is long enough'));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('-----BEGIN OPENSSH PRIVATE KEY-----', 'host:1');
    expect(sealed).not.toContain('OPENSSH');
    expect(box.open(sealed, 'host:1')).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(box.seal('same', 'host:1')).not.toBe(box.seal('same', 'host:1'));
  });

  it('refuses a ciphertext moved to another record, tampered with, or opened with another key', () => {
    const sealed = box.seal('secret', 'host:1');
    expect(() => box.open(sealed, 'host:2')).toThrow();
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => box.open(parts.join(':'), 'host:1')).toThrow();
    expect(() => createSecretBox(Buffer.from('another key entirely!!')).open(sealed, 'host:1')).toThrow();
  });

  it('creates a 0600 key file once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirador-key-'));
    const file = join(dir, 'secret.key');
    const k1 = loadKeyMaterial(null, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadKeyMaterial(null, file).equals(k1)).toBe(true);
    expect(loadKeyMaterial('from-env', file).toString()).toBe('from-env');
  });
});
