import { describe, expect, it } from 'vitest';
import { ByteQueue, ClientMessage, handshakeWithServer, RfbError, ViewerStream, vncAuthResponse, type ServerInit } from '../src/index.js';

/** A scripted VNC server: what it sends, and everything the client wrote to it. */
function fakeServer() {
  const queue = new ByteQueue(2000);
  const written: Buffer[] = [];
  return {
    queue,
    written,
    stream: { write: (d: Uint8Array) => written.push(Buffer.from(d)) },
    send: (...parts: (string | number[] | Buffer)[]) => {
      for (const p of parts) queue.push(typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p));
    },
  };
}

function serverInit(name = 'QEMU (demo)') {
  const head = Buffer.alloc(24);
  head.writeUInt16BE(720, 0);
  head.writeUInt16BE(400, 2);
  head.writeUInt32BE(Buffer.byteLength(name), 20);
  return Buffer.concat([head, Buffer.from(name)]);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

describe('handshakeWithServer', () => {
  it('does VNC authentication with the password and asks to share the display', async () => {
    const s = fakeServer();
    const challenge = Buffer.alloc(16, 3);
    const done = handshakeWithServer(s.stream, s.queue, { password: 'pw' });
    // Split oddly on purpose: the transport decides chunk sizes.
    s.send('RFB 003', '.008\n', [1, 2], challenge.subarray(0, 5), challenge.subarray(5), u32(0), serverInit());
    const init = await done;
    expect(init).toMatchObject({ width: 720, height: 400, name: 'QEMU (demo)' });
    expect(s.written.map((b) => b.toString('hex'))).toEqual([
      Buffer.from('RFB 003.008\n').toString('hex'),
      '02',
      vncAuthResponse('pw', challenge).toString('hex'),
      '01', // ClientInit: shared
    ]);
  });

  it('uses None when the display has no password', async () => {
    const s = fakeServer();
    const done = handshakeWithServer(s.stream, s.queue, {});
    s.send('RFB 003.008\n', [1, 1], u32(0), serverInit('x'));
    await expect(done).resolves.toMatchObject({ name: 'x' });
    expect(s.written[1]).toEqual(Buffer.from([1]));
  });

  it('says why when the password is refused, and when only TLS is offered', async () => {
    const s = fakeServer();
    const done = handshakeWithServer(s.stream, s.queue, { password: 'bad' });
    s.send('RFB 003.008\n', [1, 2], Buffer.alloc(16), u32(1), u32(19), 'Authentication fail');
    await expect(done).rejects.toThrow(/refused its password: Authentication fail/);

    const t = fakeServer();
    const tls = handshakeWithServer(t.stream, t.queue, { password: 'x' });
    t.send('RFB 003.008\n', [1, 19]);
    await expect(tls).rejects.toThrow(/VeNCrypt/);
  });

  it('refuses something that is not a VNC server, and one that goes quiet', async () => {
    const s = fakeServer();
    const done = handshakeWithServer(s.stream, s.queue, {});
    s.send('SSH-2.0-Open');
    await expect(done).rejects.toBeInstanceOf(RfbError);

    const q = new ByteQueue(50);
    await expect(handshakeWithServer({ write: () => 0 }, q, {})).rejects.toThrow(/Timed out waiting for the VNC server version/);
  });
});

describe('ViewerStream', () => {
  const init: ServerInit = { bytes: serverInit(), width: 720, height: 400, name: 'QEMU (demo)' };
  const handshake = (canWrite = true) => {
    const sent: Buffer[] = [];
    const v = new ViewerStream((b) => sent.push(b), init);
    expect(v.feed(Buffer.from('RFB 003.008\n'), canWrite).length).toBe(0);
    expect(v.feed(Buffer.from([1]), canWrite).length).toBe(0);
    expect(v.feed(Buffer.from([0]), canWrite).length).toBe(0); // ClientInit asking for exclusive access
    return { v, sent };
  };
  const key = Buffer.from([ClientMessage.KeyEvent, 1, 0, 0, 0, 0, 0xff, 0x0d]);
  const pointer = Buffer.from([ClientMessage.PointerEvent, 1, 0, 10, 0, 20]);
  const update = Buffer.from([ClientMessage.FramebufferUpdateRequest, 1, 0, 0, 0, 0, 2, 208, 1, 144]);
  const cut = Buffer.concat([Buffer.from([ClientMessage.ClientCutText, 0, 0, 0]), u32(5), Buffer.from('hello')]);
  const extKey = Buffer.from([255, 0, 0, 1, 0, 0, 0xff, 0x0d, 0, 0, 0, 28]);

  it('offers None, then passes on the display ServerInit, never the password', () => {
    const { v, sent } = handshake();
    expect(v.ready).toBe(true);
    expect(sent.map((b) => b.toString('hex'))).toEqual([
      Buffer.from('RFB 003.008\n').toString('hex'),
      '0101',
      '00000000',
      init.bytes.toString('hex'),
    ]);
  });

  it('lets a writer through whole, however the frames split the messages', () => {
    const { v } = handshake(true);
    const all = Buffer.concat([update, key, pointer, cut, extKey]);
    const out = Buffer.concat([v.feed(all.subarray(0, 13), true), v.feed(all.subarray(13, 14), true), v.feed(all.subarray(14), true)]);
    expect(out).toEqual(all);
  });

  it('drops keys, pointer, clipboard and QEMU key events from a view-only viewer, keeps frame requests', () => {
    const { v } = handshake(false);
    const out = v.feed(Buffer.concat([key, update, pointer, cut, extKey, update]), false);
    expect(out).toEqual(Buffer.concat([update, update]));
    expect(v.droppedInput).toBe(4);
  });

  it('ends the stream on an unknown message type (it could not be framed) and on a bad handshake', () => {
    const { v } = handshake(false);
    expect(() => v.feed(Buffer.from([77, 0, 0, 0]), false)).toThrow(/Unknown RFB client message type 77/);
    const w = new ViewerStream(() => {}, init);
    expect(() => w.feed(Buffer.from('RFB 004.000\n'), true)).toThrow(RfbError);
    const x = new ViewerStream(() => {}, init);
    x.feed(Buffer.from('RFB 003.008\n'), true);
    expect(() => x.feed(Buffer.from([2]), true)).toThrow(/not offered/);
  });

  it('refuses a clipboard message announcing more than 1 MiB', () => {
    const { v } = handshake(true);
    expect(() => v.feed(Buffer.concat([Buffer.from([6, 0, 0, 0]), u32(50 * 1024 * 1024)]), true)).toThrow(/1 MiB/);
  });
});
