import type { CreateNetworkBody, NetworkDetail, NetworkSummary } from '@mirador/contract';
import { dockerCommands, validateContainerRef, validateNetworkName } from '@mirador/docker';
import { HttpError, badRequest } from '../lib/http-errors.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import { overlaps, parseIpv4Net, readHostNetworks } from './host-networks.js';
import type { DockerInventory } from './docker-inventory.js';
import { onEngine } from './docker-errors.js';
import type { EnginePool } from './engine-pool.js';
import { BUILTIN_NETWORKS } from './mappers.js';

function checkAddressing(body: CreateNetworkBody) {
  if (body.subnet) {
    const net = body.subnet.includes('/') ? parseIpv4Net(body.subnet) : null;
    if (!net || net.prefix > 30 || net.prefix < 8)
      throw badRequest(`subnet: "${body.subnet}" is not an IPv4 network in CIDR form between /8 and /30 (e.g. 172.30.0.0/24)`, 'subnet');
  }
  if (body.gateway) {
    if (body.gateway.includes('/') || !parseIpv4Net(body.gateway))
      throw badRequest(`gateway: "${body.gateway}" is not an IPv4 address`, 'gateway');
    if (!body.subnet) throw badRequest('gateway: a gateway needs a subnet', 'gateway');
  }
}

export function createNetworksService(deps: {
  engines: EnginePool;
  inventory: DockerInventory;
  connections: Pick<ConnectionPool, 'runner'>;
}) {
  const { engines, inventory, connections } = deps;

  /** A non-admin's subnet must not take over a network the host itself uses (its LAN, libvirt's NAT…). */
  async function assertSubnetFree(hostId: string, hostName: string, subnet: string) {
    const wanted = parseIpv4Net(subnet);
    if (!wanted) return; // checkAddressing refused it already
    const used = await readHostNetworks(await connections.runner(hostId));
    if (!used)
      throw new HttpError(
        403,
        `subnet: the networks ${hostName} uses could not be read (ip -j route), so ${subnet} cannot be checked; an administrator can create it`,
        { code: 'forbidden', field: 'subnet' },
      );
    const clash = used.find((n) => overlaps(n, wanted));
    if (clash) {
      throw new HttpError(
        403,
        `subnet: ${subnet} overlaps ${clash.text}, which ${hostName} itself uses; a bridge there would route that network into Docker and cut the host off from it. Pick a free range (e.g. 172.30.0.0/24), or ask an administrator`,
        { code: 'forbidden', field: 'subnet' },
      );
    }
  }

  async function find(hostId: string, ref: string): Promise<NetworkSummary> {
    const view = await inventory.viewOf(hostId);
    const all = inventory.networks(view);
    const found = all.find((n) => n.name === ref || n.id === ref) ?? (ref.length >= 4 ? all.filter((n) => n.id.startsWith(ref)) : []).at(0);
    if (found) return found;
    throw new HttpError(404, `No network "${ref}" on ${view.host.name}`, { code: 'not_found' });
  }

  return {
    async list(hostId: string): Promise<NetworkSummary[]> {
      return inventory.networks(await inventory.viewOf(hostId));
    },
    async detail(hostId: string, ref: string): Promise<NetworkDetail> {
      const n = await find(hostId, ref);
      const { docker, host } = await engines.engine(hostId);
      const inspect = await onEngine(host.name, () => docker.getNetwork(n.id).inspect());
      return { network: n, inspect };
    },
    async create(hostId: string, body: CreateNetworkBody, caller: { isAdmin: boolean }): Promise<NetworkSummary> {
      validateNetworkName(body.name);
      checkAddressing(body);
      const { docker, host } = await engines.engine(hostId);
      if (body.subnet && !caller.isAdmin) await assertSubnetFree(hostId, host.name, body.subnet);
      const options: Record<string, string> = {};
      if (body.icc === false) options['com.docker.network.bridge.enable_icc'] = 'false';
      await onEngine(host.name, () =>
        docker.createNetwork({
          Name: body.name,
          Driver: body.driver ?? 'bridge',
          Internal: body.internal ?? false,
          Attachable: body.attachable ?? false,
          CheckDuplicate: true,
          Options: options,
          Labels: body.labels ?? {},
          ...(body.subnet
            ? { IPAM: { Driver: 'default', Config: [{ Subnet: body.subnet, ...(body.gateway ? { Gateway: body.gateway } : {}) }] } }
            : {}),
        }),
      );
      await inventory.refreshKind(hostId, 'network');
      return find(hostId, body.name);
    },
    async remove(hostId: string, ref: string) {
      const n = await find(hostId, ref);
      if (BUILTIN_NETWORKS.has(n.name))
        throw new HttpError(409, `"${n.name}" is one of the engine's own networks and cannot be removed`, { code: 'conflict' });
      const { docker, host } = await engines.engine(hostId);
      await onEngine(host.name, () => docker.getNetwork(n.id).remove());
      await inventory.refreshKind(hostId, 'network').catch(() => {});
      return { command: dockerCommands.networkRm(n.name) };
    },
    async connect(hostId: string, ref: string, container: string, aliases: string[] | undefined) {
      validateContainerRef(container, 'container');
      const n = await find(hostId, ref);
      if (aliases?.length && BUILTIN_NETWORKS.has(n.name))
        throw badRequest('aliases: network aliases only work on user-defined networks', 'aliases');
      const { docker, host } = await engines.engine(hostId);
      await onEngine(host.name, () =>
        docker.getNetwork(n.id).connect({ Container: container, ...(aliases?.length ? { EndpointConfig: { Aliases: aliases } } : {}) }),
      );
      await settle(hostId, container);
      return { network: await find(hostId, n.id), command: dockerCommands.networkConnect(n.name, container, aliases ?? []) };
    },
    async disconnect(hostId: string, ref: string, container: string, force: boolean) {
      validateContainerRef(container, 'container');
      const n = await find(hostId, ref);
      const { docker, host } = await engines.engine(hostId);
      await onEngine(host.name, () => docker.getNetwork(n.id).disconnect({ Container: container, Force: force }));
      await settle(hostId, container);
      return { network: await find(hostId, n.id), command: dockerCommands.networkDisconnect(n.name, container, force) };
    },
  };

  /**
   * Membership is read from the containers' side: refresh that container before answering. One the
   * inventory has not seen yet (created outside Mirador a moment ago, its events still on the way)
   * is looked up on the engine, or the answer would leave it out.
   */
  async function settle(hostId: string, container: string) {
    const view = await inventory.viewOf(hostId);
    let id = inventory.findContainer(view, container)?.id;
    if (!id) {
      const { docker } = await engines.engine(hostId);
      id = await docker
        .getContainer(container)
        .inspect()
        .then(
          (i) => i.Id,
          () => undefined,
        );
    }
    if (id) await inventory.refreshContainer(hostId, id).catch(() => null);
  }
}

export type NetworksService = ReturnType<typeof createNetworksService>;
