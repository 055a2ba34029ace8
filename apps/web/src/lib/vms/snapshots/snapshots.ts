import type { ApiData } from '$lib/api';

export type SnapshotList = ApiData<'get', '/api/hosts/{hostId}/vms/{name}/snapshots'>;
export type Snapshot = SnapshotList['items'][number];

/** Same rule as the server's (packages/libvirt snapshot-argv.ts); the server checks again. */
export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** Every snapshot below `name` (its children, theirs, …): what "delete with children" takes along. */
export function descendantsOf(items: readonly Snapshot[], name: string): string[] {
  const byName = new Map(items.map((s) => [s.name, s]));
  const out: string[] = [];
  const walk = (n: string) => {
    for (const c of byName.get(n)?.children ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(name);
  return out;
}
