/**
 * Raw-body uploads (Dockerfiles, build contexts, image archives): `api.ts` only speaks JSON, and
 * archives can be hundreds of MiB, so this uses XMLHttpRequest for its upload progress events.
 * Errors come back as the same `ApiError` the rest of the UI shows.
 */
import type { ErrorResponse } from '@mirador/contract';
import { api, ApiError, buildQuery, type Query } from '$lib/api';
import { t } from '$lib/i18n/index.svelte';

export interface UploadOptions {
  query?: Query;
  contentType: string;
  /** 0..1 of the body sent so far. */
  onprogress?: (fraction: number) => void;
  signal?: AbortSignal;
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export function upload<T>(path: string, body: Blob, opts: UploadOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api${path}${buildQuery(opts.query)}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', opts.contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onprogress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      const data = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data as T);
        return;
      }
      const body = data as Partial<ErrorResponse> | undefined;
      const err = new ApiError(
        typeof body?.message === 'string'
          ? ({ ...body, statusCode: body.statusCode ?? xhr.status } as ErrorResponse)
          : { statusCode: xhr.status, error: xhr.statusText || 'Error', message: t('errors.http', { status: xhr.status }) },
      );
      // An expired session: a JSON probe lets the shared wrapper run its "sign in again" handler.
      if (xhr.status === 401) void api.get('/auth/me').catch(() => {});
      reject(err);
    };
    xhr.onerror = () => reject(new ApiError({ statusCode: 0, error: 'Network Error', message: t('errors.network'), code: 'network' }));
    xhr.onabort = () => reject(new DOMException('Upload aborted', 'AbortError'));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
