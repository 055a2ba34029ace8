/**
 * A finding's words in the reader's language: translated by `ruleId` (with the finding's params) when the
 * dictionary has the rule, else the server's English text. A translation that names a param the finding
 * does not carry would show `{name}` to the reader: the English text is better than that.
 */
import type { FindingSeverity, FindingTargetKind, SecurityFinding } from '@mirador/contract';
import { hasKey, t } from '$lib/i18n/index.svelte';

/** Rules that could not run report `<ruleId>.unknown` ("Could not check: …", the reason in `params.reason`). */
const UNKNOWN_SUFFIX = '.unknown';

function translated(key: string, fallback: string, params: Record<string, string | number>): string {
  if (!hasKey(key)) return fallback;
  const text = t(key, params);
  // An empty entry means "the server's text" (the English dictionary does not copy the server's sentences).
  return text === '' || /\{\w+\}/.test(text) ? fallback : text;
}

export function findingTitle(f: Pick<SecurityFinding, 'ruleId' | 'title' | 'params'>): string {
  if (f.ruleId.endsWith(UNKNOWN_SUFFIX)) {
    const key = `security.rule.${f.ruleId.slice(0, -UNKNOWN_SUFFIX.length)}.title`;
    if (!hasKey(key)) return f.title;
    const base = t(key, f.params);
    // Lower-case the first word unless it is an acronym ("QEMU runs as root", not "qEMU …").
    const lowered = /^\p{Lu}\p{Ll}/u.test(base) ? `${base.charAt(0).toLocaleLowerCase()}${base.slice(1)}` : base;
    return t('security.couldNotCheck', { title: lowered });
  }
  return translated(`security.rule.${f.ruleId}.title`, f.title, f.params);
}

export function findingWhy(f: Pick<SecurityFinding, 'ruleId' | 'why' | 'params'>): string {
  const ruleId = f.ruleId.endsWith(UNKNOWN_SUFFIX) ? f.ruleId.slice(0, -UNKNOWN_SUFFIX.length) : f.ruleId;
  return translated(`security.rule.${ruleId}.why`, f.why, f.params);
}

/** The lecture's references ("libvirt: protect the host") read in the reader's language; OWASP ids stay as they are. */
export function findingReference(f: Pick<SecurityFinding, 'reference'>): string {
  return translated(`security.ref.${f.reference}`, f.reference, {});
}

export function fixActionLabel(a: NonNullable<SecurityFinding['fixAction']>): string {
  return translated(`security.fixAction.${a.kind}`, a.label, {});
}

export function severityLabel(s: FindingSeverity): string {
  return t(`security.severity.${s}`);
}

export function kindLabel(k: FindingTargetKind): string {
  return t(`security.kind.${k}`);
}

/** Tailwind classes of a severity chip. */
export const SEVERITY_CLASS: Record<FindingSeverity, string> = {
  critical: 'bg-red-600 text-white dark:bg-red-500',
  high: 'bg-orange-100 text-orange-800 dark:bg-orange-500/15 dark:text-orange-300',
  medium: 'bg-amber-100 text-amber-800 dark:bg-amber-500/15 dark:text-amber-300',
  low: 'bg-sky-100 text-sky-800 dark:bg-sky-500/15 dark:text-sky-300',
  info: 'bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300',
};

export const SCORE_CLASS = {
  green: 'text-emerald-700 dark:text-emerald-400',
  amber: 'text-amber-700 dark:text-amber-400',
  red: 'text-red-700 dark:text-red-400',
} as const;
