import { describe, expect, it } from 'vitest';
import { parseOdHexBytes, qcow2Header, volPathArgv } from '../src/index.js';

/** A qcow2 header: version, backing file offset, incompatible features (v3). */
function header(version: number, backingOffset: bigint, incompatible = 0n): Uint8Array {
  const b = new Uint8Array(104);
  const v = new DataView(b.buffer);
  b.set([0x51, 0x46, 0x49, 0xfb]);
  v.setUint32(4, version);
  v.setBigUint64(8, backingOffset);
  if (version >= 3) v.setBigUint64(72, incompatible);
  return b;
}

describe('qcow2Header', () => {
  it('tells plain images from ones that name other files', () => {
    expect(qcow2Header(header(3, 0n))).toMatchObject({ qcow2: true, version: 3, hasBackingFile: false, hasExternalDataFile: false });
    expect(qcow2Header(header(2, 0x200n))).toMatchObject({ qcow2: true, hasBackingFile: true });
    expect(qcow2Header(header(3, 0n, 4n))).toMatchObject({ hasBackingFile: false, hasExternalDataFile: true });
    // bit 0 (dirty) alone names no other file
    expect(qcow2Header(header(3, 0n, 1n)).hasExternalDataFile).toBe(false);
  });

  it('treats non-qcow2 bytes as such, and a truncated qcow2 header as naming other files', () => {
    expect(qcow2Header(new TextEncoder().encode('CD001 not an image'))).toEqual({
      qcow2: false,
      hasBackingFile: false,
      hasExternalDataFile: false,
    });
    expect(qcow2Header(new Uint8Array())).toMatchObject({ qcow2: false });
    expect(qcow2Header(header(3, 0n).slice(0, 12))).toMatchObject({ qcow2: true, hasBackingFile: true, hasExternalDataFile: true });
    expect(qcow2Header(header(3, 0n).slice(0, 40))).toMatchObject({ hasBackingFile: false, hasExternalDataFile: true });
  });

  it('reads od -An -v -tx1 output', () => {
    expect([...parseOdHexBytes(' 51 46 49 fb 00 00\n 00 03\n')]).toEqual([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
    expect(parseOdHexBytes('').length).toBe(0);
    expect(() => parseOdHexBytes('51 zz')).toThrow();
  });
});

describe('volPathArgv', () => {
  it('checks pool and volume names', () => {
    expect(volPathArgv('qemu:///system', 'default', 'a.qcow2')).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'vol-path',
      '--pool',
      'default',
      'a.qcow2',
    ]);
    expect(() => volPathArgv('qemu:///system', 'default', '../x')).toThrow();
  });
});
