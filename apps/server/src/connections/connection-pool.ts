import { LocalRunner, SshHostConnection, type CommandRunner, type ConnectionState, type StateDetail } from '@mirador/ssh';
import type { PrismaClient } from '../db/client.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { EventBus } from '../plugins/bus.js';
import { toHostDto, type HostRow } from '../hosts/host.dto.js';
import { notTrustedYetMessage } from '../hosts/host-trust.js';
import { conflict, notFound } from '../lib/http-errors.js';

interface Entry {
  runner: CommandRunner;
  signature: string;
  fingerprint: string | null;
  offState: () => void;
}

/** What decides whether an existing connection is still the right one for a host row (the pin is handled apart). */
const signatureOf = (h: HostRow) => JSON.stringify([h.kind, h.address, h.port, h.username, h.secretEnc]);

const STATUS: Partial<Record<ConnectionState, string>> = { online: 'online', offline: 'offline', error: 'error' };

/**
 * One persistent connection per host, shared by every user and every driver (libvirt now,
 * docker-over-ssh later). Connection state flows into the host's status, so the inventory shows
 * a host going offline within seconds and coming back by itself.
 */
export function createConnectionPool(deps: {
  db: PrismaClient;
  secrets: SecretBox;
  bus: EventBus;
  log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
}) {
  const { db, secrets, bus, log } = deps;
  const entries = new Map<string, Entry>();
  let closed = false;

  async function recordState(hostId: string, state: ConnectionState, detail: StateDetail) {
    const status = STATUS[state];
    if (!status) return;
    const h = await db.host.findUnique({ where: { id: hostId } });
    if (!h || (h.status === status && h.statusMessage === (detail.message ?? null))) return;
    const updated = await db.host.update({
      where: { id: hostId },
      data: { status, statusMessage: status === 'online' ? null : (detail.message ?? null), lastCheckedAt: new Date() },
    });
    log.info({ host: h.name, status }, 'host connection state changed');
    bus.publish({ type: 'host.updated', topic: 'hosts', host: toHostDto(updated) });
  }

  function create(h: HostRow): CommandRunner {
    if (h.kind === 'local') return new LocalRunner({ maxConcurrent: 8 });
    const secret = h.secretEnc ? (JSON.parse(secrets.open(h.secretEnc, `host:${h.id}`)) as Record<string, string>) : {};
    return new SshHostConnection({
      host: h.address,
      port: h.port,
      username: h.username,
      privateKey: secret.privateKey,
      passphrase: secret.passphrase,
      password: secret.password,
      expectedFingerprint: h.hostKeyFingerprint,
      maxConcurrent: 8,
      // A host that went away (sshd restarted, network blip) is back in use within 5 s of answering again;
      // failures a person has to fix (key, credentials) are retried at the slow pace only.
      backoff: { minMs: 1_000, maxMs: 5_000, slowMs: 30_000 },
    });
  }

  async function drop(hostId: string) {
    const e = entries.get(hostId);
    if (!e) return;
    entries.delete(hostId);
    e.offState();
    await e.runner.close();
  }

  // Follow inventory changes: new credentials, address or pin mean a new connection.
  const offHosts = bus.subscribe('hosts', (msg) => {
    if (msg.type === 'host.removed') void drop(msg.id);
    if (msg.type === 'host.updated') {
      const e = entries.get(msg.host.id);
      if (!e) return;
      void db.host.findUnique({ where: { id: msg.host.id } }).then((row) => {
        if (!row || entries.get(row.id) !== e) return;
        if (signatureOf(row) !== e.signature) return void drop(row.id);
        if (row.hostKeyFingerprint !== e.fingerprint) {
          // Forgotten or re-pinned by a person: the next use connects against the new pin.
          void drop(row.id);
        }
      });
    }
  });

  return {
    /** The shared runner for a host, connecting lazily. */
    async runner(hostId: string): Promise<CommandRunner> {
      const existing = entries.get(hostId);
      if (existing) return existing.runner;
      const h = await db.host.findUnique({ where: { id: hostId } });
      if (!h) throw notFound('Host');
      if (h.kind !== 'local' && !h.hostKeyFingerprint) {
        // Only the connection test pins a host key, with the fingerprint in front of a person.
        throw conflict(notTrustedYetMessage(h));
      }
      const again = entries.get(hostId);
      if (again) return again.runner;
      const runner = create(h);
      const onState = (state: ConnectionState, detail: StateDetail) => {
        void recordState(hostId, state, detail).catch((err) => log.warn({ err }, 'could not record host state'));
      };
      runner.on('state', onState);
      entries.set(hostId, {
        runner,
        signature: signatureOf(h),
        fingerprint: h.hostKeyFingerprint,
        offState: () => runner.off('state', onState),
      });
      return runner;
    },
    state(hostId: string): ConnectionState | null {
      return entries.get(hostId)?.runner.state ?? null;
    },
    drop,
    async close() {
      if (closed) return;
      closed = true;
      offHosts();
      await Promise.all([...entries.keys()].map(drop));
    },
  };
}

export type ConnectionPool = ReturnType<typeof createConnectionPool>;
