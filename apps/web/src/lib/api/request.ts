/**
 * What every request of the UI shares, whether it goes through the typed client (client.ts) or not
 * (uploads with progress use XMLHttpRequest): non-2xx answers as `ApiError` carrying the server's
 * `ErrorResponse`, the 401 hand-over to the login redirect, and query strings.
 */
import type { ErrorResponse } from '@mirador/contract';
import { t } from '$lib/i18n/index.svelte';
import { translateServerMessage } from '$lib/i18n/serverMessage';

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorResponse;

  /** `message` is in the user's language (from `body.code`); `body.message` keeps the server's English. */
  constructor(body: ErrorResponse) {
    super(translateServerMessage(body) || body.message);
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

/** The message to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
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
