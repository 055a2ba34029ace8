import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';
import {
  HOST_ADDRESS_PATTERN,
  HOST_NAME_PATTERN,
  LIBVIRT_TEST_FILE_PATTERN,
  LIBVIRT_URI_PATTERN,
  SSH_USER_PATTERN,
  TAG_PATTERN,
} from './names.js';

export const HostAuthMethod = Type.Union([Type.Literal('key'), Type.Literal('password'), Type.Literal('generate')]);
export type HostAuthMethod = Static<typeof HostAuthMethod>;

export const DockerMode = Type.Union([Type.Literal('none'), Type.Literal('ssh'), Type.Literal('socket')]);
export type DockerMode = Static<typeof DockerMode>;

export const HostStatus = Type.Union([Type.Literal('unknown'), Type.Literal('online'), Type.Literal('offline'), Type.Literal('error')]);
export type HostStatus = Static<typeof HostStatus>;

export const HostName = Type.String({ pattern: HOST_NAME_PATTERN, minLength: 1, maxLength: 63 });
export const HostAddress = Type.String({ pattern: HOST_ADDRESS_PATTERN, minLength: 1, maxLength: 253 });
export const SshUser = Type.String({ pattern: SSH_USER_PATTERN, minLength: 1, maxLength: 32 });
export const Tag = Type.String({ pattern: TAG_PATTERN, minLength: 1, maxLength: 32 });
/** Accepted in requests for compatibility: only a URI Mirador itself builds (see LibvirtEndpoint). */
export const LibvirtUri = Type.String({
  pattern: LIBVIRT_URI_PATTERN,
  maxLength: 200,
  description:
    'Deprecated in requests: send `libvirt` instead. Only qemu:///system, qemu:///session, test:///default, lxc:///system, xen:///system, ch:///system or ch:///session.',
});
/**
 * Where virsh connects on the host (it always runs there, over Mirador's SSH connection): the
 * hypervisor driver and the system or per-user daemon. The test driver's only endpoint is `system`
 * (test:///default); lxc and xen offer only `system`. Unknown members are refused, not ignored.
 */
export const LibvirtDaemonEndpoint = Type.Object(
  {
    driver: Type.Union([Type.Literal('qemu'), Type.Literal('test'), Type.Literal('lxc'), Type.Literal('xen'), Type.Literal('ch')]),
    mode: Type.Union([Type.Literal('system'), Type.Literal('session')]),
  },
  { additionalProperties: Type.Never() },
);
/**
 * The test driver reading a simulated inventory from a file (`test:///<dir>/<file>`): only a plain
 * file name travels; the directory is the one an admin allowed in the server's configuration
 * (MIRADOR_LIBVIRT_TEST_DIR). Refused while none is set.
 */
export const LibvirtTestFileEndpoint = Type.Object(
  {
    driver: Type.Literal('test'),
    mode: Type.Literal('file'),
    file: Type.String({ pattern: LIBVIRT_TEST_FILE_PATTERN, minLength: 5, maxLength: 104 }),
  },
  { additionalProperties: Type.Never() },
);
export const LibvirtEndpoint = Type.Union([LibvirtDaemonEndpoint, LibvirtTestFileEndpoint]);
export type LibvirtEndpoint = Static<typeof LibvirtEndpoint>;
export const PrivateKey = Type.String({ minLength: 64, maxLength: 16384 });

export const HostFacts = Type.Object({
  hostname: Type.Optional(Type.String()),
  os: Type.Optional(Type.String()),
  kernel: Type.Optional(Type.String()),
  arch: Type.Optional(Type.String()),
  libvirtVersion: Type.Optional(Type.String()),
  libvirtError: Type.Optional(Type.String()),
  dockerVersion: Type.Optional(Type.String()),
  dockerError: Type.Optional(Type.String()),
  kvm: Type.Optional(Type.Boolean()),
});
export type HostFacts = Static<typeof HostFacts>;

export const HostKeyInfo = Type.Object({
  fingerprint: Type.String({ description: 'SHA256:… as OpenSSH prints it' }),
  algorithm: Type.String(),
  pinnedAt: Timestamp,
});

