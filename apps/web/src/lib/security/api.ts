/**
 * The advisor's endpoints, through the typed client (paths and answers from the server's OpenAPI
 * document), named for what the UI does with them.
 */
import type { SecurityFindingsQuery } from '@mirador/contract';
import { api, apiHref } from '$lib/api';

export const securityApi = {
  findings: (query: SecurityFindingsQuery = {}, signal?: AbortSignal) => api.GET('/api/security/findings', { params: { query }, signal }),
  acknowledge: (id: string, reason: string) =>
    api.POST('/api/security/findings/{id}/acknowledge', { params: { path: { id } }, body: { reason } }),
  unacknowledge: (id: string) => api.DELETE('/api/security/findings/{id}/acknowledge', { params: { path: { id } } }),
  fix: (id: string) => api.POST('/api/security/findings/{id}/fix', { params: { path: { id } } }),
  /** A download link (the browser saves the file; the session cookie goes along). */
  exportHref: (format: 'json' | 'csv', hostId?: string) => apiHref('/api/security/findings/export', undefined, { format, hostId }),
};
