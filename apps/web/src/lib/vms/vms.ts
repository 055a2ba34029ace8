/**
 * VM helpers shared by the list, the detail page and the create form.
 * Types come from @mirador/contract; only `loadCommands` talks to the API.
 */
import type { VmAction, VmCommands, VmState, VmSummary } from '@mirador/contract';
import { VM_ACTIONS, vmActionAllowed } from '@mirador/contract';
import { api } from '$lib/api';
import type { Tone } from '$lib/components/StatusBadge.svelte';
import type { IconName } from '$lib/components/Icon.svelte';
import { t, type MessageKey } from '$lib/i18n/index.svelte';

/** What an action button asks the confirm dialog to do. */
export interface ActionRequest {
  vm: Pick<VmSummary, 'hostId' | 'name' | 'state'>;
  action: VmAction;
}

export const VM_STATES: readonly VmState[] = ['running', 'paused', 'shut off', 'crashed', 'pmsuspended', 'in shutdown', 'unknown'];

export function allowedActions(state: VmState): VmAction[] {
  return VM_ACTIONS.filter((a) => vmActionAllowed(a, state));
}

export function vmKey(vm: Pick<VmSummary, 'hostId' | 'name'>): string {
  return `${vm.hostId}/${vm.name}`;
}

export function vmHref(vm: Pick<VmSummary, 'hostId' | 'name'>, tab?: string): string {
  const base = `/vms/${encodeURIComponent(vm.hostId)}/${encodeURIComponent(vm.name)}`;
  return tab ? `${base}?tab=${tab}` : base;
}

/** Insert or replace a VM in a list (order is left to the views). */
export function upsertVm<T extends VmSummary>(list: T[], vm: T): T[] {
  const key = vmKey(vm);
  const i = list.findIndex((x) => vmKey(x) === key);
  if (i === -1) return [...list, vm];
  const copy = [...list];
  copy[i] = vm;
  return copy;
}

const STATE_KEYS: Record<VmState, MessageKey> = {
  running: 'vms.state.running',
  paused: 'vms.state.paused',
  'shut off': 'vms.state.shutOff',
  crashed: 'vms.state.crashed',
  pmsuspended: 'vms.state.pmsuspended',
  'in shutdown': 'vms.state.inShutdown',
  unknown: 'vms.state.unknown',
};

const STATE_TONES: Record<VmState, Tone> = {
  running: 'green',
  paused: 'amber',
  'shut off': 'gray',
  crashed: 'red',
  pmsuspended: 'amber',
  'in shutdown': 'blue',
  unknown: 'gray',
};

export function stateLabel(state: VmState): string {
  return t(STATE_KEYS[state] ?? 'vms.state.unknown');
}

export function stateTone(state: VmState): Tone {
  return STATE_TONES[state] ?? 'gray';
}

export const ACTION_ICONS: Record<VmAction, IconName> = {
  start: 'play',
  shutdown: 'power',
  reboot: 'refresh',
  destroy: 'zap',
  suspend: 'pause',
  resume: 'play',
};

export function actionLabel(action: VmAction): string {
  return t(`vms.action.${action}` as const);
}

/** Order and grouping for toolbars: the everyday actions first, the brutal one last. */
export const TOOLBAR_ORDER: readonly VmAction[] = ['start', 'resume', 'shutdown', 'reboot', 'suspend', 'destroy'];

/** A VM's IP addresses (from DHCP leases), or its networks when no address is known. */
export function networkSummary(vm: Pick<VmSummary, 'nics'>): { ips: string[]; networks: string[] } {
  const ips = vm.nics.map((n) => n.ip).filter((x): x is string => !!x);
  const networks = [...new Set(vm.nics.map((n) => n.source ?? n.type))];
  return { ips, networks };
}

/** `/commands` answers are small and stable per VM: fetched once per page visit. */
const commandCache = new Map<string, Promise<VmCommands>>();

export function loadCommands(hostId: string, name: string): Promise<VmCommands> {
  const key = `${hostId}/${name}`;
  let p = commandCache.get(key);
  if (!p) {
    p = api.GET('/api/hosts/{hostId}/vms/{name}/commands', { params: { path: { hostId, name } } });
    commandCache.set(key, p);
    p.catch(() => commandCache.delete(key));
  }
  return p;
}

export function forgetCommands(hostId: string, name: string) {
  commandCache.delete(`${hostId}/${name}`);
}
