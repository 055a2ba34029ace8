/**
 * A pull or push the registry refused for credentials (the server's registry.credentialsRefused /
 * registry.noCredentials): the fix is in the registry settings, so the error links there.
 */
const CODES = new Set(['registry.credentialsRefused', 'registry.noCredentials']);
const TEXT = /refused the credentials stored in Mirador|No credentials are stored in Mirador/;

export function isRegistryRefusal(task: { error: string | null; errorCode?: string }): boolean {
  return !!task.error && ((task.errorCode !== undefined && CODES.has(task.errorCode)) || TEXT.test(task.error));
}

export const REGISTRY_SETTINGS_HREF = '/settings/registries';
