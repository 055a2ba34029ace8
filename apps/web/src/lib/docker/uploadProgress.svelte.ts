/**
 * One cancellable upload of a dialog (build context, image archive) with its progress, for the
 * bar under the form. Archives can be large, so the dialog offers to cancel while it runs.
 */
import { errorMessage } from '$lib/api';
import { t } from '$lib/i18n/index.svelte';
import { upload, type UploadOptions } from './upload';

export class UploadProgress {
  /** 0..1 of the body sent while an upload runs; null otherwise. */
  sent = $state<number | null>(null);
  #controller: AbortController | null = null;

  /** `href`: the request's URL (`apiHref`); `T`: the route's answer (`ApiData<'post', path>`). */
  async upload<T>(href: string, body: Blob, opts: Omit<UploadOptions, 'onprogress' | 'signal'>): Promise<T> {
    this.sent = 0;
    this.#controller = new AbortController();
    try {
      return await upload<T>(href, body, { ...opts, onprogress: (f) => (this.sent = f), signal: this.#controller.signal });
    } finally {
      this.sent = null;
      this.#controller = null;
    }
  }

  cancel(): void {
    this.#controller?.abort();
  }
}

/** The form's message for a failed upload: a cancel by the user is not an error of the server. */
export function uploadErrorMessage(err: unknown): string {
  return err instanceof DOMException && err.name === 'AbortError' ? t('docker.upload.cancelled') : errorMessage(err);
}
