/**
 * The untyped transport under the typed client (client.ts): errors, the 401 hand-over, query strings.
 * Pages use `api` from client.ts; `request` stays for the few calls that are not JSON in and out.
 *
 * Thin fetch wrapper for the Mirador REST API: JSON in and out, same-origin credentials,
 * non-2xx answers thrown as `ApiError` carrying the server's `ErrorResponse`.
 * A 401 on an authenticated call hands over to the registered handler (which redirects to /login).
 */
import type { ErrorResponse } from '@mirador/contract';
import { t } from '$lib/i18n/index.svelte';

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorResponse;

  constructor(body: ErrorResponse) {
    super(body.message);
    this.name = 'ApiError';
    this.status = body.statusCode;
    this.body = body;
  }

  get code(): string | undefined {
    return this.body.code;
  }

  get field(): string | undefined {
    return this.body.field;
  }
}

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

export function buildQuery(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Don't treat 401 as "session expired" (login, setup and the initial /me probe). */
  allowUnauthorized?: boolean;
  /** The `fetch` to use (SvelteKit's, inside load functions). */
  fetch?: typeof fetch;
}

let unauthorizedHandler: (() => void) | null = null;

/** Registered once by the root layout. */
export function onUnauthorized(handler: () => void) {
  unauthorizedHandler = handler;
}

/** Hands a 401 on an authenticated call to the registered handler (which redirects to /login). */
export function notifyUnauthorized(): void {
  unauthorizedHandler?.();
}

/** The error a call that never got an answer throws (aborts are rethrown as they are). */
export function networkError(err: unknown): unknown {
  if (err instanceof DOMException && err.name === 'AbortError') return err;
  return new ApiError({ statusCode: 0, error: 'Network Error', message: t('errors.network'), code: 'network' });
}

/** The ApiError for a non-2xx answer, from the server's ErrorResponse body when it sent one. */
export function httpError(res: Response, data: unknown): ApiError {
  return new ApiError(
    isErrorResponse(data)
      ? { ...data, statusCode: data.statusCode ?? res.status }
      : { statusCode: res.status, error: res.statusText || 'Error', message: t('errors.http', { status: res.status }) },
  );
}

function isErrorResponse(v: unknown): v is ErrorResponse {
  return typeof v === 'object' && v !== null && typeof (v as ErrorResponse).message === 'string';
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(`/api${path}${buildQuery(opts.query)}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    throw networkError(err);
  }

  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.allowUnauthorized) notifyUnauthorized();
    throw httpError(res, data);
  }
  return data as T;
}

/** The hand-typed calls pages used before the typed client; goes away once none is left (issue 9). */
export const untypedApi = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

/** The message to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Build an `/api/...` URL (for download links). */
export function apiUrl(path: string, query?: Query): string {
  return `/api${path}${buildQuery(query)}`;
}

/** The form field an ApiError points at (`field` may come as "name", "/name" or "body.name"). */
export function errorField(err: unknown): string | null {
  if (!(err instanceof ApiError) || !err.field) return null;
  return (
    err.field
      .replace(/^\/?(body[./])?/, '')
      .replace(/^\//, '')
      .split(/[./]/)[0] || null
  );
}
