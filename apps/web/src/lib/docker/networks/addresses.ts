/** Coarse client-side checks of network addresses (the engine validates for real). */
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;

export function isIp(v: string): boolean {
  return IPV4.test(v) || (v.includes(':') && IPV6.test(v));
}

export function isCidr(v: string): boolean {
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits) || !ip) return false;
  const n = Number(bits);
  return IPV4.test(ip) ? n <= 32 : ip.includes(':') && IPV6.test(ip) && n <= 128;
}

/** Aliases typed as "web, api db" → ["web", "api", "db"]. */
export function splitAliases(v: string): string[] {
  return [...new Set(v.split(/[\s,]+/).filter(Boolean))];
}
