import { randomBytes } from 'node:crypto';
import type { AttachNicBody, DetachNicQuery, SetNicLinkBody, VmDeviceChange, VmNicList } from '@mirador/contract';
import {
  XML_FROM_STDIN,
  attachDeviceArgv,
  buildNicDeviceXml,
  commandLineOf,
  detachInterfaceArgv,
  domifSetlinkArgv,
  generateMac,
  netListArgv,
  normalizeMac,
  parseNameList,
  assertNetworkName,
  assertInterfaceName,
  type DeviceNic,
} from '@mirador/libvirt';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { readHostInterfaces } from '../virt-networks/host-interfaces.js';
import { runVirsh, runVirshWithXml } from '../vms/virsh.js';
import type { VmTarget } from '../vms/vms.service.js';
import { readDeviceState, resolveScope, scopeOfExisting, type DeviceState } from './device-state.js';
import { explainHotplugError } from './hotplug-errors.js';
import type { DevicePlan } from './disk-devices.js';

function mergedNics(state: DeviceState): Array<DeviceNic & { live: boolean; config: boolean }> {
  const live = state.live?.nics ?? [];
  const config = state.config?.nics ?? [];
  const out = live.map((n) => ({ ...n, live: true, config: config.some((c) => c.mac === n.mac) }));
  for (const c of config) if (!live.some((n) => n.mac === c.mac)) out.push({ ...c, live: false, config: true });
  return out;
}

export async function listNics(t: VmTarget): Promise<VmNicList> {
  const state = await readDeviceState(t, await t.runner());
  return {
    nics: mergedNics(state).map(({ config, ...n }) => ({ ...n, persistent: config })),
    state: t.vm.state,
    persistent: t.vm.persistent,
  };
}

export async function planAttachNic(t: VmTarget, body: AttachNicBody): Promise<DevicePlan> {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const scope = resolveScope(body, state, t.vm.name);
  // Names first (400 naming the field), then whether they exist on this host.
  if (body.kind === 'network') {
    assertNetworkName(body.source, 'source');
    const nets = parseNameList(await runVirsh(runner, netListArgv(t.uri)));
    if (!nets.includes(body.source))
      throw badRequest(`There is no libvirt network "${body.source}" on ${t.hostName} (it has ${nets.join(', ') || 'none'})`, 'source');
  } else {
    assertInterfaceName(body.source, 'source');
    const bridges = (await readHostInterfaces(runner)).filter((i) => i.isBridge).map((i) => i.name);
    if (!bridges.includes(body.source))
      throw badRequest(`"${body.source}" is not a bridge on ${t.hostName} (bridges there: ${bridges.join(', ') || 'none'})`, 'source');
  }
  // Unique on the host: every VM's NICs as the inventory knows them, plus this VM's definition.
  const taken = new Map<string, string>();
  for (const vm of t.all()) for (const n of vm.nics) if (n.mac) taken.set(n.mac.toLowerCase(), vm.name);
  for (const n of mergedNics(state)) if (n.mac) taken.set(n.mac, t.vm.name);
  let mac: string;
  if (body.mac !== undefined) {
    mac = normalizeMac(body.mac, 'mac');
    const owner = taken.get(mac);
    if (owner) throw conflict(`MAC ${mac} is already used by "${owner}" on ${t.hostName}; two NICs with one MAC break the network`, 'mac');
  } else mac = generateMac(new Set(taken.keys()), (n) => randomBytes(n));

  const xml = buildNicDeviceXml({ kind: body.kind, source: body.source, model: body.model ?? 'virtio', mac });
  const argv = attachDeviceArgv(t.uri, t.vm.name, XML_FROM_STDIN, scope);
  const plan = { commands: [`${commandLineOf(argv)} < nic.xml`], xml, device: mac, warnings: [] as string[] };
  return {
    ...plan,
    run: async () => {
      await runVirshWithXml(runner, (file) => attachDeviceArgv(t.uri, t.vm.name, file, scope), xml).catch((err: unknown) => {
        throw explainHotplugError(err, t.vm.name);
      });
      await t.refresh().catch(() => null);
      return plan;
    },
  };
}

async function findNic(t: VmTarget, mac: string) {
  const runner = await t.runner();
  const state = await readDeviceState(t, runner);
  const wanted = normalizeMac(mac, 'mac');
  const nic = mergedNics(state).find((n) => n.mac === wanted);
  if (!nic) throw notFound(`NIC ${wanted} of "${t.vm.name}"`);
  return { runner, nic, mac: wanted };
}

export async function detachNic(t: VmTarget, macParam: string, q: DetachNicQuery): Promise<VmDeviceChange> {
  const { runner, nic, mac } = await findNic(t, macParam);
  const scope = scopeOfExisting(q, nic, `NIC ${mac}`);
  const argv = detachInterfaceArgv(t.uri, t.vm.name, nic.type, mac, scope);
  await runVirsh(runner, argv).catch((err: unknown) => {
    throw explainHotplugError(err, t.vm.name);
  });
  await t.refresh().catch(() => null);
  return { commands: [commandLineOf(argv)], device: mac, warnings: [] };
}

/** The running VM and the definition are set separately: `domif-setlink` changes one or the other. */
export async function setNicLink(t: VmTarget, macParam: string, body: SetNicLinkBody): Promise<VmDeviceChange> {
  const { runner, nic, mac } = await findNic(t, macParam);
  const scope = scopeOfExisting(body, nic, `NIC ${mac}`);
  const commands: string[] = [];
  const steps = [...(scope.live ? [{ config: false }] : []), ...(scope.config ? [{ config: true }] : [])];
  for (const step of steps) {
    const argv = domifSetlinkArgv(t.uri, t.vm.name, mac, body.link, step);
    commands.push(commandLineOf(argv));
    await runVirsh(runner, argv);
  }
  await t.refresh().catch(() => null);
  return { commands, device: mac, warnings: [] };
}
