import { HttpError } from '../lib/http-errors.js';
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
  // An HttpError for its code (the UI says it in the user's language); 502: the registry, not the request, refused.
  return auth
    ? new HttpError(
        502,
        `${registry} refused the credentials stored in Mirador (registry user "${auth.username}"); the registry said: ${said}`,
        {
          code: 'registry.credentialsRefused',
          params: { registry, user: auth.username, detail: said },
        },
      )
    : new HttpError(502, `No credentials are stored in Mirador for ${registry} (add them under Registries); the registry said: ${said}`, {
        code: 'registry.noCredentials',
        params: { registry, detail: said },
      });
}
