import { createHash } from 'node:crypto';

/** OpenSSH-style fingerprint of a public key blob (wire format): `SHA256:<base64, no padding>`. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type is the first length-prefixed string of the wire-format blob (e.g. `ssh-ed25519`). */
export function keyAlgorithm(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

/** Fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) throw new Error('Not an OpenSSH public key line');
  return fingerprintSha256(Buffer.from(parts[1]!, 'base64'));
}
