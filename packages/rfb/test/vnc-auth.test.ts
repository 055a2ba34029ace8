import { describe, expect, it } from 'vitest';
import { desEncryptBlock } from '../src/des.js';
import { vncAuthResponse } from '../src/vnc-auth.js';

describe('vncAuthResponse', () => {
  it('encrypts the challenge with the bit-reversed password (checked against OpenSSL des-ecb)', () => {
    // printf <challenge> | openssl enc -des-ecb -provider legacy -K cea6c64ea62e8c4c -nopad
    const challenge = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    expect(vncAuthResponse('secret12', challenge).toString('hex')).toBe('eb0e1edacbc03343f6fc62449e83f214');
  });

  it('uses only the first 8 characters, as every VNC server does', () => {
    const challenge = Buffer.alloc(16, 7);
    expect(vncAuthResponse('secret12-and-more', challenge)).toEqual(vncAuthResponse('secret12', challenge));
    expect(vncAuthResponse('secret1', challenge)).not.toEqual(vncAuthResponse('secret12', challenge));
  });

  it('refuses a challenge of the wrong size', () => {
    expect(() => vncAuthResponse('x', Buffer.alloc(8))).toThrow(/16 bytes/);
  });
});

describe('desEncryptBlock', () => {
  it('matches the FIPS 46 worked example', () => {
    const out = desEncryptBlock(Buffer.from('133457799bbcdff1', 'hex'), Buffer.from('0123456789abcdef', 'hex'));
    expect(out.toString('hex')).toBe('85e813540f0ab405');
  });
});
