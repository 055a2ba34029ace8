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
  /** Bytes sent and the whole, for the speed and time-left line of large files (disk images). */
  loaded = $state(0);
  total = $state(0);
  #started = 0;
  #now = $state(0);
  #controller: AbortController | null = null;

  /** Bytes per second since the start; null until a second's worth of progress is known. */
  get rate(): number | null {
    const seconds = (this.#now - this.#started) / 1000;
    return seconds >= 1 && this.loaded > 0 ? this.loaded / seconds : null;
  }

  /** Seconds left at the current rate. */
  get eta(): number | null {
    const rate = this.rate;
    return rate ? Math.max(0, (this.total - this.loaded) / rate) : null;
  }

  /** `href`: the request's URL (`apiHref`); `T`: the route's answer (`ApiData<'post', path>`). */
  async upload<T>(href: string, body: Blob, opts: Omit<UploadOptions, 'onprogress' | 'signal'>): Promise<T> {
    this.sent = 0;
    this.loaded = 0;
    this.total = body.size;
    this.#started = this.#now = Date.now();
    this.#controller = new AbortController();
    const onprogress = (f: number, loaded: number, total: number) => {
      this.sent = f;
      this.loaded = loaded;
      this.total = total;
      this.#now = Date.now();
    };
    try {
      return await upload<T>(href, body, { ...opts, onprogress, signal: this.#controller.signal });
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
