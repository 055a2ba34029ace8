import { fail, requireString, show } from './errors.js';

/** Upper bound for any size we accept (1 PiB): beyond it the value is a typo, not a limit. */
export const SIZE_MAX_BYTES = 2 ** 50;

type Unit = '' | 'k' | 'm' | 'g' | 't' | 'p';
const UNITS: Record<Unit, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * `512`, `64k`, `64m`, `1.5g`, `64MB`, `1GiB`, `2 g` → bytes. Like docker (units.RAMInBytes),
 * units are binary whatever the spelling (`1MB` = 1 MiB) and case does not matter.
 */
export function parseSize(s: unknown, field = 'size'): number {
  const text = requireString(s, field, 'Size');
  const m = /^([0-9]+(?:\.[0-9]+)?) ?([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) {
    const hint = text.trim().startsWith('-') ? ' Sizes cannot be negative.' : '';
    fail(field, `${show(text)} is not a size; write a number with an optional unit, e.g. "512m", "1.5g" or "64MiB".${hint}`);
  }
  // Group 2 is required (possibly empty) and only matches one of the units.
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase() as Unit]);
  if (bytes < 1) fail(field, `${show(text)} is zero; give a size of at least 1 byte.`);
  if (bytes > SIZE_MAX_BYTES) fail(field, `${show(text)} is too large; the limit is 1 PiB.`);
  return bytes;
}

/** Bytes → the shortest exact docker size string (`67108864` → `64m`), for command lines and settings. */
export function formatSize(bytes: number): string {
  for (const unit of ['p', 't', 'g', 'm', 'k'] as const) {
    const n = UNITS[unit];
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}
