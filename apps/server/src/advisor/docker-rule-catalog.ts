import type { FindingFixAction, FindingTarget, SecurityRuleInfo } from '@mirador/contract';
import type { FindingDraft } from './finding-draft.js';

/**
 * The Docker rules, as the lecture lists them: the OWASP Docker Security Cheat Sheet's rules D0–D10
 * (D0 keep host and Docker up to date, D1 do not expose the socket, D2 set a user, D3 limit
 * capabilities, D4 no new privileges, D5 inter-container connectivity, D6 Linux security modules,
 * D7 limit resources, D8 read-only filesystems and volumes, D9 image hygiene/scanning, D10 logging),
 * plus CIS Docker 4.6 for healthchecks. One entry per rule: its id (also the UI's i18n key), where
 * it comes from, how bad it is, and what it is about.
 */
export const DOCKER_RULES = {
  'docker.engine.version-age': info('OWASP Docker D0', 'medium', 'engine', 'The Docker engine is an old release line'),
  'docker.engine.tcp-without-tls': info('OWASP Docker D1', 'critical', 'engine', 'The Docker API listens on TCP without TLS'),
  'docker.engine.icc': info('OWASP Docker D5', 'medium', 'engine', 'Containers on the default bridge can reach each other (ICC on)'),
  'docker.engine.userns-remap-off': info('OWASP Docker D2', 'low', 'engine', 'User namespace remapping is off'),
  'docker.engine.debug': info('OWASP Docker D10', 'low', 'engine', 'The engine runs in debug mode'),
  'docker.container.docker-socket': info('OWASP Docker D1', 'critical', 'container', 'The Docker socket is mounted into the container'),
  'docker.container.privileged': info('OWASP Docker D3', 'critical', 'container', 'The container runs privileged'),
  'docker.container.root-user': info('OWASP Docker D2', 'medium', 'container', 'The container runs as root'),
  'docker.container.cap-add': info('OWASP Docker D3', 'high', 'container', 'Capabilities added beyond the default set'),
  'docker.container.no-new-privileges': info('OWASP Docker D4', 'medium', 'container', 'no-new-privileges is not set'),
  'docker.container.seccomp-unconfined': info('OWASP Docker D6', 'high', 'container', 'seccomp is disabled (unconfined)'),
  'docker.container.apparmor-unconfined': info('OWASP Docker D6', 'high', 'container', 'AppArmor is disabled (unconfined)'),
  'docker.container.no-memory-limit': info('OWASP Docker D7', 'medium', 'container', 'No memory limit'),
  'docker.container.no-cpu-limit': info('OWASP Docker D7', 'low', 'container', 'No CPU limit'),
  'docker.container.no-pids-limit': info('OWASP Docker D7', 'medium', 'container', 'No process (pids) limit'),
  'docker.container.writable-rootfs': info('OWASP Docker D8', 'low', 'container', 'The root filesystem is writable'),
  'docker.container.host-network': info('OWASP Docker D5', 'high', 'container', "The container shares the host's network namespace"),
  'docker.container.host-pid': info('OWASP Docker D3', 'high', 'container', "The container shares the host's process namespace"),
  'docker.container.host-ipc': info('OWASP Docker D3', 'medium', 'container', "The container shares the host's IPC namespace"),
  'docker.container.sensitive-mount': info('OWASP Docker D8', 'high', 'container', 'A sensitive host path is bind-mounted'),
  'docker.image.latest-tag': info('OWASP Docker D9', 'low', 'image', 'Containers use an image by its `latest` tag'),
  'docker.image.no-healthcheck': info('CIS Docker 4.6', 'low', 'image', 'The image defines no healthcheck'),
} as const satisfies Record<string, Omit<SecurityRuleInfo, 'ruleId'>>;

export type DockerRuleId = keyof typeof DOCKER_RULES;

function info(reference: string, severity: SecurityRuleInfo['severity'], appliesTo: SecurityRuleInfo['appliesTo'], title: string) {
  return { reference, severity, appliesTo, title };
}

/** The catalog as the API lists it. */
export function dockerRuleInfos(): SecurityRuleInfo[] {
  return Object.entries(DOCKER_RULES).map(([ruleId, r]) => ({ ruleId, ...r }));
}

/** A draft of rule `ruleId`: reference, title and (unless overridden) severity come from the catalog. */
export function draft(
  ruleId: DockerRuleId,
  target: FindingTarget,
  d: {
    evidence: string;
    why: string;
    fix: string;
    params?: Record<string, string | number>;
    fixAction?: FindingFixAction | null;
    severity?: SecurityRuleInfo['severity'];
  },
): FindingDraft {
  const rule = DOCKER_RULES[ruleId];
  return {
    ruleId,
    reference: rule.reference,
    severity: d.severity ?? rule.severity,
    target,
    title: rule.title,
    evidence: d.evidence,
    why: d.why,
    fix: d.fix,
    params: d.params ?? {},
    fixAction: d.fixAction ?? null,
  };
}
