import type {
  CreateLibvirtNetworkBody,
  DhcpLeaseList,
  HostInterfaceList,
  VirtNetwork,
  VirtNetworkActionResult,
  VirtNetworkDetail,
  VirtNetworkList,
  VirtNetworkPreview,
  VmSummary,
} from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import {
  NETWORK_NAME_PATTERN,
  XML_FROM_STDIN,
  buildNetworkXml,
  commandLineOf,
  formatSubnet,
  netAutostartArgv,
  netDefineArgv,
  netDestroyArgv,
  netDhcpLeasesArgv,
  netDumpxmlArgv,
  netDumpxmlInactiveArgv,
  netListAllArgv,
  netStartArgv,
  netUndefineArgv,
  parseDhcpLeases,
  parseIpv4,
  parseNameList,
  parseNetworkDetail,
  subnetOf,
  subnetsOverlap,
  validateNetworkSpec,
  withCLocale,
  type Ipv4Subnet,
  type NetworkDetail,
  type NetworkSpec,
} from '@mirador/libvirt';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { VirshError, runVirsh, runVirshWithXml, virshBatch } from '../vms/virsh.js';
import { ipAddrCommand, readHostInterfaces } from './host-interfaces.js';
import { checkEditedXml } from './xml-edit.js';

/** What the service needs from the rest of the server, and nothing more. */
export interface VirtNetworksDeps {
  /** The host's libvirt URI (one Mirador built); throws 404/400 for an unknown host or one without libvirt. */
  libvirtUri(hostId: string): Promise<string>;
  runner(hostId: string): Promise<CommandRunner>;
  /** The host's VMs from the live inventory (no virsh per call). */
  vmsOnHost(hostId: string): Promise<VmSummary[]>;
}

/** A VM counts as holding a network while it has a live NIC on it. */
const isUp = (state: string) => state !== 'shut off' && state !== 'crashed';

function attachedVms(net: NetworkDetail, vms: VmSummary[]) {
  return vms.flatMap((vm) =>
    vm.nics
      // Guests join by network name, or straight onto a libvirt-made bridge (virbrN); a host bridge is not the network's.
      .filter(
        (n) =>
          (n.type === 'network' && n.source === net.name) ||
          (n.type === 'bridge' && net.forwardMode !== 'bridge' && net.bridge !== null && n.source === net.bridge),
      )
      .slice(0, 1)
      .map((n) => ({ name: vm.name, state: vm.state, mac: n.mac })),
  );
}

function commandsFor(uri: string, name: string, active: boolean, persistent: boolean): VirtNetwork['cli'] {
  return {
    start: commandLineOf(netStartArgv(uri, name)),
    stop: commandLineOf(netDestroyArgv(uri, name)),
    autostartOn: commandLineOf(netAutostartArgv(uri, name, true)),
    autostartOff: commandLineOf(netAutostartArgv(uri, name, false)),
    delete: [
      ...(active || !persistent ? [commandLineOf(netDestroyArgv(uri, name))] : []),
      ...(persistent ? [commandLineOf(netUndefineArgv(uri, name))] : []),
    ],
    dumpxml: commandLineOf(netDumpxmlArgv(uri, name)),
    leases: commandLineOf(netDhcpLeasesArgv(uri, name)),
  };
}

