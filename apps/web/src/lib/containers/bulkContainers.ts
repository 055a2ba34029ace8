/**
 * The containers list's row menu and bulk actions: which selected containers an action applies to
 * (with the docker command each runs), and the per-container request it sends — the same endpoints
 * as the row's own action, so each target is authorised and audited on its own.
 */
import type { ContainerSummary } from '@mirador/contract';
import { dockerCommands } from '@mirador/docker';
import { api } from '$lib/api';
import { planBulk, type BulkPlan } from '$lib/components/bulk';
import type { RowMenuItem } from '$lib/components/RowMenu.svelte';
import { t } from '$lib/i18n/index.svelte';
import {
  containerHref,
  containerKey,
  OP_ICONS,
  opAllowed,
  opLabel,
  removeNeedsForce,
  stateLabel,
  type ContainerOp,
  type ContainerOpRequest,
} from './containers';

export type BulkContainerOp = 'start' | 'stop' | 'remove';

/** Why `op` does not apply to a container in its state, or null when it does. */
export function containerRefusal(op: BulkContainerOp, c: Pick<ContainerSummary, 'state'>): string | null {
  if (op === 'remove')
    return removeNeedsForce(c.state)
      ? t('fleet.skip.stopFirst', { state: stateLabel(c.state) })
      : opAllowed('remove', c.state)
        ? null
        : t('fleet.skip.state', { state: stateLabel(c.state) });
  return opAllowed(op, c.state) ? null : t('fleet.skip.state', { state: stateLabel(c.state) });
}

export function bulkContainerPlan(op: BulkContainerOp, items: readonly ContainerSummary[]): BulkPlan<ContainerSummary> {
  return planBulk(items, {
    key: containerKey,
    label: (c) => `${c.name} (${c.hostName})`,
    refusal: (c) => containerRefusal(op, c),
    command: (c) => (op === 'remove' ? dockerCommands.rm(c.name) : dockerCommands.action(op, c.name)),
  });
}

export async function runContainerOp(op: BulkContainerOp, c: Pick<ContainerSummary, 'hostId' | 'name'>): Promise<void> {
  const path = { hostId: c.hostId, id: c.name };
  if (op === 'remove') await api.DELETE('/api/hosts/{hostId}/containers/{id}', { params: { path, query: {} } });
  else await api.POST('/api/hosts/{hostId}/containers/{id}/{action}', { params: { path: { ...path, action: op } }, body: {} });
}

/** A row's menu: the operations its state allows (each opens the confirm dialog), then its terminal. */
export function containerMenu(
  c: Pick<ContainerSummary, 'hostId' | 'id' | 'name' | 'state'>,
  opts: { ops: readonly ContainerOp[]; exec: boolean; onrequest: (r: ContainerOpRequest) => void },
): RowMenuItem[] {
  const items: RowMenuItem[] = opts.ops
    .filter((op) => opAllowed(op, c.state))
    .map((op) => ({
      id: op,
      label: opLabel(op),
      icon: OP_ICONS[op],
      tone: op === 'start' || op === 'unpause' ? ('go' as const) : op === 'remove' || op === 'kill' ? ('danger' as const) : undefined,
      onselect: () => opts.onrequest({ container: c, op }),
    }));
  if (opts.exec && c.state === 'running')
    items.push({ id: 'terminal', label: t('containers.tab.terminal'), icon: 'terminal', href: containerHref(c, 'terminal') });
  items.push({ id: 'logs', label: t('containers.tab.logs'), icon: 'book', href: containerHref(c, 'logs') });
  return items;
}
