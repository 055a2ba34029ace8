import { Type, type Static } from 'typebox';

/** Mirrors @mirador/libvirt's NETWORK_NAME_PATTERN (the server enforces it again before anything runs). */
export const VIRT_NETWORK_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$';

export const VirtNetworkName = Type.String({ pattern: VIRT_NETWORK_NAME_PATTERN, minLength: 1, maxLength: 64 });
export const VirtNetworkParams = Type.Object({ hostId: Type.String({ minLength: 1, maxLength: 64 }), name: VirtNetworkName });
export type VirtNetworkParams = Static<typeof VirtNetworkParams>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const VirtNetworkAddress = Type.Object({
  family: Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6')]),
  address: Nullable(Type.String()),
  prefix: Nullable(Type.Integer()),
  dhcpRanges: Type.Array(Type.Object({ start: Type.String(), end: Type.String() })),
  hosts: Type.Array(Type.Object({ mac: Nullable(Type.String()), ip: Type.String(), name: Nullable(Type.String()) })),
});
export type VirtNetworkAddress = Static<typeof VirtNetworkAddress>;

/** The virsh line of every action on a network (teaching aid). */
export const VirtNetworkCommands = Type.Object({
  start: Type.String(),
  stop: Type.String(),
  autostartOn: Type.String(),
  autostartOff: Type.String(),
  delete: Type.Array(Type.String()),
  dumpxml: Type.String(),
  leases: Type.String(),
});

export const VirtNetwork = Type.Object({
  hostId: Type.String(),
  name: Type.String(),
  uuid: Nullable(Type.String()),
  active: Type.Boolean(),
  autostart: Type.Boolean(),
  persistent: Type.Boolean(),
  /** nat | route | open | bridge | isolated, or another libvirt forward mode (passthrough, vepa…). */
  forwardMode: Type.String(),
  bridge: Nullable(Type.String()),
  ips: Type.Array(VirtNetworkAddress),
  /** VMs with a NIC on this network (from the VM inventory). */
  vms: Type.Array(Type.Object({ name: Type.String(), state: Type.String(), mac: Nullable(Type.String()) })),
  cli: VirtNetworkCommands,
});
export type VirtNetwork = Static<typeof VirtNetwork>;

export const VirtNetworkList = Type.Object({ items: Type.Array(VirtNetwork), cli: Type.Object({ list: Type.String() }) });
export type VirtNetworkList = Static<typeof VirtNetworkList>;

export const VirtNetworkDetail = Type.Object({ network: VirtNetwork, xml: Type.String() });
export type VirtNetworkDetail = Static<typeof VirtNetworkDetail>;

export const VIRT_NETWORK_KINDS = ['nat', 'route', 'isolated', 'bridge'] as const;

export const CreateLibvirtNetworkBody = Type.Object({
  name: Type.String({ maxLength: 256 }),
  kind: Type.Union(VIRT_NETWORK_KINDS.map((k) => Type.Literal(k))),
  /** nat / route / isolated: the bridge libvirt creates; libvirt picks virbrN when left out. */
  bridgeName: Type.Optional(Type.String({ maxLength: 64 })),
  ipv4: Type.Optional(
    Type.Object({
      subnet: Type.String({ maxLength: 64 }),
      prefix: Type.Integer(),
      gateway: Type.String({ maxLength: 64 }),
      dhcp: Type.Optional(Type.Object({ start: Type.String({ maxLength: 64 }), end: Type.String({ maxLength: 64 }) })),
      hosts: Type.Optional(
        Type.Array(
          Type.Object({
            mac: Type.String({ maxLength: 64 }),
            ip: Type.String({ maxLength: 64 }),
            name: Type.Optional(Type.String({ maxLength: 64 })),
          }),
          { maxItems: 512 },
        ),
      ),
    }),
  ),
  /** bridge: an existing bridge on the host (see /interfaces). */
  hostBridge: Type.Optional(Type.String({ maxLength: 64 })),
  /** Start it right after defining (default true). */
  start: Type.Optional(Type.Boolean()),
  /** Start it when the host boots (default true). */
  autostart: Type.Optional(Type.Boolean()),
});
export type CreateLibvirtNetworkBody = Static<typeof CreateLibvirtNetworkBody>;

export const VirtNetworkPreview = Type.Object({ xml: Type.String(), commands: Type.Array(Type.String()) });
export type VirtNetworkPreview = Static<typeof VirtNetworkPreview>;

export const VirtNetworkActionResult = Type.Object({ network: Nullable(VirtNetwork), commands: Type.Array(Type.String()) });
export type VirtNetworkActionResult = Static<typeof VirtNetworkActionResult>;

export const VirtNetworkXmlBody = Type.Object({ xml: Type.String({ minLength: 1, maxLength: 256 * 1024 }) });
export type VirtNetworkXmlBody = Static<typeof VirtNetworkXmlBody>;

/** Stopping or deleting a network with running VMs needs their names, comma-separated, exactly. */
export const ConfirmVmsQuery = Type.Object({ confirmVms: Type.Optional(Type.String({ maxLength: 8192 })) });
export type ConfirmVmsQuery = Static<typeof ConfirmVmsQuery>;

export const NetworkDhcpLease = Type.Object({
  mac: Type.String(),
  ip: Type.String(),
  prefix: Nullable(Type.Integer()),
  protocol: Type.String(),
  hostname: Nullable(Type.String()),
  clientId: Nullable(Type.String()),
  /** As the host prints it (its local time). */
  expiry: Type.String(),
  /** The VM whose NIC has this MAC, if any. */
  vm: Nullable(Type.String()),
});
export const DhcpLeaseList = Type.Object({ items: Type.Array(NetworkDhcpLease), cli: Type.String() });
export type DhcpLeaseList = Static<typeof DhcpLeaseList>;

export const HostInterface = Type.Object({
  name: Type.String(),
  /** linkinfo.info_kind (bridge, veth, vlan, bond…); null for a plain device. */
  kind: Nullable(Type.String()),
  isBridge: Type.Boolean(),
  /** The bridge this interface is a port of. */
  master: Nullable(Type.String()),
  mac: Nullable(Type.String()),
  state: Type.String(),
  mtu: Nullable(Type.Integer()),
  addresses: Type.Array(Type.Object({ family: Type.String(), address: Type.String(), prefix: Type.Integer() })),
});
export type HostInterface = Static<typeof HostInterface>;
export const HostInterfaceList = Type.Object({ items: Type.Array(HostInterface), cli: Type.Array(Type.String()) });
export type HostInterfaceList = Static<typeof HostInterfaceList>;
