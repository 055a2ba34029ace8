import { ByteQueue, RfbError } from './byte-queue.js';
import { VNC_AUTH_CHALLENGE_BYTES, vncAuthResponse } from './vnc-auth.js';

export const RFB_VERSION_38 = 'RFB 003.008\n';
const VERSION = /^RFB (\d{3})\.(\d{3})\n$/;
const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const SECURITY_NAMES: Record<number, string> = { 16: 'Tight', 18: 'TLS', 19: 'VeNCrypt (TLS/x509)', 20: 'SASL' };

/** What the VNC server said once the handshake was done: its ServerInit, passed on to the viewer as is. */
export interface ServerInit {
  /** The whole ServerInit message (size, pixel format, desktop name). */
  bytes: Buffer;
  width: number;
  height: number;
  name: string;
}

export interface ServerHandshakeOptions {
  /** The display's VNC password, when it has one (read from the host, never from a user). */
  password?: string;
  /** Each step must answer within this long. */
  stepTimeoutMs?: number;
}

/** A byte stream to the VNC server, as the handshake uses it. */
export interface RfbTransport {
  write(data: Uint8Array): unknown;
}

async function reason(q: ByteQueue): Promise<string> {
  const len = (await q.take(4, 'the reason length')).readUInt32BE(0);
  if (len > 4096) return '(reason too long)';
  return (await q.take(len, 'the reason')).toString('utf8');
}

/**
 * Mirador as an RFB 3.8 client of the VM's VNC display: version, security (None, or VNC
 * authentication done here with the display's password), then ClientInit with the shared flag set
 * — a viewer must never kick the others out, whatever it asked for — and ServerInit.
 * Bytes of `stream` are fed in through `queue`; what is left in it afterwards belongs to the session.
 */
export async function handshakeWithServer(stream: RfbTransport, queue: ByteQueue, opts: ServerHandshakeOptions = {}): Promise<ServerInit> {
  const version = (await queue.take(12, 'the VNC server version')).toString('latin1');
  const m = VERSION.exec(version);
  if (!m) throw new RfbError('The display did not answer as a VNC server');
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major !== 3 || minor < 8) throw new RfbError(`The VNC server speaks RFB ${major}.${minor}; Mirador needs 3.8`);
  stream.write(Buffer.from(RFB_VERSION_38, 'latin1'));

  const count = (await queue.take(1, 'the security types'))[0]!;
  if (count === 0) throw new RfbError(`The VNC server refused the connection: ${await reason(queue)}`);
  const types = [...(await queue.take(count, 'the security types'))];
  let chosen: number;
  if (types.includes(SECURITY_VNC_AUTH) && opts.password !== undefined) chosen = SECURITY_VNC_AUTH;
  else if (types.includes(SECURITY_NONE)) chosen = SECURITY_NONE;
  else if (types.includes(SECURITY_VNC_AUTH)) throw new RfbError('The VNC display wants a password, and none is set in its definition');
  else {
    const names = types.map((t) => SECURITY_NAMES[t] ?? `type ${t}`).join(', ');
    throw new RfbError(`The VNC display only offers ${names}; Mirador's tunnel speaks None and VNC password authentication`);
  }
  stream.write(Buffer.from([chosen]));
  if (chosen === SECURITY_VNC_AUTH) {
    const challenge = await queue.take(VNC_AUTH_CHALLENGE_BYTES, 'the VNC authentication challenge');
    stream.write(vncAuthResponse(opts.password!, challenge));
  }
  const result = (await queue.take(4, 'the security result')).readUInt32BE(0);
  if (result !== 0) {
    const why = await reason(queue).catch(() => '');
    throw new RfbError(
      chosen === SECURITY_VNC_AUTH
        ? `The VNC display refused its password${why ? `: ${why}` : ''}`
        : `The VNC display refused the connection${why ? `: ${why}` : ''}`,
    );
  }

  stream.write(Buffer.from([1])); // ClientInit, shared
  const head = await queue.take(24, 'the display description');
  const nameLength = head.readUInt32BE(20);
  if (nameLength > 65_536) throw new RfbError('The VNC server sent an oversized desktop name');
  const name = await queue.take(nameLength, 'the desktop name');
  return { bytes: Buffer.concat([head, name]), width: head.readUInt16BE(0), height: head.readUInt16BE(2), name: name.toString('utf8') };
}
