import { existsSync } from 'node:fs';
import type { CreateHostBody, Host, HostTestResult, UpdateHostBody } from '@mirador/contract';
import { SshError, checkPrivateKey, connectSsh, generateKeyPair } from '@mirador/ssh';
import type { PrismaClient } from '../db/client.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { EventBus } from '../plugins/bus.js';
import { newId } from '../lib/ids.js';
import { badRequest, conflict, notFound } from '../lib/http-errors.js';
import { toHostDto, type HostRow } from './host.dto.js';
import { probeLocal, probeOverSsh } from './host-probe.js';
import { requestedLibvirtUri } from './libvirt-endpoint.js';

interface StoredSecret {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

type AuthInput = Pick<CreateHostBody, 'authMethod' | 'privateKey' | 'passphrase' | 'password'>;

const secretContext = (hostId: string) => `host:${hostId}`;

/** The secret an unsaved host would be stored with (a generated key cannot log in yet: nothing to test). */
function unsavedSecret(auth: AuthInput): StoredSecret {
  if (auth.authMethod === 'password') {
    if (!auth.password) throw badRequest('password is required when authMethod is "password"', 'password');
    return { password: auth.password };
  }
  if (auth.authMethod === 'generate') {
    throw badRequest('A generated key is not on the host yet: save the host, install its public key, then test it', 'authMethod');
  }
  if (!auth.privateKey) throw badRequest('privateKey is required when authMethod is "key"', 'privateKey');
  const check = checkPrivateKey(auth.privateKey, auth.passphrase);
  if (!check.ok) throw badRequest(`privateKey: ${check.message}`, 'privateKey');
  return { privateKey: auth.privateKey, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
}

interface ProbeTarget {
  address: string;
  port: number;
  username: string;
  secret: StoredSecret;
  /** The pinned (or person-confirmed) fingerprint; null: report whatever the host presents. */
  expectedFingerprint: string | null;
}

/** One SSH connection: the host key it presented, the facts it reports, or why it failed. */
async function connectAndProbe(
  target: ProbeTarget,
  opts: { libvirtUri: string | null; docker: boolean; dockerSocket: string | null },
): Promise<{ result: HostTestResult; pinNew: { fingerprint: string; algorithm: string } | null }> {
  const started = Date.now();
  try {
    const conn = await connectSsh({
      host: target.address,
      port: target.port,
      username: target.username,
      ...target.secret,
      expectedFingerprint: target.expectedFingerprint,
    });
    try {
      const facts = await probeOverSsh(conn.client, opts);
      const isNew = !target.expectedFingerprint;
      const result: HostTestResult = {
        ok: true,
        reachable: true,
        authOk: true,
        hostKey: { ...conn.hostKey, pin: isNew ? 'new' : 'match' },
        facts,
        durationMs: Date.now() - started,
      };
      return { result, pinNew: isNew ? conn.hostKey : null };
    } finally {
      conn.client.end();
    }
  } catch (err) {
    const e = err instanceof SshError ? err : new SshError('ssh_error', (err as Error).message);
    const result: HostTestResult = {
      ok: false,
      reachable: !['unreachable', 'timeout'].includes(e.code),
      authOk: false,
      hostKey:
        e.code === 'host_key_mismatch'
          ? { fingerprint: e.details.presented!, algorithm: 'unknown', pin: 'mismatch', expected: e.details.expected }
          : null,
      facts: {},
      durationMs: Date.now() - started,
      error: { code: e.code, message: e.message },
    };
    return { result, pinNew: null };
  }
}

/** localDockerSocket: the server's MIRADOR_DOCKER_SOCKET, the only socket the local endpoint ever uses. */
export function createHostsService(deps: { db: PrismaClient; secrets: SecretBox; bus: EventBus; localDockerSocket: string }) {
  const { db, secrets, bus } = deps;

  async function row(id: string): Promise<HostRow> {
    const h = await db.host.findUnique({ where: { id } });
    if (!h) throw notFound('Host');
    return h;
  }

  function publish(h: HostRow) {
    bus.publish({ type: 'host.updated', topic: 'hosts', host: toHostDto(h) });
  }

  /** Validates credentials and returns what to store; refuses before anything is written. */
  function credentials(hostId: string, name: string, auth: AuthInput): { secretEnc: string; publicKey: string | null; authMethod: string } {
    if (auth.authMethod === 'password') {
      if (!auth.password) throw badRequest('password is required when authMethod is "password"', 'password');
      return {
        authMethod: 'password',
        publicKey: null,
        secretEnc: secrets.seal(JSON.stringify({ password: auth.password }), secretContext(hostId)),
      };
    }
    if (auth.authMethod === 'generate') {
      const pair = generateKeyPair(`mirador@${name}`);
      return {
        authMethod: 'key',
        publicKey: pair.publicKey,
        secretEnc: secrets.seal(JSON.stringify({ privateKey: pair.privateKey }), secretContext(hostId)),
      };
    }
    if (!auth.privateKey) throw badRequest('privateKey is required when authMethod is "key"', 'privateKey');
    const check = checkPrivateKey(auth.privateKey, auth.passphrase);
    if (!check.ok) throw badRequest(`privateKey: ${check.message}`, 'privateKey');
    const stored: StoredSecret = { privateKey: auth.privateKey, ...(auth.passphrase ? { passphrase: auth.passphrase } : {}) };
    return { authMethod: 'key', publicKey: null, secretEnc: secrets.seal(JSON.stringify(stored), secretContext(hostId)) };
  }

  async function assertNameFree(name: string, exceptId?: string) {
    const other = await db.host.findUnique({ where: { name } });
    if (other && other.id !== exceptId) throw conflict(`A host named "${name}" already exists`, 'name', 'host.nameTaken', { name });
  }

  async function recordStatus(id: string, result: HostTestResult, pin: { fingerprint: string; algorithm: string } | null) {
    const status = result.ok ? 'online' : result.error?.code === 'unreachable' || result.error?.code === 'timeout' ? 'offline' : 'error';
    const h = await db.host.update({
      where: { id },
      data: {
        status,
        statusMessage: result.error?.message ?? null,
        lastCheckedAt: new Date(),
        ...(result.ok ? { facts: JSON.stringify(result.facts) } : {}),
        ...(pin ? { hostKeyFingerprint: pin.fingerprint, hostKeyAlgorithm: pin.algorithm, hostKeyPinnedAt: new Date() } : {}),
      },
    });
    publish(h);
    return h;
  }

  return {
    async list(filter: { tag?: string; q?: string } = {}): Promise<Host[]> {
      const rows = await db.host.findMany({ orderBy: { name: 'asc' } });
      const q = filter.q?.toLowerCase();
      return rows
        .map(toHostDto)
        .filter((h) => !filter.tag || h.tags.includes(filter.tag))
        .filter((h) => !q || h.name.toLowerCase().includes(q) || h.address.toLowerCase().includes(q));
    },

    async get(id: string): Promise<Host> {
      return toHostDto(await row(id));
    },

    async create(body: CreateHostBody): Promise<Host> {
      await assertNameFree(body.name);
      const libvirtUri = requestedLibvirtUri(body);
      const id = newId();
      const cred = credentials(id, body.name, body);
      const h = await db.host.create({
        data: {
          id,
          name: body.name,
          kind: 'ssh',
          address: body.address,
          port: body.port ?? 22,
          username: body.username ?? 'root',
          ...cred,
          tags: JSON.stringify(body.tags ?? []),
          notes: body.notes ?? '',
          libvirtUri: libvirtUri === undefined ? 'qemu:///system' : libvirtUri,
          dockerMode: body.dockerMode ?? 'none',
          dockerSocket: body.dockerSocket ?? null,
          // The key a person confirmed in the add form's connection test: pinned as seen, not re-fetched.
          ...(body.hostKeyFingerprint
            ? {
                hostKeyFingerprint: body.hostKeyFingerprint,
                hostKeyAlgorithm: body.hostKeyAlgorithm ?? 'unknown',
                hostKeyPinnedAt: new Date(),
              }
            : {}),
        },
      });
      publish(h);
      return toHostDto(h);
    },

    async update(id: string, body: UpdateHostBody): Promise<Host> {
      const current = await row(id);
      if (current.kind === 'local') {
        // Fixed settings: the engine socket is MIRADOR_DOCKER_SOCKET. The local endpoint can also reach
        // this machine's libvirt (through the local process runner), so its libvirt endpoint may change.
        const allowed = new Set(['name', 'tags', 'notes', 'libvirt', 'libvirtUri']);
        const bad = Object.keys(body).find((k) => !allowed.has(k));
        if (bad) throw badRequest(`${bad} cannot be changed on the local endpoint`, bad);
      }
      if (body.name) await assertNameFree(body.name, id);
      const libvirtUri = requestedLibvirtUri(body);
      const authChanges = body.authMethod !== undefined || body.privateKey !== undefined || body.password !== undefined;
      let cred = {};
      if (authChanges) {
        const method = body.authMethod ?? (current.authMethod === 'password' ? 'password' : 'key');
        cred = credentials(id, body.name ?? current.name, { ...body, authMethod: method });
      }
      const h = await db.host.update({
        where: { id },
        data: {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.address !== undefined ? { address: body.address } : {}),
          ...(body.port !== undefined ? { port: body.port } : {}),
          ...(body.username !== undefined ? { username: body.username } : {}),
          ...(body.tags !== undefined ? { tags: JSON.stringify(body.tags) } : {}),
          ...(body.notes !== undefined ? { notes: body.notes } : {}),
          ...(libvirtUri !== undefined ? { libvirtUri } : {}),
          ...(body.dockerMode !== undefined ? { dockerMode: body.dockerMode } : {}),
          ...(body.dockerSocket !== undefined ? { dockerSocket: body.dockerSocket } : {}),
          ...cred,
          // The pinned host key is kept on purpose: moving a host to another address must not
          // silently trust whatever answers there. An admin forgets the key explicitly.
          status: 'unknown',
          statusMessage: null,
        },
      });
      publish(h);
      return toHostDto(h);
    },

    async remove(id: string): Promise<HostRow> {
      const h = await row(id);
      await db.host.delete({ where: { id } });
      bus.publish({ type: 'host.removed', topic: 'hosts', id });
      return h;
    },

    async forgetHostKey(id: string): Promise<Host> {
      await row(id);
      const h = await db.host.update({
        where: { id },
        data: { hostKeyFingerprint: null, hostKeyAlgorithm: null, hostKeyPinnedAt: null, status: 'unknown', statusMessage: null },
      });
      publish(h);
      return toHostDto(h);
    },

    /** Connects (pinning the host key on first success), gathers facts, and records the outcome. */
    async test(id: string): Promise<{ host: HostRow; result: HostTestResult }> {
      const h = await row(id);
      const started = Date.now();
      if (h.kind === 'local') {
        const facts = await probeLocal(h.dockerMode === 'socket' ? deps.localDockerSocket : null);
        const ok = !facts.dockerError;
        const result: HostTestResult = {
          ok,
          reachable: true,
          authOk: true,
          hostKey: null,
          facts,
          durationMs: Date.now() - started,
          ...(ok ? {} : { error: { code: 'unreachable' as const, message: facts.dockerError! } }),
        };
        return { host: await recordStatus(id, result, null), result };
      }
      const secret: StoredSecret = h.secretEnc ? JSON.parse(secrets.open(h.secretEnc, secretContext(id))) : {};
      const { result, pinNew } = await connectAndProbe(
        { address: h.address, port: h.port, username: h.username, secret, expectedFingerprint: h.hostKeyFingerprint },
        { libvirtUri: h.libvirtUri, docker: h.dockerMode === 'ssh', dockerSocket: h.dockerSocket },
      );
      return { host: await recordStatus(id, result, pinNew), result };
    },

    /**
     * The add-host form's "Test connection": connects with the unsaved settings, reports the host key
     * it was shown and what the host offers, and stores nothing. The person compares the fingerprint
     * and saving then pins exactly that key (CreateHostBody.hostKeyFingerprint).
     */
    async testUnsaved(body: CreateHostBody): Promise<HostTestResult> {
      const libvirtUri = requestedLibvirtUri(body);
      const secret = unsavedSecret(body);
      const { result } = await connectAndProbe(
        {
          address: body.address,
          port: body.port ?? 22,
          username: body.username ?? 'root',
          secret,
          expectedFingerprint: body.hostKeyFingerprint ?? null,
        },
        {
          libvirtUri: libvirtUri === undefined ? 'qemu:///system' : libvirtUri,
          docker: body.dockerMode === 'ssh',
          dockerSocket: body.dockerSocket ?? null,
        },
      );
      return result;
    },

    /** Adds the local Docker engine once, when its socket exists, so a fresh install shows something real. */
    async ensureLocalEndpoint(dockerSocket: string): Promise<Host | null> {
      if (!existsSync(dockerSocket)) return null;
      if (await db.setting.findUnique({ where: { key: 'localEndpointCreated' } })) return null;
      if (await db.host.findFirst({ where: { kind: 'local' } })) return null;
      const name = (await db.host.findUnique({ where: { name: 'local' } })) ? `local-${newId().slice(0, 4)}` : 'local';
      const h = await db.host.create({
        data: {
          id: newId(),
          name,
          kind: 'local',
          address: 'localhost',
          port: 0,
          username: 'root',
          authMethod: 'local',
          libvirtUri: null,
          dockerMode: 'socket',
          dockerSocket,
          notes: 'The Docker engine on the machine running Mirador',
        },
      });
      await db.setting.create({ data: { key: 'localEndpointCreated', value: new Date().toISOString() } });
      publish(h);
      return toHostDto(h);
    },
  };
}

export type HostsService = ReturnType<typeof createHostsService>;
