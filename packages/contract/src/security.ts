import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * The security advisor: rules that run against live data (Docker engines and containers, libvirt
 * hosts and their VMs) and say what they found, why it matters, and how to fix it.
 */

export const FindingSeverity = Type.Union([
  Type.Literal('critical'),
  Type.Literal('high'),
  Type.Literal('medium'),
  Type.Literal('low'),
  Type.Literal('info'),
]);
export type FindingSeverity = Static<typeof FindingSeverity>;
export const FINDING_SEVERITIES: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** What a finding is about. `id` is the name for containers/images/VMs (stable across recreate), the host id for hosts/engines. */
export const FindingTargetKind = Type.Union([
  Type.Literal('host'),
  Type.Literal('vm'),
  Type.Literal('engine'),
  Type.Literal('container'),
  Type.Literal('image'),
]);
export type FindingTargetKind = Static<typeof FindingTargetKind>;

export const FindingTarget = Type.Object({ kind: FindingTargetKind, id: Type.String(), name: Type.String() });
export type FindingTarget = Static<typeof FindingTarget>;

/** A fix Mirador can apply itself (a button); the server re-checks the finding before it acts. */
export const FindingFixAction = Type.Object({
  /** e.g. `container.recreate-hardened`, `container.set-limits`. */
  kind: Type.String(),
  /** What the button does, in words (English fallback; the UI translates by `kind`). */
  label: Type.String(),
  /** The CLI line(s) that do the same thing. */
  command: Type.String(),
});
export type FindingFixAction = Static<typeof FindingFixAction>;

export const FindingAck = Type.Object({
  by: Type.String(),
  at: Timestamp,
  reason: Type.String(),
});
export type FindingAck = Static<typeof FindingAck>;

export const SecurityFinding = Type.Object({
  /** Stable id: the same rule on the same target keeps it (acknowledgements are kept by it). URL-safe. */
  id: Type.String({ pattern: '^[a-f0-9]{16,64}$' }),
  /** e.g. `docker.container.privileged`, `libvirt.vnc-listen`. Also the i18n key of title/why/fix. */
  ruleId: Type.String(),
  /** Where the rule comes from, e.g. `OWASP Docker D3`, `libvirt: sVirt`. */
  reference: Type.String(),
  severity: FindingSeverity,
  hostId: Type.String(),
  hostName: Type.String(),
  target: FindingTarget,
  /** One line (English fallback; the UI translates `ruleId` + `params`). */
  title: Type.String(),
  /** The exact evidence: the setting, value, file line or command output that triggered the rule. */
  evidence: Type.String(),
  /** Why it matters, one sentence citing the rule. */
  why: Type.String(),
  /** How to fix it: the command or the setting. */
  fix: Type.String(),
  /** Values the translations interpolate (e.g. `{ capability: 'SYS_ADMIN' }`). */
  params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
  fixAction: Type.Union([FindingFixAction, Type.Null()]),
  acknowledged: Type.Union([FindingAck, Type.Null()]),
  detectedAt: Timestamp,
});
export type SecurityFinding = Static<typeof SecurityFinding>;

export const SeverityCounts = Type.Object({
  critical: Type.Integer(),
  high: Type.Integer(),
  medium: Type.Integer(),
  low: Type.Integer(),
  info: Type.Integer(),
});
export type SeverityCounts = Static<typeof SeverityCounts>;

/** 100 = nothing open; acknowledged findings do not count against it. */
export const SecurityScore = Type.Object({
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  open: SeverityCounts,
  acknowledged: Type.Integer(),
});
export type SecurityScore = Static<typeof SecurityScore>;

export const HostSecurityScore = Type.Object({
  hostId: Type.String(),
  hostName: Type.String(),
  ...SecurityScore.properties,
  /** When this host's rules last ran, and why they could not run now (host offline, engine down…), if so. */
  checkedAt: Type.Union([Timestamp, Type.Null()]),
  stale: Type.Union([Type.String(), Type.Null()]),
});
export type HostSecurityScore = Static<typeof HostSecurityScore>;

export const SecurityRuleInfo = Type.Object({
  ruleId: Type.String(),
  reference: Type.String(),
  severity: FindingSeverity,
  title: Type.String(),
  appliesTo: FindingTargetKind,
});
export type SecurityRuleInfo = Static<typeof SecurityRuleInfo>;

export const SecurityFindingsQuery = Type.Object({
  hostId: Type.Optional(Type.String({ maxLength: 64 })),
  targetKind: Type.Optional(FindingTargetKind),
  targetId: Type.Optional(Type.String({ maxLength: 256 })),
  severity: Type.Optional(FindingSeverity),
  /** Acknowledged findings are listed too unless this is false. */
  includeAcknowledged: Type.Optional(Type.Boolean()),
});
export type SecurityFindingsQuery = Static<typeof SecurityFindingsQuery>;

export const SecurityFindingList = Type.Object({
  items: Type.Array(SecurityFinding),
  fleet: SecurityScore,
  hosts: Type.Array(HostSecurityScore),
  rules: Type.Array(SecurityRuleInfo),
  computedAt: Type.Union([Timestamp, Type.Null()]),
});
export type SecurityFindingList = Static<typeof SecurityFindingList>;

export const FindingParams = Type.Object({ id: Type.String({ pattern: '^[a-f0-9]{16,64}$' }) });
export type FindingParams = Static<typeof FindingParams>;

export const AcknowledgeFindingBody = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 500, pattern: '^[^\\x00-\\x08\\x0b-\\x1f]+$' }),
});
export type AcknowledgeFindingBody = Static<typeof AcknowledgeFindingBody>;

export const SecurityExportQuery = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('csv')]),
  hostId: Type.Optional(Type.String({ maxLength: 64 })),
});
export type SecurityExportQuery = Static<typeof SecurityExportQuery>;
