/**
 * The libvirt networks list's row menu and bulk start / stop / delete: which selected networks an
 * action applies to (with the virsh lines each runs, as the server renders them for that network),
 * and the per-network request it sends — the same endpoints as the row's own action, so each target
 * is authorised and audited on its own. Bulk never confirms running VMs: a network they use is
 * refused by the server and says which VMs; stopping it from its row asks about them by name.
 */
import type { VirtNetwork } from '@mirador/contract';
import { api } from '$lib/api';
import { planBulk, type BulkPlan } from '$lib/components/bulk';
import type { RowMenuItem } from '$lib/components/RowMenu.svelte';
import { t } from '$lib/i18n/index.svelte';

export type BulkNetOp = 'start' | 'stop' | 'delete';
type Net = Pick<VirtNetwork, 'name' | 'active' | 'cli'>;

export const netOpLabel = (op: BulkNetOp): string => t(`libvirtNetworks.${op}`);
export const NET_OP_ICONS = { start: 'play', stop: 'stop', delete: 'trash' } as const;

const stateText = (n: Pick<VirtNetwork, 'active'>) => t(n.active ? 'libvirtNetworks.active' : 'libvirtNetworks.inactive');

export function netRefusal(op: BulkNetOp, n: Pick<VirtNetwork, 'active'>): string | null {
  if ((op === 'start' && n.active) || (op === 'stop' && !n.active)) return t('fleet.skip.state', { state: stateText(n) });
  return null;
}

export function bulkNetPlan<N extends Net>(op: BulkNetOp, items: readonly N[]): BulkPlan<N> {
  return planBulk(items, {
    key: (n) => n.name,
    label: (n) => n.name,
    refusal: (n) => netRefusal(op, n),
    command: (n) => (op === 'delete' ? n.cli.delete.join('\n') : n.cli[op]),
  });
}

export async function runNetOp(op: BulkNetOp, hostId: string, n: Pick<VirtNetwork, 'name'>): Promise<string[]> {
  const path = { hostId, name: n.name };
  const res =
    op === 'start'
      ? await api.POST('/api/hosts/{hostId}/libvirt-networks/{name}/start', { params: { path } })
      : op === 'stop'
        ? await api.POST('/api/hosts/{hostId}/libvirt-networks/{name}/stop', { params: { path, query: {} } })
        : await api.DELETE('/api/hosts/{hostId}/libvirt-networks/{name}', { params: { path, query: {} } });
  return res.commands;
}

/** A row's menu: its DHCP leases (active networks), then start or stop and delete for operators. */
export function netMenu(
  n: Pick<VirtNetwork, 'active'>,
  opts: { operate: boolean; busy: boolean; onleases: () => void; onstart: () => void; onask: (action: 'stop' | 'delete') => void },
): RowMenuItem[] {
  const items: RowMenuItem[] = [];
  if (n.active) items.push({ id: 'leases', label: t('libvirtNetworks.leases'), icon: 'globe', onselect: opts.onleases });
  if (opts.operate && !opts.busy) {
    if (n.active) items.push({ id: 'stop', label: netOpLabel('stop'), icon: 'stop', onselect: () => opts.onask('stop') });
    else items.push({ id: 'start', label: netOpLabel('start'), icon: 'play', tone: 'go', onselect: opts.onstart });
    items.push({ id: 'delete', label: netOpLabel('delete'), icon: 'trash', tone: 'danger', onselect: () => opts.onask('delete') });
  }
  return items;
}
