/**
 * Just enough of the qcow2 header to know whether opening an image makes QEMU (and libvirt, which
 * labels and chowns every file of the chain) open *other* files too: a backing file, or an
 * external data file (qcow2 v3). Both are names written inside the image, so whoever could write
 * the image's bytes — a guest that had it as a raw disk, say — chooses them.
 * Layout: https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/qcow2.txt
 */

/** Bytes to read from the start of an image for `qcow2Header` (the v3 header up to incompatible_features). */
export const QCOW2_HEADER_BYTES = 80;

export interface Qcow2Header {
  /** False when the bytes do not start with the qcow2 magic (then nothing else applies). */
  qcow2: boolean;
  version?: number;
  /** The image names a backing file (its offset in the header is not 0). */
  hasBackingFile: boolean;
  /** incompatible_features bit 2: the guest data lives in another file named in a header extension. */
  hasExternalDataFile: boolean;
}

const MAGIC = [0x51, 0x46, 0x49, 0xfb]; // "QFI\xfb"

export function qcow2Header(bytes: Uint8Array): Qcow2Header {
  const none: Qcow2Header = { qcow2: false, hasBackingFile: false, hasExternalDataFile: false };
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) return none;
  // A qcow2 image shorter than its fixed header cannot be judged: count it as naming other files.
  if (bytes.length < 20) return { qcow2: true, hasBackingFile: true, hasExternalDataFile: true };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4);
  const hasBackingFile = view.getBigUint64(8) !== 0n;
  let hasExternalDataFile = false;
  if (version >= 3) hasExternalDataFile = bytes.length < 80 || (view.getBigUint64(72) & 4n) !== 0n;
  return { qcow2: true, version, hasBackingFile, hasExternalDataFile };
}

/** `od -An -v -tx1` output ("  51 46 49 fb …", several lines) as bytes; throws on anything else. */
export function parseOdHexBytes(output: string): Uint8Array {
  const tokens = output.split(/\s+/).filter(Boolean);
  if (tokens.some((t) => !/^[0-9a-f]{2}$/i.test(t))) throw new Error('Unexpected od output');
  return Uint8Array.from(tokens.map((t) => Number.parseInt(t, 16)));
}
