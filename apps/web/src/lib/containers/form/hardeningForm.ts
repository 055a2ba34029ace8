/**
 * The "Security & limits" part of the run form: confinement (seccomp, AppArmor, SELinux, user
 * namespace), limits (processes, ulimits, CPUs, block I/O) and the healthcheck, as the user edits
 * them, turned into the create body's fields (only what differs from the engine's defaults) and
 * back from a container's saved settings. The server validates everything again and names the field.
 */
import type { CreateContainerBody, SeccompMode } from '@mirador/contract';
import { t } from '$lib/i18n/index.svelte';

export type ApparmorMode = 'default' | 'profile' | 'unconfined';
export type SelinuxMode = 'default' | 'label' | 'disable';
export type HealthMode = 'image' | 'custom' | 'none';

export interface HardeningForm {
  seccomp: SeccompMode;
  /** JSON text (pasted or read from a file in the browser). */
  seccompProfile: string;
  apparmor: ApparmorMode;
  apparmorProfile: string;
  selinux: SelinuxMode;
  selinuxType: string;
  selinuxLevel: string;
  userns: 'default' | 'host';
  pidsLimit: string;
  /** `nofile=1024:2048, nproc=256` */
  ulimits: string;
  cpusetCpus: string;
  blkioWeight: string;
  health: HealthMode;
  healthCmd: string;
  healthInterval: string;
  healthTimeout: string;
  healthStartPeriod: string;
  healthRetries: string;
}

export function emptyHardening(): HardeningForm {
  return {
    seccomp: 'default',
    seccompProfile: '',
    apparmor: 'default',
    apparmorProfile: '',
    selinux: 'default',
    selinuxType: '',
    selinuxLevel: '',
    userns: 'default',
    pidsLimit: '',
    ulimits: '',
    cpusetCpus: '',
    blkioWeight: '',
    health: 'image',
    healthCmd: '',
    healthInterval: '',
    healthTimeout: '',
    healthStartPeriod: '',
    healthRetries: '',
  };
}

/** Writable places a read-only container usually needs, offered as tmpfs mounts. */
export const READ_ONLY_TMPFS_SUGGESTIONS = ['/tmp', '/run'] as const;

/** How many settings of a group differ from the defaults (shown on the collapsed group). */
export function changedCount(h: HardeningForm, group: 'confinement' | 'limits' | 'health'): number {
  const set = (v: string) => (v.trim() ? 1 : 0);
  switch (group) {
    case 'confinement':
      return [h.seccomp !== 'default', h.apparmor !== 'default', h.selinux !== 'default', h.userns !== 'default'].filter(Boolean).length;
    case 'limits':
      return set(h.pidsLimit) + set(h.ulimits) + set(h.cpusetCpus) + set(h.blkioWeight);
    case 'health':
      return h.health === 'image' ? 0 : 1;
  }
}