export const Host = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('ssh'), Type.Literal('local')]),
  address: Type.String(),
  port: Type.Integer(),
  username: Type.String(),
  authMethod: Type.Union([Type.Literal('key'), Type.Literal('password'), Type.Literal('local')]),
  hasSecret: Type.Boolean(),
  publicKey: Type.Union([Type.String(), Type.Null()]),
  hostKey: Type.Union([HostKeyInfo, Type.Null()]),
  tags: Type.Array(Type.String()),
  notes: Type.String(),
  /** The libvirt endpoint, or null when the host has none (or its stored one is not usable: see libvirtProblem). */
  libvirt: Type.Union([LibvirtEndpoint, Type.Null()]),
  /** The URI Mirador builds from `libvirt` and passes to `virsh -c`. */
  libvirtUri: Type.Union([Type.String(), Type.Null()]),
  /** Set when the stored endpoint is not one Mirador builds (an older version or a direct database edit): it is not used. */
  libvirtProblem: Type.Union([Type.String(), Type.Null()]),
  dockerMode: DockerMode,
  dockerSocket: Type.Union([Type.String(), Type.Null()]),
  status: HostStatus,
  statusMessage: Type.Union([Type.String(), Type.Null()]),
  lastCheckedAt: Type.Union([Timestamp, Type.Null()]),
  facts: Type.Union([HostFacts, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Host = Static<typeof Host>;

/** An absolute path without `..` segments or shell metacharacters. */
export const DockerSocketPath = Type.String({ pattern: '^/(?!.*(?:^|/)\\.\\.(?:/|$))[A-Za-z0-9._+@%=:,/-]{0,4095}$', maxLength: 4096 });

/** SHA256:… as OpenSSH prints it (43 base64 characters, no padding). */
export const HostKeyFingerprint = Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}$' });

export const CreateHostBody = Type.Object({
  name: HostName,
  address: HostAddress,
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 22 })),
  username: Type.Optional(SshUser),
  authMethod: HostAuthMethod,
  privateKey: Type.Optional(PrivateKey),
  passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 20, uniqueItems: true })),
  notes: Type.Optional(Type.String({ maxLength: 4000 })),
  /** Default qemu/system; null for a host without libvirt. */
  libvirt: Type.Optional(Type.Union([LibvirtEndpoint, Type.Null()])),
  libvirtUri: Type.Optional(Type.Union([LibvirtUri, Type.Null()])),
  dockerMode: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('ssh')])),
  /** The engine's socket on the host (default /var/run/docker.sock; rootless: /run/user/<uid>/docker.sock). */
  dockerSocket: Type.Optional(Type.Union([DockerSocketPath, Type.Null()])),
  /**
   * The SSH host key fingerprint a person confirmed after "Test connection" (POST /api/hosts/test):
   * saving pins exactly this key, so the first real connection cannot meet a different one unseen.
   */
  hostKeyFingerprint: Type.Optional(HostKeyFingerprint),
  hostKeyAlgorithm: Type.Optional(Type.String({ pattern: '^[a-z0-9@.-]{1,64}$' })),
});
export type CreateHostBody = Static<typeof CreateHostBody>;

/**
 * Secrets are replaced only when a new one is sent; omitted fields stay as they are.
 * Only name, tags and notes are open to operators: every other field changes how Mirador reaches
 * the host (address, credentials, libvirt endpoint, Docker socket) and needs the admin role.
 */
export const UpdateHostBody = Type.Object(
  {
    name: Type.Optional(HostName),
    address: Type.Optional(HostAddress),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    username: Type.Optional(SshUser),
    authMethod: Type.Optional(HostAuthMethod),
    privateKey: Type.Optional(PrivateKey),
    passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 20, uniqueItems: true })),
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    libvirt: Type.Optional(Type.Union([LibvirtEndpoint, Type.Null()])),
    libvirtUri: Type.Optional(Type.Union([LibvirtUri, Type.Null()])),
    dockerMode: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('ssh')])),
    dockerSocket: Type.Optional(Type.Union([DockerSocketPath, Type.Null()])),
  },
  { minProperties: 1 },
);
export type UpdateHostBody = Static<typeof UpdateHostBody>;
/** The UpdateHostBody fields an operator may send; the rest are admin-only. */
export const HOST_FIELDS_FOR_OPERATORS = ['name', 'tags', 'notes'] as const;

export const HostTestErrorCode = Type.Union([
  Type.Literal('unreachable'),
  Type.Literal('timeout'),
  Type.Literal('auth_failed'),
  Type.Literal('host_key_mismatch'),
  Type.Literal('no_credentials'),
  Type.Literal('ssh_error'),
]);
export type HostTestErrorCode = Static<typeof HostTestErrorCode>;

export const HostTestResult = Type.Object({
  ok: Type.Boolean(),
  reachable: Type.Boolean(),
  authOk: Type.Boolean(),
  hostKey: Type.Union([
    Type.Object({
      fingerprint: Type.String(),
      algorithm: Type.String(),
      /** new: pinned by this test; match: equals the pinned key; mismatch: refused. */
      pin: Type.Union([Type.Literal('new'), Type.Literal('match'), Type.Literal('mismatch')]),
      expected: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  facts: HostFacts,
  durationMs: Type.Integer(),
  error: Type.Optional(Type.Object({ code: HostTestErrorCode, message: Type.String() })),
});
export type HostTestResult = Static<typeof HostTestResult>;

export const HostListQuery = Type.Object({
  tag: Type.Optional(Tag),
  q: Type.Optional(Type.String({ maxLength: 100 })),
});
export type HostListQuery = Static<typeof HostListQuery>;
