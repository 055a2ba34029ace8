import type { FindingFixAction, FindingSeverity, FindingTarget } from '@mirador/contract';

/**
 * What a rule returns: a finding before the advisor gives it its id, host name, acknowledgement and
 * detection time. Docker rules (engine/container/image) and libvirt/host rules (host/VM) both return
 * these, so the advisor can merge, score and export them the same way.
 */
export interface FindingDraft {
  ruleId: string;
  reference: string;
  severity: FindingSeverity;
  target: FindingTarget;
  title: string;
  evidence: string;
  why: string;
  fix: string;
  params: Record<string, string | number>;
  fixAction: FindingFixAction | null;
}

/** The result of checking one host's rules of one family: the drafts, or why they could not run. */
export interface RuleRun {
  findings: FindingDraft[];
  checkedAt: Date;
  /** Non-null when the rules could not run now (host offline, engine down…); findings are then the last known. */
  stale: string | null;
}
