/**
 * A tar archive holding one regular file: enough to send a lone Dockerfile as a build context
 * without pulling in a tar library. POSIX ustar layout: 512-byte header, data padded to 512,
 * two zero blocks at the end.
 */
export function tarOneFile(name: string, content: Buffer, mtime = new Date()): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error('file name too long for a plain ustar header');
  const header = Buffer.alloc(512, 0);
  const put = (value: string, offset: number, length: number) => header.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12);
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = (512 - (content.length % 512)) % 512;
  return Buffer.concat([header, content, Buffer.alloc(pad, 0), Buffer.alloc(1024, 0)]);
}
