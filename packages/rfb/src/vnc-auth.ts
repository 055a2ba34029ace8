import { desEncryptBlock } from './des.js';

/** RFB security type 2: the 16-byte challenge is DES-encrypted with the password as the key. */
export const VNC_AUTH_CHALLENGE_BYTES = 16;

/** VNC passwords are DES keys: only the first 8 bytes count. */
export const VNC_PASSWORD_MAX = 8;

function reverseBits(byte: number): number {
  let out = 0;
  for (let i = 0; i < 8; i++) out |= ((byte >> i) & 1) << (7 - i);
  return out;
}

/**
 * The response to a VNC authentication challenge. The key is the password padded with NULs to 8
 * bytes, each byte's bits reversed (a quirk of the original VNC's DES code every server kept).
 */
export function vncAuthResponse(password: string, challenge: Uint8Array): Buffer {
  if (challenge.length !== VNC_AUTH_CHALLENGE_BYTES) throw new Error(`VNC challenge must be ${VNC_AUTH_CHALLENGE_BYTES} bytes`);
  const key = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(key, 0, 0, VNC_PASSWORD_MAX);
  const desKey = Buffer.from([...key].map(reverseBits));
  return Buffer.concat([desEncryptBlock(desKey, challenge.subarray(0, 8)), desEncryptBlock(desKey, challenge.subarray(8, 16))]);
}
