import { errorMessage } from '$lib/api';

export type ToastKind = 'error' | 'success' | 'info';
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  push(kind: ToastKind, message: string, timeoutMs = kind === 'error' ? 8000 : 4000) {
    const id = this.#next++;
    this.items.push({ id, kind, message });
    if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
    return id;
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }

  success(message: string) {
    return this.push('success', message);
  }

  info(message: string) {
    return this.push('info', message);
  }

  /** Show the API's `message` (or any error's text). */
  error(err: unknown) {
    return this.push('error', errorMessage(err));
  }
}

export const toasts = new Toasts();
