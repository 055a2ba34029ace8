import type { VmState } from '@mirador/contract';
import { dumpxmlArgv, parseDomainDevices, type DomainDevices } from '@mirador/libvirt';
import type { CommandRunner } from '@mirador/ssh';
import { badRequest } from '../lib/http-errors.js';
import type { VmTarget } from '../vms/vms.service.js';
import { runVirsh } from '../vms/virsh.js';

/** States in which QEMU runs, so there is a live side to change. */
const LIVE_STATES: readonly VmState[] = ['running', 'paused', 'in shutdown', 'pmsuspended'];

/**
 * The VM's devices as they are now (live XML, when it runs) and as they will be at the next boot
 * (the persistent definition). A device may be in one and not the other: attached live only, or
 * to the definition only.
 */
export interface DeviceState {
  running: boolean;
  persistent: boolean;
  live: DomainDevices | null;
  config: DomainDevices | null;
  machine: string | null;
}

export async function readDeviceState(t: VmTarget, runner: CommandRunner): Promise<DeviceState> {
  const running = LIVE_STATES.includes(t.vm.state);
  const persistent = t.vm.persistent;
  const [liveXml, configXml] = await Promise.all([
    running ? runVirsh(runner, dumpxmlArgv(t.uri, t.vm.name)) : Promise.resolve(null),
    persistent ? runVirsh(runner, dumpxmlArgv(t.uri, t.vm.name, { inactive: true })) : Promise.resolve(null),
  ]);
  const live = liveXml === null ? null : parseDomainDevices(liveXml);
  const config = configXml === null ? null : parseDomainDevices(configXml);
  return { running, persistent, live, config, machine: live?.machine ?? config?.machine ?? null };
}

export interface Scope {
  live: boolean;
  config: boolean;
}

/**
 * What a change applies to: as asked, or by default everything that exists (the running VM when
 * it runs, the definition when it has one). Asking for a side that does not exist is a 400.
 */
export function resolveScope(asked: { live?: boolean; persistent?: boolean }, state: DeviceState, name: string): Scope {
  const live = asked.live ?? state.running;
  const config = asked.persistent ?? state.persistent;
  if (live && !state.running) throw badRequest(`"${name}" is not running: there is no live VM to change; choose persistent only`, 'live');
  if (config && !state.persistent)
    throw badRequest(`"${name}" is a transient VM (no persistent definition); the change can only be live`, 'persistent');
  if (!live && !config) throw badRequest('Choose live, persistent, or both', 'live');
  return { live, config };
}

/**
 * For a device that exists already: by default the sides it is on. Asking for a side it is not on
 * is a 400 that says where it is.
 */
export function scopeOfExisting(
  asked: { live?: boolean; persistent?: boolean },
  where: { live: boolean; config: boolean },
  what: string,
): Scope {
  const live = asked.live ?? where.live;
  const config = asked.persistent ?? where.config;
  if (live && !where.live) throw badRequest(`${what} is not in the running VM (only in its persistent definition)`, 'live');
  if (config && !where.config) throw badRequest(`${what} is not in the persistent definition (only in the running VM)`, 'persistent');
  if (!live && !config) throw badRequest('Choose live, persistent, or both', 'live');
  return { live, config };
}
