import { i18n } from '$lib/i18n/index.svelte';

function locale(): string {
  return i18n.locale === 'es' ? 'es-ES' : 'en-GB';
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const d = new Date(iso).getTime();
  if (Number.isNaN(d)) return iso;
  const diff = Math.round((d - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diff) >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return iso;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  const rs = Math.round(s % 60);
  if (m < 60) return `${m} min ${rs} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(p);
}

/** Duration between two timestamps (or until now while still running). */
export function elapsed(from: string | null, to: string | null, now = Date.now()): number | null {
  if (!from) return null;
  const a = new Date(from).getTime();
  const b = to ? new Date(to).getTime() : now;
  return Math.max(0, b - a);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A number in the UI's locale, with at most `digits` decimals. */
export function formatNumber(n: number, digits = 1): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

/** Bytes with a binary unit: 0 B, 512 B, 1.5 KiB, 12 MiB, 3.2 GiB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1024 && i < BINARY_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(v, i === 0 || v >= 100 ? 0 : 1)} ${BINARY_UNITS[i]}`;
}

/** Bytes per second: 0 B/s, 12 KiB/s, 1.4 MiB/s. */
export function formatRate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  return `${formatBytes(bps)}/s`;
}

/** A memory size given in MiB: 128 MiB, 2 GiB, 1.5 GiB. */
export function formatMiB(mib: number | null | undefined): string {
  if (mib === null || mib === undefined || !Number.isFinite(mib)) return '—';
  return formatBytes(mib * 1024 * 1024);
}

/**
 * Orders text the way `a.localeCompare(b)` does, through one shared collator: localeCompare builds
 * its comparison rules on every call, which costs most of a sort of 10,000 rows.
 */
export const compareText: (a: string, b: string) => number = new Intl.Collator().compare;
