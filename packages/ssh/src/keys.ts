import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface GeneratedKeyPair {
  privateKey: string;
  publicKey: string;
}

/** A fresh ed25519 key pair in OpenSSH formats, for hosts whose key Mirador generates. */
export function generateKeyPair(comment: string): GeneratedKeyPair {
  const { private: privateKey, public: publicKey } = utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey, publicKey: publicKey.trim() };
}

export type KeyCheck = { ok: true; type: string; encrypted: boolean } | { ok: false; message: string };

/** Parses a pasted private key so bad input is refused before it is stored. */
export function checkPrivateKey(pem: string, passphrase?: string): KeyCheck {
  const parsed = utils.parseKey(pem, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    return {
      ok: false,
      message: encrypted
        ? 'The private key is encrypted: give its passphrase (or the passphrase is wrong)'
        : `Not a usable private key: ${parsed.message}`,
    };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return { ok: false, message: 'That is a public key; paste the private key' };
  return { ok: true, type: key.type, encrypted: Boolean(passphrase) };
}
