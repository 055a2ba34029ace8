import type { FindingTarget } from '@mirador/contract';
import type { FindingDraft } from './finding-draft.js';
import { draft } from './docker-rule-catalog.js';
import { releaseAge } from './docker-releases.js';
import { beyondLoopback } from './listen-address.js';

/** What the engine rules read: parts of `docker info` and of the default bridge's inspect. */
export interface EngineFacts {
  /** `docker info` (`GET /info`). */
  info: {
    ServerVersion?: string;
    SecurityOptions?: string[] | null;
    Warnings?: string[] | null;
    Debug?: boolean;
  };
  /** The default bridge network (`bridge`), if the engine has one. */
  defaultBridge: { Name?: string; Options?: Record<string, string> | null } | null;
}

/** Rules about the engine itself (OWASP Docker D0, D1, D2, D5, D10). Pure: same facts, same drafts. */
export function engineRules(target: FindingTarget, facts: EngineFacts, now: Date): FindingDraft[] {
  const out: FindingDraft[] = [];
  const { info } = facts;

  const version = info.ServerVersion ?? '';
  const age = version ? releaseAge(version, now) : null;
  if (age?.supersededBy) {
    const years = (age.daysSuperseded / 365).toFixed(1);
    out.push(
      draft('docker.engine.version-age', target, {
        severity: age.daysSuperseded > 365 ? 'high' : age.daysSuperseded > 90 ? 'medium' : 'low',
        evidence:
          `ServerVersion = ${version} (the ${age.line} line${age.released ? `, released ${age.released}` : ''}); ` +
          `Docker ${age.supersededBy.line} replaced it on ${age.supersededBy.released}, ${age.daysSuperseded} days (${years} years) ago`,
        why: 'OWASP Docker D0: keep Docker up to date — upstream patches only the newest release line, so older engines miss fixes for known container escapes (a distribution package may backport some).',
        fix: 'Upgrade Docker Engine to the current release (e.g. from download.docker.com: apt-get install docker-ce), then restart the daemon.',
        params: { version, line: age.line, supersededBy: age.supersededBy.line, days: age.daysSuperseded },
      }),
    );
  }

  // The engine warns in `docker info` when its API is reachable over plain TCP (dockerd -H tcp://… without --tls*).
  const plain = (info.Warnings ?? []).filter((w) => /API is accessible on http:\/\//i.test(w));
  if (plain.length) {
    const where = plain.map((w) => /http:\/\/(\S+?)(?:\s|$)/i.exec(w)?.[1] ?? '').filter(Boolean);
    out.push(dockerApiOnTcp(target, `docker info Warnings: ${plain.join(' | ')}`, where));
  }

  const options = info.SecurityOptions ?? [];
  const hasOption = (name: string) => options.some((o) => o.split(',').includes(`name=${name}`));
  if (!hasOption('userns') && !hasOption('rootless')) {
    out.push(
      draft('docker.engine.userns-remap-off', target, {
        evidence: `docker info SecurityOptions = [${options.join('; ')}] (no name=userns, no name=rootless)`,
        why: 'OWASP Docker D2: without user namespace remapping, root in a container is root on the host once it escapes.',
        fix: 'Set "userns-remap": "default" in /etc/docker/daemon.json and restart dockerd (existing containers and images must be recreated), or run Docker rootless.',
      }),
    );
  }

  const bridgeOptions = facts.defaultBridge?.Options ?? null;
  const icc = bridgeOptions?.['com.docker.network.bridge.enable_icc'];
  if (facts.defaultBridge && icc !== 'false') {
    out.push(
      draft('docker.engine.icc', target, {
        evidence: `network ${facts.defaultBridge.Name ?? 'bridge'} Options["com.docker.network.bridge.enable_icc"] = ${icc ?? '(unset: on)'}`,
        why: 'OWASP Docker D5: with inter-container communication on, any container on the default bridge can reach every other one’s ports.',
        fix: 'Set "icc": false in /etc/docker/daemon.json and restart dockerd; put containers that must talk on a user-defined network.',
        params: { network: facts.defaultBridge.Name ?? 'bridge' },
      }),
    );
  }

  if (info.Debug === true) {
    out.push(
      draft('docker.engine.debug', target, {
        evidence: 'docker info Debug = true',
        why: 'OWASP Docker D10: keep the daemon log level at info — debug logs are noisy and may record request details.',
        fix: 'Set "debug": false (and "log-level": "info") in /etc/docker/daemon.json and restart dockerd.',
      }),
    );
  }
  return out;
}

/**
 * The finding "the Docker API listens on TCP without TLS" (OWASP D1) for these listeners: critical when
 * one is reachable beyond loopback, high when only local users (and host-network containers) reach it.
 * Also used for what the host probe saw of the same dockerd (finding-overlaps.ts).
 */
export function dockerApiOnTcp(target: FindingTarget, evidence: string, listens: string[]): FindingDraft {
  return draft('docker.engine.tcp-without-tls', target, {
    severity: listens.length === 0 || beyondLoopback(listens) ? 'critical' : 'high',
    evidence,
    why: 'OWASP Docker D1: never expose the Docker daemon — anyone who reaches an unauthenticated API port controls the engine and so the host.',
    fix: 'Remove the tcp:// entry from "hosts" in /etc/docker/daemon.json (or -H in the unit), or require TLS: "tlsverify": true with "tlscacert", "tlscert", "tlskey" and listen on 2376.',
    params: { listen: listens.join(', ') },
  });
}
