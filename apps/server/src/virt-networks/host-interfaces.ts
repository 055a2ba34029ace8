import type { HostInterface } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import { commandLineOf } from '@mirador/libvirt';
import { HttpError } from '../lib/http-errors.js';

/** One call gives links, their kind (linkinfo.info_kind) and addresses: `ip -details -json address show`. */
export const IP_ADDR_ARGV = ['ip', '-details', '-json', 'address', 'show'];
export const ipAddrCommand = commandLineOf(IP_ADDR_ARGV);

interface IpLink {
  ifname?: unknown;
  mtu?: unknown;
  operstate?: unknown;
  address?: unknown;
  master?: unknown;
  linkinfo?: { info_kind?: unknown };
  addr_info?: Array<{ family?: unknown; local?: unknown; prefixlen?: unknown }>;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `ip -j` output to the contract shape; entries without a name are dropped rather than guessed at. */
export function parseIpAddrJson(stdout: string): HostInterface[] {
  const links = JSON.parse(stdout) as unknown;
  if (!Array.isArray(links)) throw new Error('ip -json did not print a list');
  return (links as IpLink[]).flatMap((l) => {
    const name = str(l.ifname);
    if (!name) return [];
    const kind = str(l.linkinfo?.info_kind);
    return [
      {
        name,
        kind,
        isBridge: kind === 'bridge',
        master: str(l.master),
        mac: str(l.address),
        state: str(l.operstate) ?? 'UNKNOWN',
        mtu: typeof l.mtu === 'number' ? l.mtu : null,
        addresses: (l.addr_info ?? []).flatMap((a) =>
          typeof a.local === 'string' && typeof a.prefixlen === 'number' && (a.family === 'inet' || a.family === 'inet6')
            ? [{ family: a.family === 'inet' ? 'ipv4' : 'ipv6', address: a.local, prefix: a.prefixlen }]
            : [],
        ),
      },
    ];
  });
}

export async function readHostInterfaces(runner: CommandRunner): Promise<HostInterface[]> {
  const res = await runner.exec(IP_ADDR_ARGV, { timeoutMs: 20_000 });
  if (res.code === 127) throw new HttpError(502, 'ip is not installed on this host (install iproute2)', { code: 'iproute2_missing' });
  if (res.code !== 0 || res.timedOut) throw new HttpError(502, `ip failed on the host: ${res.stderr.trim() || `exit code ${res.code}`}`);
  try {
    return parseIpAddrJson(res.stdout);
  } catch {
    throw new HttpError(502, 'The host printed interface information Mirador cannot read (is iproute2 recent enough for -json?)');
  }
}
