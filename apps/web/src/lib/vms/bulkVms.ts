/**
 * The VM list's row menu and bulk actions: which selected VMs an action applies to (with the virsh
 * command each runs, from the server's own `/commands`), and the per-VM request it sends — the same
 * endpoints as the row's own action, so each target is authorised and audited on its own.
 * Bulk delete never takes storage and never forces: a running VM is skipped, its disks stay.
 */
import type { VmAction, VmSummary } from '@mirador/contract';
import { api } from '$lib/api';
import { mapLimit, planBulk, type BulkPlan } from '$lib/components/bulk';
import type { RowMenuItem } from '$lib/components/RowMenu.svelte';
import { t } from '$lib/i18n/index.svelte';
import {
  ACTION_ICONS,
  actionLabel,
  allowedActions,
  loadCommands,
  stateLabel,
  TOOLBAR_ORDER,
  vmHref,
  vmKey,
  type ActionRequest,
} from './vms';

export type BulkVmOp = 'start' | 'shutdown' | 'delete';

export function vmRefusal(op: BulkVmOp, vm: Pick<VmSummary, 'state'>): string | null {
  if (op === 'delete')
    return vm.state === 'shut off' || vm.state === 'crashed' ? null : t('fleet.skip.shutDownFirst', { state: stateLabel(vm.state) });
  return allowedActions(vm.state).includes(op) ? null : t('fleet.skip.state', { state: stateLabel(vm.state) });
}

/** Loads the command line of each target (a few at a time; cached per VM for the page visit). */
export async function bulkVmPlan(op: BulkVmOp, items: readonly VmSummary[]): Promise<BulkPlan<VmSummary>> {
  const plan = planBulk(items, {
    key: vmKey,
    label: (vm) => `${vm.name} (${vm.hostName})`,
    refusal: (vm) => vmRefusal(op, vm),
    command: () => '',
  });
  const lines = await mapLimit(plan.targets, 6, (tg) =>
    loadCommands(tg.item.hostId, tg.item.name)
      .then((c) => c[op] ?? '')
      .catch(() => ''),
  );
  plan.targets.forEach((tg, i) => (tg.command = lines[i] || `virsh ${op === 'delete' ? 'undefine' : op} ${tg.item.name}`));
  return plan;
}

export async function runVmOp(op: BulkVmOp, vm: Pick<VmSummary, 'hostId' | 'name'>): Promise<void> {
  const path = { hostId: vm.hostId, name: vm.name };
  if (op === 'delete') await api.DELETE('/api/hosts/{hostId}/vms/{name}', { params: { path, query: {} } });
  else await api.POST('/api/hosts/{hostId}/vms/{name}/{action}', { params: { path: { ...path, action: op } } });
}

/** A row's menu: the lifecycle actions its state allows (each opens the confirm dialog), then its console. */
export function vmMenu(
  vm: Pick<VmSummary, 'hostId' | 'name' | 'state' | 'hasSerialConsole'>,
  opts: { operate: boolean; onrequest: (r: ActionRequest) => void },
): RowMenuItem[] {
  const allowed = opts.operate ? allowedActions(vm.state) : [];
  const items: RowMenuItem[] = TOOLBAR_ORDER.filter((a: VmAction) => allowed.includes(a)).map((action) => ({
    id: action,
    label: actionLabel(action),
    icon: ACTION_ICONS[action],
    tone: action === 'start' || action === 'resume' ? ('go' as const) : action === 'destroy' ? ('danger' as const) : undefined,
    onselect: () => opts.onrequest({ vm, action }),
  }));
  if (vm.hasSerialConsole) items.push({ id: 'console', label: t('vms.tab.console'), icon: 'terminal', href: vmHref(vm, 'console') });
  items.push({ id: 'open', label: t('fleet.openDetails'), icon: 'info', href: vmHref(vm) });
  return items;
}