/** The same set of names, ignoring order, blanks and duplicates. */
function sameNames(given: string | undefined, expected: string[]): boolean {
  const g = new Set(
    (given ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return g.size === expected.length && expected.every((n) => g.has(n));
}

export function createVirtNetworksService(deps: VirtNetworksDeps) {
  async function context(hostId: string) {
    const uri = await deps.libvirtUri(hostId);
    return { uri, runner: await deps.runner(hostId) };
  }

  /** Every network in three virsh round trips whatever their number. */
  async function readAll(hostId: string, uri: string, runner: CommandRunner) {
    const [all, active, autostart, persistent] = await virshBatch(runner, uri, [
      ['net-list', '--all', '--name'],
      ['net-list', '--name'],
      ['net-list', '--all', '--autostart', '--name'],
      ['net-list', '--all', '--persistent', '--name'],
    ]);
    // A network named outside Mirador's rules cannot be addressed safely: it is left out.
    const names = parseNameList(all!).filter((n) => NETWORK_NAME_PATTERN.test(n));
    const [xmls, vms] = await Promise.all([
      names.length
        ? virshBatch(
            runner,
            uri,
            names.map((n) => ['net-dumpxml', n]),
          )
        : Promise.resolve([]),
      deps.vmsOnHost(hostId),
    ]);
    const act = new Set(parseNameList(active!));
    const auto = new Set(parseNameList(autostart!));
    const pers = new Set(parseNameList(persistent!));
    return names.flatMap((name, i) => {
      let d: NetworkDetail;
      try {
        d = parseNetworkDetail(xmls[i] ?? '');
      } catch {
        return []; // undefined between the two round trips
      }
      const network: VirtNetwork = {
        hostId,
        name,
        uuid: d.uuid,
        active: act.has(name),
        autostart: auto.has(name),
        persistent: pers.has(name),
        forwardMode: d.forwardMode,
        bridge: d.bridge,
        ips: d.ips,
        vms: attachedVms(d, vms),
        cli: commandsFor(uri, name, act.has(name), pers.has(name)),
      };
      return [{ network, detail: d }];
    });
  }

  async function one(hostId: string, uri: string, runner: CommandRunner, name: string) {
    const found = (await readAll(hostId, uri, runner)).find((n) => n.network.name === name);
    if (!found) throw notFound(`Network "${name}"`);
    return found;
  }

  /** Stopping a network cuts its running guests off: only with their names confirmed, exactly. */
  function requireConfirmation(net: VirtNetwork, confirmVms: string | undefined, verb: string) {
    const running = net.vms.filter((v) => isUp(v.state)).map((v) => v.name);
    if (running.length === 0 || sameNames(confirmVms, running)) return;
    throw conflict(
      `Cannot ${verb} "${net.name}": running VMs are attached (${running.join(', ')}); they would lose their network. ` +
        `Confirm by naming exactly those VMs (confirmVms=${running.join(',')}).`,
      'confirmVms',
    );
  }

  /**
   * Everything about a create form that needs the host: the name is free, a host bridge exists, and
   * the subnet overlaps neither another libvirt network nor an address of the host itself.
   */
  async function checkAgainstHost(hostId: string, uri: string, runner: CommandRunner, spec: NetworkSpec, subnet: Ipv4Subnet | null) {
    const [nets, ifaces] = await Promise.all([readAll(hostId, uri, runner), readHostInterfaces(runner)]);
    if (nets.some((n) => n.network.name === spec.name))
      throw conflict(`A network named "${spec.name}" already exists on this host`, 'name');
    if (spec.kind === 'bridge') {
      const br = ifaces.find((i) => i.name === spec.hostBridge);
      if (!br) throw badRequest(`The host has no interface "${spec.hostBridge}"; pick one of its bridges`, 'hostBridge');
      if (!br.isBridge) throw badRequest(`"${spec.hostBridge}" is not a bridge (it is ${br.kind ?? 'a plain device'})`, 'hostBridge');
      const owner = nets.find((n) => n.network.bridge === spec.hostBridge && n.network.forwardMode !== 'bridge');
      if (owner) throw conflict(`"${spec.hostBridge}" belongs to the libvirt network "${owner.network.name}"`, 'hostBridge');
    }
    if (spec.bridgeName) {
      const owner = nets.find((n) => n.network.bridge === spec.bridgeName);
      if (owner) throw conflict(`The bridge "${spec.bridgeName}" is already used by the network "${owner.network.name}"`, 'bridgeName');
      if (ifaces.some((i) => i.name === spec.bridgeName))
        throw conflict(`The host already has an interface "${spec.bridgeName}"`, 'bridgeName');
    }
    if (!subnet) return;
    const mine = formatSubnet(subnet);
    for (const { network } of nets) {
      for (const ip of network.ips) {
        const a = ip.family === 'ipv4' ? parseIpv4(ip.address) : null;
        if (a === null || ip.prefix === null) continue;
        const other = subnetOf(a, ip.prefix);
        if (subnetsOverlap(subnet, other)) {
          throw conflict(`${mine} overlaps the libvirt network "${network.name}" (${formatSubnet(other)})`, 'ipv4.subnet');
        }
      }
    }
    for (const i of ifaces) {
      for (const addr of i.addresses) {
        const a = addr.family === 'ipv4' ? parseIpv4(addr.address) : null;
        if (a === null) continue;
        const other = subnetOf(a, addr.prefix);
        if (subnetsOverlap(subnet, other)) {
          throw conflict(`${mine} overlaps the host's interface ${i.name} (${addr.address}/${addr.prefix})`, 'ipv4.subnet');
        }
      }
    }
  }

  function specOf(body: CreateLibvirtNetworkBody): NetworkSpec {
    return { name: body.name, kind: body.kind, bridgeName: body.bridgeName, ipv4: body.ipv4, hostBridge: body.hostBridge };
  }

  function plan(uri: string, body: CreateLibvirtNetworkBody) {
    const argv = [netDefineArgv(uri, XML_FROM_STDIN)];
    if (body.start !== false) argv.push(netStartArgv(uri, body.name));
    if (body.autostart !== false) argv.push(netAutostartArgv(uri, body.name, true));
    return argv;
  }

  async function prepare(hostId: string, body: CreateLibvirtNetworkBody) {
    const spec = specOf(body);
    const subnet = validateNetworkSpec(spec);
    const { uri, runner } = await context(hostId);
    await checkAgainstHost(hostId, uri, runner, spec, subnet);
    return { uri, runner, xml: buildNetworkXml(spec) };
  }

  return {
    async list(hostId: string): Promise<VirtNetworkList> {
      const { uri, runner } = await context(hostId);
      const items = (await readAll(hostId, uri, runner)).map((n) => n.network);
      return { items, cli: { list: commandLineOf(netListAllArgv(uri)) } };
    },

    /** The network with its persistent XML (what an edit replaces), or the live XML of a transient one. */
    async detail(hostId: string, name: string): Promise<VirtNetworkDetail> {
      const { uri, runner } = await context(hostId);
      const { network } = await one(hostId, uri, runner, name);
      const xml = await runVirsh(runner, network.persistent ? netDumpxmlInactiveArgv(uri, name) : netDumpxmlArgv(uri, name));
      return { network, xml };
    },

    async preview(hostId: string, body: CreateLibvirtNetworkBody): Promise<VirtNetworkPreview> {
      const { uri, xml } = await prepare(hostId, body);
      return { xml, commands: plan(uri, body).map(commandLineOf) };
    },

    /** define, then start and autostart as asked; a start that fails undefines again so nothing is left behind. */
    async create(hostId: string, body: CreateLibvirtNetworkBody): Promise<VirtNetworkActionResult> {
      const { uri, runner, xml } = await prepare(hostId, body);
      const [define, ...rest] = plan(uri, body);
      await runVirshWithXml(runner, (file) => netDefineArgv(uri, file), xml).catch((err: unknown) => {
        throw err instanceof VirshError ? badRequest(`libvirt refused the network: ${err.message}`, 'xml') : err;
      });
      try {
        for (const argv of rest) await runVirsh(runner, argv);
      } catch (err) {
        await runVirsh(runner, netUndefineArgv(uri, body.name)).catch(() => {});
        throw err;
      }
      const { network } = await one(hostId, uri, runner, body.name);
      return { network, commands: [define!, ...rest].map(commandLineOf) };
    },

    async start(hostId: string, name: string): Promise<VirtNetworkActionResult> {
      const { uri, runner } = await context(hostId);
      const before = await one(hostId, uri, runner, name);
      if (before.network.active) throw conflict(`"${name}" is already active`);
      const argv = netStartArgv(uri, name);
      await runVirsh(runner, argv);
      return { network: (await one(hostId, uri, runner, name)).network, commands: [commandLineOf(argv)] };
    },

    async stop(hostId: string, name: string, confirmVms: string | undefined): Promise<VirtNetworkActionResult> {
      const { uri, runner } = await context(hostId);
      const { network } = await one(hostId, uri, runner, name);
      if (!network.active) throw conflict(`"${name}" is not active`);
      requireConfirmation(network, confirmVms, 'stop');
      const argv = netDestroyArgv(uri, name);
      await runVirsh(runner, argv);
      const after = (await readAll(hostId, uri, runner)).find((n) => n.network.name === name);
      return { network: after?.network ?? null, commands: [commandLineOf(argv)] };
    },

    async setAutostart(hostId: string, name: string, enabled: boolean): Promise<VirtNetworkActionResult> {
      const { uri, runner } = await context(hostId);
      const { network } = await one(hostId, uri, runner, name);
      if (!network.persistent) throw conflict(`"${name}" is transient: only defined networks can autostart`);
      const argv = netAutostartArgv(uri, name, enabled);
      await runVirsh(runner, argv);
      return { network: (await one(hostId, uri, runner, name)).network, commands: [commandLineOf(argv)] };
    },

    async remove(hostId: string, name: string, confirmVms: string | undefined): Promise<VirtNetworkActionResult> {
      const { uri, runner } = await context(hostId);
      const { network } = await one(hostId, uri, runner, name);
      if (network.active) requireConfirmation(network, confirmVms, 'delete');
      const commands: string[] = [];
      if (network.active) {
        const argv = netDestroyArgv(uri, name);
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
      }
      if (network.persistent) {
        const argv = netUndefineArgv(uri, name);
        commands.push(commandLineOf(argv));
        await runVirsh(runner, argv);
      }
      return { network: null, commands };
    },

    /** Defines the edited XML; libvirt validates it and its refusal comes back as a 400 with its words. */
    async replaceXml(hostId: string, name: string, xml: string): Promise<VirtNetworkActionResult> {
      const { uri, runner } = await context(hostId);
      const { network } = await one(hostId, uri, runner, name);
      checkEditedXml(xml, name, network.uuid);
      await runVirshWithXml(runner, (file) => netDefineArgv(uri, file), xml).catch((err: unknown) => {
        throw err instanceof VirshError ? badRequest(`libvirt refused the XML: ${err.message}`, 'xml') : err;
      });
      return { network: (await one(hostId, uri, runner, name)).network, commands: [commandLineOf(netDefineArgv(uri, XML_FROM_STDIN))] };
    },

    async leases(hostId: string, name: string): Promise<DhcpLeaseList> {
      const { uri, runner } = await context(hostId);
      await one(hostId, uri, runner, name);
      const argv = netDhcpLeasesArgv(uri, name);
      const [out, vms] = await Promise.all([runVirsh(runner, withCLocale(argv)), deps.vmsOnHost(hostId)]);
      const byMac = new Map<string, string>();
      for (const vm of vms) for (const nic of vm.nics) if (nic.mac) byMac.set(nic.mac.toLowerCase(), vm.name);
      return {
        items: parseDhcpLeases(out).map((l) => ({ ...l, vm: byMac.get(l.mac) ?? null })),
        cli: commandLineOf(argv),
      };
    },

    async interfaces(hostId: string): Promise<HostInterfaceList> {
      return { items: await readHostInterfaces(await deps.runner(hostId)), cli: [ipAddrCommand] };
    },
  };
}

export type VirtNetworksService = ReturnType<typeof createVirtNetworksService>;
