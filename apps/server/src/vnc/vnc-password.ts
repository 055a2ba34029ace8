import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A new VNC display password: 8 characters (the most VNC authentication uses) from 62, about 47
 * bits. It only keeps other local users of the host out of a loopback display; Mirador's own
 * viewers never see it (the tunnel authenticates for them).
 */
export function newVncPassword(): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
