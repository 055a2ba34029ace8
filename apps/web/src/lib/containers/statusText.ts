import { i18n, t } from '$lib/i18n/index.svelte';
import { containerStatusText, type StatusFacts, type StatusWords } from './status';

/** The status words in the current language (`t()` reads the locale, so callers re-render on a switch). */
function words(): StatusWords {
  const lang = i18n.locale === 'es' ? 'es-ES' : 'en-GB';
  return {
    up: (duration) => t('containers.status.up', { duration }),
    exited: (code, ago) => t('containers.status.exited', { code, ago }),
    restarting: (code, ago) => t('containers.status.restarting', { code, ago }),
    paused: t('containers.status.paused'),
    created: t('containers.status.created'),
    dead: t('containers.status.dead'),
    removing: t('containers.status.removing'),
    health: {
      healthy: t('containers.status.healthy'),
      unhealthy: t('containers.status.unhealthy'),
      starting: t('containers.status.healthStarting'),
    },
    lessThanSecond: t('containers.status.lessThanSecond'),
    aboutMinute: t('containers.status.aboutMinute'),
    aboutHour: t('containers.status.aboutHour'),
    count: (n, unit) => new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(n),
  };
}

/** A container's status as of `now` (pass `clock.now` so it stays true as time passes). */
export function statusText(c: StatusFacts, now: number): string {
  return containerStatusText(c, now, words());
}
