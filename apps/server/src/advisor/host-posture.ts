import { randomBytes } from 'node:crypto';
import { parseLibvirtUri } from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { POSTURE_SCRIPT } from './host-posture-script.js';
import { parsePosture, type HostPosture } from './host-posture-parse.js';

export type { HostPosture } from './host-posture-parse.js';

/**
 * The whole probe: `apt list --upgradable` alone takes 5–10 s on a busy host (skipped with `updates: false`);
 * everything else is bounded at 10 s per command and takes a few seconds in all.
 */
export const POSTURE_TIMEOUT_MS = 90_000;
/** Per stream; the script caps each section, so only a host with hundreds of domains comes near it. */
export const POSTURE_MAX_OUTPUT = 4 * 1024 * 1024;

export class PostureProbeError extends Error {}

/**
 * Reads a host's security posture in one round trip over its runner (the pooled, pinned SSH
 * connection, or local processes for the "local" host, the way every driver does). Only QEMU
 * endpoints Mirador builds (`qemu:///system`, `qemu:///session`) are handed to the probe's virsh;
 * other hosts are read without their domains. Transport failures (host offline, key refused)
 * propagate as the runner's `SshError`; a probe that ran but said nothing usable is a PostureProbeError.
 */
export async function readHostPosture(
  runner: CommandRunner,
  libvirtUri: string | null,
  opts: { updates?: boolean; now?: () => number } = {},
): Promise<{ posture: HostPosture; elapsedMs: number }> {
  const now = opts.now ?? Date.now;
  const endpoint = libvirtUri === null ? null : parseLibvirtUri(libvirtUri);
  const uri = endpoint?.driver === 'qemu' ? libvirtUri! : '';
  const marker = randomBytes(8).toString('hex');
  const started = now();
  const res = await runner.exec(['sh', '-c', POSTURE_SCRIPT, 'mirador-posture', marker, uri, opts.updates === false ? '0' : '1'], {
    timeoutMs: POSTURE_TIMEOUT_MS,
    maxOutputBytes: POSTURE_MAX_OUTPUT,
  });
  const elapsedMs = now() - started;
  if (res.code === 127) throw new PostureProbeError('The host has no POSIX sh to run the security probe');
  const posture = parsePosture(res.stdout, marker, now() / 1000);
  if (posture.uid === null) {
    const why = res.timedOut
      ? `it did not finish within ${POSTURE_TIMEOUT_MS / 1000} s`
      : res.stderr.trim().split('\n')[0] || `exit ${res.code}`;
    throw new PostureProbeError(`The security probe printed nothing usable (${why})`);
  }
  return { posture, elapsedMs };
}
