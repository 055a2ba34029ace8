import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fingerprintOfPublicKeyLine, keyAlgorithm } from '../src/fingerprint.js';
import { checkPrivateKey, generateKeyPair } from '../src/keys.js';

describe('keys', () => {
  it('generates an ed25519 pair whose fingerprint matches ssh-keygen', () => {
    const pair = generateKeyPair('mirador-test');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(checkPrivateKey(pair.privateKey)).toMatchObject({ ok: true, type: 'ssh-ed25519' });
    const blob = Buffer.from(pair.publicKey.split(' ')[1]!, 'base64');
    expect(keyAlgorithm(blob)).toBe('ssh-ed25519');
    let viaKeygen: string | null;
    try {
      viaKeygen = execFileSync('ssh-keygen', ['-lf', '-', '-E', 'sha256'], { input: pair.publicKey }).toString().split(' ')[1]!;
    } catch {
      viaKeygen = null; // ssh-keygen absent: the format check below still runs
    }
    const fp = fingerprintOfPublicKeyLine(pair.publicKey);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    if (viaKeygen) expect(fp).toBe(viaKeygen);
  });

  it('refuses garbage and public keys as private keys', () => {
    expect(checkPrivateKey('not a key at all, just some words that are long enough to pass size checks')).toMatchObject({ ok: false });
    const pair = generateKeyPair('x');
    expect(checkPrivateKey(pair.publicKey)).toMatchObject({ ok: false });
  });
});
