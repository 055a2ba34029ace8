import { describe, expect, it } from 'vitest';
import { DockerLogDemuxer, splitTimestamp } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function frame(stream: number, text: string): Uint8Array {
  const payload = enc.encode(text);
  const out = new Uint8Array(8 + payload.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, payload.length, false);
  out.set(payload, 8);
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const readable = (frames: { stream: string; data: Uint8Array }[]) => frames.map((f) => [f.stream, dec.decode(f.data)]);

describe('DockerLogDemuxer', () => {
  it('reads several frames from one chunk', () => {
    const d = new DockerLogDemuxer();
    expect(readable(d.push(concat(frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'bye\n'))))).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'oops\n'],
      ['stdout', 'bye\n'],
    ]);
    expect(d.pendingBytes).toBe(0);
  });

  it('reassembles frames split anywhere, even one byte at a time', () => {
    const all = concat(frame(1, 'first line\n'), frame(2, 'x'.repeat(300)), frame(1, 'é✓\n'));
    for (const size of [1, 3, 7, 8, 9, 13, 64]) {
      const d = new DockerLogDemuxer();
      const got: { stream: string; data: Uint8Array }[] = [];
      for (let i = 0; i < all.length; i += size) got.push(...d.push(all.subarray(i, i + size)));
      expect(readable(got)).toEqual([
        ['stdout', 'first line\n'],
        ['stderr', 'x'.repeat(300)],
        ['stdout', 'é✓\n'],
      ]);
      expect(d.pendingBytes).toBe(0);
    }
  });

  it('holds a partial frame until the rest arrives', () => {
    const d = new DockerLogDemuxer();
    const f = frame(2, 'abcdef');
    expect(d.push(f.subarray(0, 10))).toEqual([]);
    expect(d.pendingBytes).toBe(10);
    expect(readable(d.push(f.subarray(10)))).toEqual([['stderr', 'abcdef']]);
  });

  it('handles big-endian lengths above 255 and empty frames', () => {
    const d = new DockerLogDemuxer();
    const big = 'y'.repeat(70000);
    expect(readable(d.push(concat(frame(1, ''), frame(1, big))))).toEqual([['stdout', big]]);
  });

  it('refuses a raw (TTY) stream unless told, and passes it through when told', () => {
    expect(() => new DockerLogDemuxer().push(enc.encode('plain text output\n'))).toThrow(/TTY/);
    expect(readable(new DockerLogDemuxer({ tty: true }).push(enc.encode('raw')))).toEqual([['stdout', 'raw']]);
  });
});

describe('splitTimestamp', () => {
  it('splits RFC 3339 prefixes', () => {
    expect(splitTimestamp('2024-05-01T12:00:00.123456789Z hello world')).toEqual({
      ts: '2024-05-01T12:00:00.123456789Z',
      text: 'hello world',
    });
    expect(splitTimestamp('2024-05-01T12:00:00Z ')).toEqual({ ts: '2024-05-01T12:00:00Z', text: '' });
    expect(splitTimestamp('2024-05-01T12:00:00+02:00  indented')).toEqual({ ts: '2024-05-01T12:00:00+02:00', text: ' indented' });
    expect(splitTimestamp('2024-05-01T12:00:00Z')).toEqual({ ts: '2024-05-01T12:00:00Z', text: '' });
  });
  it('leaves other lines alone', () => {
    expect(splitTimestamp('hello')).toEqual({ ts: null, text: 'hello' });
    expect(splitTimestamp('2024-05-01 hello')).toEqual({ ts: null, text: '2024-05-01 hello' });
    expect(splitTimestamp('')).toEqual({ ts: null, text: '' });
  });
});
