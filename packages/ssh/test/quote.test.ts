import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArg, toCommandLine } from '../src/quote.js';
import { fingerprintOfPublicKeyLine, keyAlgorithm } from '../src/fingerprint.js';
import { checkPrivateKey, generateKeyPair } from '../src/keys.js';

const hostile = [
  'x; rm -rf /',
  '$(reboot)',
  '`id`',
  "it's",
  '../x',
  '<domain>&amp;</domain>',
  'a\nb',
  '"double" \\ back',
  '',
  ' leading space',
  '*',
  '~root',
  '--flag=$HOME',
];

describe('quoteArg', () => {
  it('leaves plain words readable', () => {
    expect(toCommandLine(['virsh', '-c', 'qemu:///system', 'list', '--all'])).toBe('virsh -c qemu:///system list --all');
  });

  it.each(hostile)('a real POSIX shell receives %j unchanged', (arg) => {
    // printf prints each argument between markers; the shell must see exactly one argument.
    const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${quoteArg(arg)}`]).toString();
    expect(out).toBe(`[${arg}]`);
  });

  it('keeps argument boundaries for a whole argv', () => {
    const out = execFileSync('/bin/sh', ['-c', `printf '[%s]' ${toCommandLine(hostile)}`]).toString();
    expect(out).toBe(hostile.map((a) => `[${a}]`).join(''));
  });

  it('refuses NUL bytes', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/);
  });
});

describe('keys', () => {
  it('generates an ed25519 pair whose fingerprint matches ssh-keygen', () => {
    const pair = generateKeyPair('mirador-test');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(checkPrivateKey(pair.privateKey)).toMatchObject({ ok: true, type: 'ssh-ed25519' });
    const blob = Buffer.from(pair.publicKey.split(' ')[1]!, 'base64');
    expect(keyAlgorithm(blob)).toBe('ssh-ed25519');
    let viaKeygen: string | null = null;
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
