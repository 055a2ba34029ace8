import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Encrypts secrets at rest (SSH keys, passwords, registry credentials) with AES-256-GCM.
 * The associated data binds a ciphertext to its record ("host:<id>"), so a value copied
 * into another row does not decrypt.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(envelope: string, context: string): string;
}

const VERSION = 'v1';

/**
 * One key per purpose from the same key material (MIRADOR_SECRET or dataDir/secret.key), so a new
 * use needs no new setting and a key for one purpose never doubles as another's.
 */
export function deriveKey(keyMaterial: Buffer, purpose: 'secrets-at-rest-v1' | 'audit-chain-v1'): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial, 'mirador', purpose, 32));
}

export function createSecretBox(keyMaterial: Buffer): SecretBox {
  const key = deriveKey(keyMaterial, 'secrets-at-rest-v1');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    open(envelope, context) {
      const [version, iv, tag, body] = envelope.split(':');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unknown secret envelope format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

/** MIRADOR_SECRET when given; otherwise a random key kept in the data dir, readable by its owner only. */
export function loadKeyMaterial(secret: string | null, keyFile: string): Buffer {
  if (secret) return Buffer.from(secret, 'utf8');
  if (existsSync(keyFile)) {
    const key = readFileSync(keyFile);
    if (key.length < 32) throw new Error(`${keyFile} is too short to be a Mirador secret key`);
    chmodSync(keyFile, 0o600);
    return key;
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(keyFile, key, { mode: 0o600, flag: 'wx' });
  return key;
}
