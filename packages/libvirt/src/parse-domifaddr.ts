/**
 * `virsh domifaddr NAME --source lease` (or agent/arp): a table of interface, MAC, protocol and
 * address/prefix. Returns the first IPv4 (else IPv6) address per MAC, lower-cased MAC as key.
 */
export function parseDomifaddr(output: string): Map<string, string> {
  const byMac = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*\S+\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+(ipv4|ipv6)\s+(\S+)/i.exec(line);
    if (!m) continue;
    const mac = m[1]!.toLowerCase();
    const address = m[3]!.replace(/\/\d+$/, '');
    if (!byMac.has(mac) || (m[2] === 'ipv4' && byMac.get(mac)!.includes(':'))) byMac.set(mac, address);
  }
  return byMac;
}
