import { vmActionAllowed, type VmAction, type VmState } from '@mirador/contract';

const HINT: Record<VmAction, string> = {
  start: 'it is already running (or paused: resume it instead)',
  shutdown: 'only a running VM can be shut down',
  reboot: 'only a running VM can be rebooted',
  destroy: 'it is not running',
  suspend: 'only a running VM can be suspended',
  resume: 'only a paused VM can be resumed',
};

/** null when allowed; otherwise a sentence for the 409 answer. */
export function refusal(action: VmAction, name: string, state: VmState): string | null {
  if (vmActionAllowed(action, state)) return null;
  return `Cannot ${action} "${name}": it is ${state}; ${HINT[action]}`;
}
