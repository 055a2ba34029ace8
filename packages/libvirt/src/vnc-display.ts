/**
 * Where a running VM's VNC display listens, and its password: read from `virsh dumpxml
 * --security-info`, the only form that includes `passwd`. That XML is a secret; it is parsed here
 * and never stored, logged or returned — callers get the fields below and nothing else.
 */
import { attr, child, children, makeParser, parseXmlRoot, toInt } from './xml.js';

export interface VncDisplay {
  /** TCP port while running (autoport picks one at start); undefined when it listens on a Unix socket or not yet. */
  port?: number;
  /** The address it listens on ('127.0.0.1', '0.0.0.0', '::1' …). */
  listen?: string;
  /** A Unix socket instead of TCP (listen type='socket'). */
  socket?: string;
  password?: string;
}

const parser = makeParser(['domain.devices.graphics', 'domain.devices.graphics.listen']);

/** The first VNC display of a domain, or null when it has none. */
export function parseVncDisplay(xml: string): VncDisplay | null {
  const dom = parseXmlRoot(parser, xml, 'domain');
  const vnc = children(child(dom, 'devices'), 'graphics').find((g) => attr(g, 'type') === 'vnc');
  if (!vnc) return null;
  const listens = children(vnc, 'listen');
  const socketListen = listens.find((l) => attr(l, 'type') === 'socket');
  const port = toInt(attr(vnc, 'port'));
  const display: VncDisplay = {
    port: port !== undefined && port > 0 ? port : undefined,
    listen:
      attr(vnc, 'listen') ??
      attr(
        listens.find((l) => attr(l, 'type') === 'address'),
        'address',
      ),
    socket: attr(vnc, 'socket') ?? attr(socketListen, 'socket'),
    password: attr(vnc, 'passwd'),
  };
  for (const k of Object.keys(display) as (keyof VncDisplay)[]) if (display[k] === undefined) delete display[k];
  return display;
}

/**
 * Whether Mirador may tunnel to this display: only a TCP display reachable on the host's own loopback
 * (listening on loopback, or on every address). Anything else is reported, not followed.
 */
export function loopbackVncPort(display: VncDisplay): { port: number } | { refused: string } {
  if (display.socket) return { refused: 'The VNC display listens on a Unix socket; Mirador tunnels TCP displays on the host loopback' };
  if (display.port === undefined) return { refused: 'The VNC display has no port yet (is the VM running?)' };
  const listen = display.listen ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '0.0.0.0', '::'].includes(listen) && !listen.startsWith('127.'))
    return { refused: `The VNC display listens on ${listen} only; set listen='127.0.0.1' so Mirador can reach it through SSH` };
  return { port: display.port };
}
