import WebSocket from 'ws';
import { VNC_SUBPROTOCOL, VNC_TICKET_PREFIX } from '@mirador/contract';
import { ByteQueue } from '@mirador/rfb';

type Json = { type: string; [k: string]: unknown };

/**
 * The screen socket as noVNC uses it: subprotocols with the ticket, JSON status in text frames,
 * RFB in binary frames. `handshake()` does what noVNC does first (3.8, None, shared ClientInit).
 */
export async function rfbConnect(url: string, cookie: string, ticket: string | null, origin = new URL(url.replace(/^ws/, 'http')).origin) {
  const protocols = ticket === null ? [VNC_SUBPROTOCOL] : [VNC_SUBPROTOCOL, `${VNC_TICKET_PREFIX}${ticket}`];
  const ws = new WebSocket(url, protocols, { headers: { origin, cookie } });
  const texts: Json[] = [];
  const bytes = new ByteQueue(30_000);
  let closed: { code: number; reason: string } | null = null;
  const closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];
  ws.on('message', (raw, isBinary) => {
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
    if (isBinary) bytes.push(buf);
    else texts.push(JSON.parse(buf.toString()) as Json);
  });
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    bytes.end(new Error(`socket closed ${code} ${reason.toString()}`));
    for (const w of closeWaiters.splice(0)) w(closed);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const send = (b: Buffer | number[]) => ws.send(Buffer.from(b), { binary: true });
  return {
    ws,
    texts,
    bytes,
    send,
    get closed() {
      return closed;
    },
    whenClosed(): Promise<{ code: number; reason: string }> {
      return closed ? Promise.resolve(closed) : new Promise((resolve) => closeWaiters.push(resolve));
    },
    /** Version, security None, ClientInit; returns the ServerInit's size and name. */
    async handshake() {
      const version = (await bytes.take(12, 'version')).toString('latin1');
      if (version !== 'RFB 003.008\n') throw new Error(`unexpected version ${JSON.stringify(version)}`);
      send(Buffer.from('RFB 003.008\n', 'latin1'));
      const n = (await bytes.take(1, 'security count'))[0]!;
      const types = [...(await bytes.take(n, 'security types'))];
      send([1]);
      const result = (await bytes.take(4, 'security result')).readUInt32BE(0);
      send([0]); // ClientInit asking for exclusive access: the server must share anyway
      const head = await bytes.take(24, 'ServerInit');
      const name = (await bytes.take(head.readUInt32BE(20), 'desktop name')).toString('utf8');
      return { types, result, width: head.readUInt16BE(0), height: head.readUInt16BE(2), name };
    },
    /** Asks for the whole screen and waits for a FramebufferUpdate (message type 0) with at least one rectangle. */
    async firstFrame(width: number, height: number) {
      const req = Buffer.alloc(10);
      req[0] = 3;
      req.writeUInt16BE(width, 6);
      req.writeUInt16BE(height, 8);
      send(req);
      const head = await bytes.take(4, 'FramebufferUpdate');
      return { type: head[0]!, rectangles: head.readUInt16BE(2) };
    },
    /** X11 keysym press + release (RFB KeyEvent). */
    key(keysym: number, down: boolean) {
      const msg = Buffer.alloc(8);
      msg[0] = 4;
      msg[1] = down ? 1 : 0;
      msg.writeUInt32BE(keysym, 4);
      send(msg);
    },
    close: () => ws.close(),
  };
}

/** Ctrl-Alt-Del as noVNC's sendCtrlAltDel() sends it. */
export const CTRL_ALT_DEL = [0xffe3, 0xffe9, 0xffff];
