import http from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { PrismaClient } from '../db/client.js';
import type { ConnectionPool } from '../connections/connection-pool.js';
import type { HostRow } from '../hosts/host.dto.js';
import { notTrustedYetMessage } from '../hosts/host-trust.js';
import { HttpError, notFound } from '../lib/http-errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** A host of the inventory that offers a Docker engine. */
export interface EngineHost {
  id: string;
  name: string;
  transport: 'socket' | 'ssh';
  socketPath: string;
}

export interface Engine {
  host: EngineHost;
  docker: Docker;
}

interface StreamLocalOpener {
  openStreamLocal(socketPath: string): Promise<Duplex>;
}

/** Which hosts have an engine, and how to reach it. */
export function engineHostOf(
  h: Pick<HostRow, 'id' | 'name' | 'kind' | 'dockerMode' | 'dockerSocket'>,
  localSocket: string,
): EngineHost | null {
  // The local engine is always the server's own MIRADOR_DOCKER_SOCKET, never a path read from the
  // database: a row written behind the API's back must not point Mirador at another socket.
  if (h.kind === 'local' && h.dockerMode === 'socket') return { id: h.id, name: h.name, transport: 'socket', socketPath: localSocket };
  if (h.kind !== 'local' && h.dockerMode === 'ssh')
    return { id: h.id, name: h.name, transport: 'ssh', socketPath: h.dockerSocket ?? DEFAULT_DOCKER_SOCKET };
  return null;
}

/**
 * HTTP over the host's existing SSH connection: every request is a streamlocal channel to the
 * engine's socket. dockerode's own SSH transport would open a fresh SSH connection per request
 * without checking the host key; this one inherits the pinned key and the shared connection.
 */
class SshSocketAgent extends http.Agent {
  constructor(
    private readonly opener: () => Promise<StreamLocalOpener>,
    private readonly socketPath: string,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(_options: unknown, cb: (err: Error | null, socket?: Duplex) => void): undefined {
    this.opener()
      .then((conn) => conn.openStreamLocal(this.socketPath))
      .then(
        (stream) => cb(null, socketLike(stream)),
        (err: Error) => cb(err),
      );
    return undefined;
  }
}

/** http's client code calls a few net.Socket methods that SSH channels do not have. */
function socketLike(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'ref', 'unref']) if (typeof s[m] !== 'function') s[m] = () => s;
  if (typeof s.setTimeout !== 'function') s.setTimeout = () => s;
  return stream;
}

/**
 * One dockerode client per engine, built from the host row and rebuilt when the row changes
 * (socket path, mode). Remote engines ride the connection pool, so they share its pinning,
 * its reconnects and its "test the connection first" rule.
 */
export function createEnginePool(deps: { db: PrismaClient; connections: ConnectionPool; localSocket: string }) {
  const { db, connections, localSocket } = deps;
  const clients = new Map<string, { key: string; engine: Engine }>();

  function build(host: EngineHost): Docker {
    if (host.transport === 'socket') return new Docker({ socketPath: host.socketPath });
    const agent = new SshSocketAgent(async () => {
      const runner = await connections.runner(host.id);
      if (typeof (runner as Partial<StreamLocalOpener>).openStreamLocal !== 'function')
        throw new HttpError(502, `Host "${host.name}" cannot forward its Docker socket`);
      return runner as unknown as StreamLocalOpener;
    }, host.socketPath);
    // host/port only fill the HTTP Host header: the agent decides where bytes go.
    return new Docker({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
  }

  return {
    async hosts(): Promise<EngineHost[]> {
      const rows = await db.host.findMany({ where: { NOT: { dockerMode: 'none' } }, orderBy: { name: 'asc' } });
      return rows.map((r) => engineHostOf(r, localSocket)).filter((e): e is EngineHost => e !== null);
    },
    async engine(hostId: string): Promise<Engine> {
      const row = await db.host.findUnique({ where: { id: hostId } });
      if (!row) throw notFound('Host');
      const host = engineHostOf(row, localSocket);
      if (!host)
        throw new HttpError(409, `Host "${row.name}" has no Docker engine configured (set its Docker mode to SSH)`, {
          code: 'host.noDocker',
          params: { host: row.name },
        });
      if (host.transport === 'ssh' && !row.hostKeyFingerprint) {
        throw new HttpError(409, notTrustedYetMessage(row), { code: 'conflict' });
      }
      const key = JSON.stringify([host.transport, host.socketPath, row.address, row.port, row.username]);
      const cached = clients.get(hostId);
      if (cached && cached.key === key) return cached.engine;
      const engine = { host, docker: build(host) };
      clients.set(hostId, { key, engine });
      return engine;
    },
    forget(hostId: string) {
      clients.delete(hostId);
    },
  };
}

export type EnginePool = ReturnType<typeof createEnginePool>;
