import { hideBuildStepValues, hideEnvValues, hideHistoryValues } from '@mirador/docker';
import { redactText } from '../audit/redact.js';

/*
 * An image repeats its Dockerfile: `Config.Env` holds every ENV value, and the build history (and
 * `ContainerConfig.Cmd`, the last build step) holds ENV and ARG values and the build arguments each
 * RUN step saw. Viewers see the names, not the values, unless the engine's policy lets them read
 * environment values (as for containers). Values that look like credentials are hidden from
 * everyone: the history is a record of the build, not a place to read its secrets back.
 */

/** One `docker history` line as the reader may see it (redacted first, so a hidden value reads `[hidden]`). */
export function historyLineFor(createdBy: string, hideValues: boolean): string {
  const redacted = redactText(createdBy);
  return hideValues ? hideHistoryValues(redacted) : redacted;
}

type Settings = { Env?: string[] | null; Cmd?: string[] | null } & Record<string, unknown>;

function settingsFor(c: Settings | null | undefined, hideValues: boolean, buildStep: boolean): Settings | null | undefined {
  if (!c || typeof c !== 'object') return c;
  const out = { ...c };
  if (hideValues && Array.isArray(c.Env)) out.Env = hideEnvValues(c.Env);
  if (buildStep && Array.isArray(c.Cmd)) {
    const redacted = c.Cmd.map(redactText);
    out.Cmd = hideValues ? hideBuildStepValues(redacted) : redacted;
  }
  return out;
}

/** `docker image inspect` with `Config.Env` and `ContainerConfig` (Env and the build step) as the reader may see them. */
export function inspectFor<T extends { Config?: unknown; ContainerConfig?: unknown }>(info: T, hideValues: boolean): T {
  return {
    ...info,
    Config: settingsFor(info.Config as Settings, hideValues, false),
    ...('ContainerConfig' in info ? { ContainerConfig: settingsFor(info.ContainerConfig as Settings, hideValues, true) } : {}),
  };
}
