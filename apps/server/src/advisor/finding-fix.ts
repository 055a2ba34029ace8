import type { CreateContainerBody, SecurityFinding } from '@mirador/contract';
import { DEFAULT_CAPABILITIES, FIX_DEFAULTS } from './docker-container-rules.js';

/** The fix buttons Mirador can press itself: each recreates the container with one hardening added. */
export const FIX_KINDS = [
  'container.drop-privileged',
  'container.drop-added-caps',
  'container.no-new-privileges',
  'container.set-memory-limit',
  'container.set-cpu-limit',
  'container.set-pids-limit',
] as const;
export type FixKind = (typeof FIX_KINDS)[number];

export const isFixKind = (k: string): k is FixKind => (FIX_KINDS as readonly string[]).includes(k);

/**
 * The container's current settings with the finding's hardening applied: only what the finding is
 * about changes, so the recreated container is the same one, minus that weakness.
 */
export function hardenedBody(kind: FixKind, settings: CreateContainerBody): CreateContainerBody {
  const body: CreateContainerBody = { ...settings };
  switch (kind) {
    case 'container.drop-privileged':
      delete body.privileged;
      return body;
    case 'container.drop-added-caps': {
      const kept = (body.capAdd ?? []).filter((c) => DEFAULT_CAPABILITIES.has(c.toUpperCase().replace(/^CAP_/, '')));
      if (kept.length) body.capAdd = kept;
      else delete body.capAdd;
      return body;
    }
    case 'container.no-new-privileges':
      body.noNewPrivileges = true;
      return body;
    case 'container.set-memory-limit':
      body.memory = FIX_DEFAULTS.memory;
      return body;
    case 'container.set-cpu-limit':
      body.cpus = FIX_DEFAULTS.cpus;
      return body;
    case 'container.set-pids-limit':
      body.pidsLimit = FIX_DEFAULTS.pidsLimit;
      return body;
  }
}

/** What the task log and the audit say the fix did (no settings values: they may carry secrets). */
export function describeFix(f: SecurityFinding): string {
  return `${f.fixAction?.label ?? f.ruleId} (${f.ruleId} on ${f.hostName})`;
}
