/**
 * Raw-body uploads (Dockerfiles, build contexts, image archives): the API client only speaks JSON,
 * and archives can be hundreds of MiB, so this uses XMLHttpRequest for its upload progress events.
 * Errors come back as the same `ApiError` the rest of the UI shows, and a 401 hands over to the
 * login redirect like any other call.
 */
import type { ErrorResponse } from '@mirador/contract';
import { ApiError } from '$lib/api';
import { networkError, notifyUnauthorized } from '$lib/api/request';
import { t } from '$lib/i18n/index.svelte';

export interface UploadOptions {
  contentType: string;
  /** 0..1 of the body sent so far, and the bytes behind it. */
  onprogress?: (fraction: number, loaded: number, total: number) => void;
  signal?: AbortSignal;
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST `body` to `href` (built with `apiHref`, query included); `T` is the route's answer
 * (`ApiData<'post', path>`).
 */
export function upload<T>(href: string, body: Blob, opts: UploadOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', href);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', opts.contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onprogress?.(e.loaded / e.total, e.loaded, e.total);
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
      if (xhr.status === 401) notifyUnauthorized();
      reject(err);
    };
    xhr.onerror = () => reject(networkError(new Error('network')));
    xhr.onabort = () => reject(new DOMException('Upload aborted', 'AbortError'));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