function wholeNumber(text: string, min: number, max: number): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** Adds the hardening fields of `h` to `body`; client-side problems go to `errors` under their slot. */
export function applyHardening(h: HardeningForm, body: CreateContainerBody, errors: Record<string, string>): void {
  if (h.seccomp === 'unconfined') body.seccomp = 'unconfined';
  if (h.seccomp === 'custom') {
    body.seccomp = 'custom';
    if (!h.seccompProfile.trim()) errors.seccompProfile = t('hardening.seccompProfileRequired');
    else {
      try {
        JSON.parse(h.seccompProfile);
        body.seccompProfile = h.seccompProfile;
      } catch {
        errors.seccompProfile = t('hardening.seccompProfileNotJson');
      }
    }
  }
  if (h.apparmor === 'unconfined') body.apparmor = 'unconfined';
  if (h.apparmor === 'profile') {
    const name = h.apparmorProfile.trim();
    if (!name) errors.apparmor = t('validation.required');
    // "unconfined" is a choice of its own (it switches confinement off), not a profile name.
    else if (name === 'unconfined') errors.apparmor = t('hardening.apparmorUnconfinedIsAChoice');
    else body.apparmor = name;
  }
  if (h.selinux === 'disable') body.selinux = { disable: true };
  if (h.selinux === 'label') {
    const type = h.selinuxType.trim();
    const level = h.selinuxLevel.trim();
    if (!type && !level) errors.selinux = t('hardening.selinuxLabelRequired');
    else body.selinux = { ...(type ? { type } : {}), ...(level ? { level } : {}) };
  }
  if (h.userns === 'host') body.userns = 'host';

  if (h.pidsLimit.trim()) {
    const n = wholeNumber(h.pidsLimit, 1, 4194304);
    if (n === null) errors.pidsLimit = t('hardening.pidsLimitInvalid');
    else body.pidsLimit = n;
  }
  const ulimits = h.ulimits
    .split(/[\s,;]+/)
    .map((u) => u.trim())
    .filter(Boolean);
  if (ulimits.length) body.ulimits = ulimits;
  if (h.cpusetCpus.trim()) body.cpusetCpus = h.cpusetCpus.trim();
  if (h.blkioWeight.trim()) {
    const n = wholeNumber(h.blkioWeight, 10, 1000);
    if (n === null) errors.blkioWeight = t('hardening.blkioWeightInvalid');
    else body.blkioWeight = n;
  }

  if (h.health === 'none') body.noHealthcheck = true;
  if (h.health === 'custom') {
    const hc: NonNullable<CreateContainerBody['healthcheck']> = {};
    if (h.healthCmd.trim()) hc.cmd = h.healthCmd.trim();
    if (h.healthInterval.trim()) hc.interval = h.healthInterval.trim();
    if (h.healthTimeout.trim()) hc.timeout = h.healthTimeout.trim();
    if (h.healthStartPeriod.trim()) hc.startPeriod = h.healthStartPeriod.trim();
    if (h.healthRetries.trim()) {
      const n = wholeNumber(h.healthRetries, 0, 1000);
      if (n === null) errors['healthcheck.retries'] = t('hardening.healthRetriesInvalid');
      else hc.retries = n;
    }
    if (Object.keys(hc).length === 0) errors['healthcheck.cmd'] = t('hardening.healthCmdRequired');
    else body.healthcheck = hc;
  }
}

/** The form's values for a container's saved settings (recreate / run again). */
export function hardeningFromSettings(s: CreateContainerBody): HardeningForm {
  const h = emptyHardening();
  if (s.seccomp === 'unconfined' || s.seccomp === 'custom') h.seccomp = s.seccomp;
  if (s.seccompProfile) {
    try {
      h.seccompProfile = JSON.stringify(JSON.parse(s.seccompProfile) as unknown, null, 2);
    } catch {
      h.seccompProfile = s.seccompProfile;
    }
  }
  if (s.apparmor === 'unconfined') h.apparmor = 'unconfined';
  else if (s.apparmor !== undefined) {
    h.apparmor = 'profile';
    h.apparmorProfile = s.apparmor;
  }
  if (s.selinux?.disable) h.selinux = 'disable';
  else if (s.selinux?.type || s.selinux?.level) {
    h.selinux = 'label';
    h.selinuxType = s.selinux.type ?? '';
    h.selinuxLevel = s.selinux.level ?? '';
  }
  if (s.userns === 'host') h.userns = 'host';
  if (s.pidsLimit !== undefined) h.pidsLimit = String(s.pidsLimit);
  h.ulimits = (s.ulimits ?? []).join(', ');
  h.cpusetCpus = s.cpusetCpus ?? '';
  if (s.blkioWeight !== undefined) h.blkioWeight = String(s.blkioWeight);
  if (s.noHealthcheck) h.health = 'none';
  else if (s.healthcheck) {
    h.health = 'custom';
    h.healthCmd = s.healthcheck.cmd ?? '';
    h.healthInterval = s.healthcheck.interval ?? '';
    h.healthTimeout = s.healthcheck.timeout ?? '';
    h.healthStartPeriod = s.healthcheck.startPeriod ?? '';
    h.healthRetries = s.healthcheck.retries !== undefined ? String(s.healthcheck.retries) : '';
  }
  return h;
}

/** Server fields of this part → the form's error slots (`selinux.type` → `selinux`, `ulimits[2]` → `ulimits`). */
export function hardeningSlot(field: string): string | null {
  const top = field.split(/[.[]/)[0]!;
  if (top === 'healthcheck') {
    const sub = /^healthcheck\.(cmd|interval|timeout|startPeriod|retries)/.exec(field)?.[1];
    return sub ? `healthcheck.${sub}` : 'healthcheck.cmd';
  }
  if (top === 'noHealthcheck') return 'healthcheck.cmd';
  const known = ['seccomp', 'seccompProfile', 'apparmor', 'selinux', 'userns', 'pidsLimit', 'ulimits', 'cpusetCpus', 'blkioWeight'];
  return known.includes(top) ? top : null;
}
