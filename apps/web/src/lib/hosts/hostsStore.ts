import type { Host } from '@mirador/contract';

/** Insert or replace a host in a list (keeps order; new hosts go last, the list is sorted in views). */
export function upsertHost<T extends Pick<Host, 'id'>>(list: T[], host: T): T[] {
  const i = list.findIndex((h) => h.id === host.id);
  if (i === -1) return [...list, host];
  const copy = [...list];
  copy[i] = host;
  return copy;
}

export function hostTarget(h: Pick<Host, 'username' | 'address' | 'port' | 'kind'>): string {
  if (h.kind === 'local') return 'local';
  const addr = h.address.includes(':') ? `[${h.address}]` : h.address;
  return `${h.username}@${addr}${h.port === 22 ? '' : `:${h.port}`}`;
}
