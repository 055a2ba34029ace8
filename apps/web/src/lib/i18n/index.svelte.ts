/**
 * The one i18n mechanism of the UI. Dictionaries are flat `key → string` maps;
 * `es` is typed against `en`, so a missing or extra key fails `svelte-check`.
 * `t()` reads the rune-backed locale, so every template that calls it re-renders on a switch.
 */
import { browser } from '$app/environment';
import { en, type MessageKey, type Messages } from './en';
import { es } from './es';

export type { MessageKey } from './en';

export const LOCALES = { en: 'English', es: 'Español' } as const;
export type Locale = keyof typeof LOCALES;

const dictionaries: Record<Locale, Messages> = { en, es };
const STORAGE_KEY = 'mirador.locale';

function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && Object.hasOwn(LOCALES, v);
}

function detect(): Locale {
  if (!browser) return 'en';
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    /* storage disabled */
  }
  for (const lang of navigator.languages ?? [navigator.language]) {
    const base = lang.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}

class I18n {
  locale = $state<Locale>(detect());

  constructor() {
    if (browser) document.documentElement.lang = this.locale;
  }

  set(locale: Locale) {
    this.locale = locale;
    if (!browser) return;
    document.documentElement.lang = locale;
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      /* storage disabled */
    }
  }
}

export const i18n = new I18n();

export type Params = Record<string, string | number>;

/** Translate `key`, replacing `{name}` placeholders with `params.name`. */
export function t(key: MessageKey, params?: Params): string {
  const template = dictionaries[i18n.locale][key] ?? en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** Keys that come in plural forms: `base.one` / `base.other` (and, where a language wants it, `base.zero`). */
export type PluralKey = { [K in MessageKey]: K extends `${infer Base}.other` ? Base : never }[MessageKey];

const pluralRules = new Map<Locale, Intl.PluralRules>();
function pluralCategory(locale: Locale, count: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(count);
}

/**
 * Translate a count: picks `base.zero` for 0 when the dictionary has it, else the form the locale's
 * plural rules ask for (`one`, `other`…), falling back to `other`. `{count}` is filled in (formatted
 * for the locale) along with `params`.
 */
export function tn(base: PluralKey, count: number, params?: Params): string {
  const category = pluralCategory(i18n.locale, count);
  const candidates = [...(count === 0 ? [`${base}.zero`] : []), `${base}.${category}`, `${base}.other`];
  const key = candidates.find((k) => hasKey(k) && dictionaries[i18n.locale][k] !== '') ?? `${base}.other`;
  return tDyn(key, key, { count: count.toLocaleString(i18n.locale), ...params });
}

/** True when `key` exists (for dynamic keys such as `hostStatus.${status}`). */
export function hasKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** Translate a dynamic key, falling back to `fallback` (or the key) when the dictionary lacks it. */
export function tDyn(key: string, fallback?: string, params?: Params): string {
  return hasKey(key) ? t(key, params) : (fallback ?? key);
}
