import { fail, requireString, show } from './errors.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortSpec {
  /** Host address to bind (IPv6 without brackets); null: every address. */
  hostIp: string | null;
  /** null: the engine picks a free port. */
  hostPort: number | null;
  containerPort: number;
  protocol: PortProtocol;
}

const USAGE = 'use [host_ip:][host_port:]container_port[/tcp|udp|sctp], e.g. "8080:80" or "127.0.0.1:8080:80/udp"';

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(s: string): boolean {
  let body = s;
  let groupsWanted = 8;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(body.slice(lastColon + 1))) return false;
    body = `${body.slice(0, lastColon + 1)}0`; // the IPv4 tail counts as two groups
    groupsWanted = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => g.every((x) => group.test(x)))) return false;
  const count = groups.reduce((n, g) => n + g.length, 0);
  // "::" stands for at least one group of zeros.
  return halves.length === 2 ? count <= groupsWanted - 1 : count === groupsWanted;
}

function parsePort(text: string, field: string, spec: string, which: string): number {
  if (/^[0-9]+-[0-9]+$/.test(text)) fail(field, `${show(spec)}: port ranges are not supported here; publish each port separately.`);
  if (!/^[0-9]{1,5}$/.test(text)) fail(field, `${show(spec)} is not a port specification; ${USAGE}.`);
  const n = Number(text);
  if (n < 1 || n > 65535) fail(field, `${show(spec)}: the ${which} port ${n} is out of range; ports go from 1 to 65535.`);
  return n;
}

/** `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `127.0.0.1::80` (random host port), `[::1]:8080:80`. */
export function parsePortSpec(spec: unknown, field = 'ports'): PortSpec {
  const s = requireString(spec, field, 'Port');
  if (s.length === 0 || s.length > 128 || /\s/.test(s)) fail(field, `${show(s)} is not a port specification; ${USAGE}.`);
  let rest = s;
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
      fail(field, `${show(s)} has an unknown protocol ${show(rest.slice(slash + 1))}; use tcp, udp or sctp.`);
    }
    protocol = proto;
    rest = rest.slice(0, slash);
  }

  let hostIp: string | null = null;
  let ports: string[];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':')
      fail(field, `${show(s)} is not a port specification; ${USAGE} (IPv6 addresses in brackets: "[::1]:8080:80").`);
    hostIp = rest.slice(1, close);
    if (!isIPv6(hostIp)) fail(field, `${show(s)}: ${show(hostIp)} is not an IPv6 address.`);
    ports = rest.slice(close + 2).split(':');
    if (ports.length !== 2) fail(field, `${show(s)} is not a port specification; ${USAGE}.`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 3) fail(field, `${show(s)} is not a port specification; ${USAGE} (write IPv6 addresses in brackets).`);
    if (parts.length === 3) {
      hostIp = parts.shift()!;
      if (hostIp === '') hostIp = null;
      else if (!isIPv4(hostIp)) fail(field, `${show(s)}: ${show(hostIp)} is not an IP address.`);
    }
    ports = parts;
  }
  // split() always returns at least one element, and ports[0] is read only when there are two.
  const containerPort = parsePort(ports[ports.length - 1]!, field, s, 'container');
  const hostText = ports.length === 2 ? ports[0]! : '';
  const hostPort = hostText === '' ? null : parsePort(hostText, field, s, 'host');
  if (ports.length === 2 && hostText === '' && hostIp === null) fail(field, `${show(s)} is not a port specification; ${USAGE}.`);
  return { hostIp, hostPort, containerPort, protocol };
}

/** The canonical `-p` value (`/tcp` left out). */
export function formatPortSpec(p: PortSpec): string {
  const proto = p.protocol === 'tcp' ? '' : `/${p.protocol}`;
  const host = p.hostPort === null ? '' : String(p.hostPort);
  if (p.hostIp !== null) {
    const ip = p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp;
    return `${ip}:${host}:${p.containerPort}${proto}`;
  }
  return p.hostPort === null ? `${p.containerPort}${proto}` : `${host}:${p.containerPort}${proto}`;
}
