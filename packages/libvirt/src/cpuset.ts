/**
 * libvirt CPU lists ("0-3,^2", "1", "0,2-3"): parsed, checked against the host's CPUs and
 * rendered back in the canonical form virsh prints. A cpuset ends up as a virsh argument, so only
 * digits, '-', ',' and '^' ever get through.
 */
import { LibvirtValidationError } from './names.js';

/** Far beyond any host; keeps "0-99999999" from allocating a huge set. */
export const CPUSET_MAX_CPU = 4095;
const CPUSET_MAX_LENGTH = 256;
const ITEM = /^(\^)?(\d{1,4})(?:-(\d{1,4}))?$/;

/** The CPUs a list names, sorted; throws LibvirtValidationError naming `field` for anything else. */
export function parseCpuset(value: unknown, field = 'cpuset'): number[] {
  const fail = (why: string): never => {
    throw new LibvirtValidationError('invalid-value', field, `CPU list ${JSON.stringify(value)} ${why}`);
  };
  if (typeof value !== 'string' || value.trim() === '') return fail('must be a list like "0-3,^2".');
  if (value.length > CPUSET_MAX_LENGTH) fail(`is longer than ${CPUSET_MAX_LENGTH} characters.`);
  const cpus = new Set<number>();
  const excluded: number[] = [];
  for (const raw of value.split(',')) {
    const m = ITEM.exec(raw.trim());
    if (!m) return fail(`has "${raw}"; use CPU numbers, ranges (2-5) and exclusions (^3) separated by commas.`);
    const from = Number(m[2]);
    const to = m[3] === undefined ? from : Number(m[3]);
    if (to < from) fail(`has the backwards range "${raw}".`);
    if (to > CPUSET_MAX_CPU) fail(`names CPU ${to}; no host has that many.`);
    if (m[1] && m[3] !== undefined) fail('may exclude single CPUs only (^3).');
    if (m[1]) excluded.push(from);
    else for (let c = from; c <= to; c++) cpus.add(c);
  }
  for (const c of excluded) cpus.delete(c);
  if (cpus.size === 0) fail('names no CPU at all.');
  return [...cpus].sort((a, b) => a - b);
}

/** Canonical ranges, as virsh prints them: [0,1,2,5] → "0-2,5". */
export function formatCpuset(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Parses a list and insists every CPU exists (and is online) on the host; returns the canonical form. */
export function assertHostCpuset(value: unknown, hostCpus: readonly number[], field = 'cpuset'): string {
  const cpus = parseCpuset(value, field);
  const known = new Set(hostCpus);
  const missing = cpus.filter((c) => !known.has(c));
  if (missing.length > 0) {
    throw new LibvirtValidationError(
      'out-of-range',
      field,
      `CPU list ${JSON.stringify(value)} names CPU ${formatCpuset(missing)}, which this host does not have online (it has ${formatCpuset(hostCpus)}).`,
    );
  }
  return formatCpuset(cpus);
}
