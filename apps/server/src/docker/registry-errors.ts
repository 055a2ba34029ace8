import type { RegistryAuth } from './registries.service.js';

const AUTH_REFUSED =
  /no basic auth credentials|unauthorized|authentication required|denied: requested access|pull access denied|access to the resource is denied/i;

/**
 * The engine's words for a registry refusal ("no basic auth credentials", "unauthorized:
 * authentication required") name neither the registry nor where the credentials came from.
 */
export function explainRegistryFailure(err: unknown, registry: string, auth: RegistryAuth | undefined): unknown {
  const said = err instanceof Error ? err.message : String(err);
  if (!AUTH_REFUSED.test(said)) return err;
  return new Error(
    auth
      ? `${registry} refused the credentials stored in Mirador (registry user "${auth.username}"); the registry said: ${said}`
      : `No credentials are stored in Mirador for ${registry} (add them under Registries); the registry said: ${said}`,
  );
}
