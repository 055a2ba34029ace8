import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import {
  ContainerParams,
  ExecQuery,
  LogsQuery,
  TerminalClientMessage,
  type LogsServerMessage,
  type TerminalServerMessage,
} from '@mirador/contract';
import { dockerCommands, validateUser } from '@mirador/docker';
import { roleAtLeast } from '../auth/auth.service.js';
import { SessionBroker } from '../streams/session-broker.js';
import { StreamSession } from '../streams/stream-session.js';
import { streamSocket } from '../streams/socket-adapter.js';
import { attachUpstream, execUpstream, terminalSession, type ExitCode } from './container-terminal.js';
import { engineMessage } from './docker-errors.js';
import { ExecReaper } from './exec-reaper.js';
import { followKey, followSession, type LogEnd, type LogLine } from './container-logs.js';

const checkTerminal = Compile(TerminalClientMessage);
/** How long a shutdown waits for closed terminals' processes to end in their containers. */
const SHUTDOWN_REAP_MS = 5_000;

/** `cmd` is a JSON array (argv) or a single program path; default: a POSIX shell. */
export function parseExecCommand(cmd: string | undefined): string[] {
  if (!cmd || !cmd.trim()) return ['/bin/sh'];
  const t = cmd.trim();
  if (t.startsWith('[')) {
    const argv = JSON.parse(t) as unknown;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && !a.includes('\0')))
      throw new Error('cmd must be a JSON array of strings');
    return argv as string[];
  }
  if (t.includes('\0')) throw new Error('cmd cannot contain NUL bytes');
  return [t];
}

/**
 * Live logs, exec terminals and attach over websockets, through the stream broker (streams/).
 * A followed log and an attach are shared by everyone asking for the same one; an exec shell is
 * its owner's alone. Terminals need an operator (a shell in a container is root on its files);
 * attach lets viewers watch read-only. Opening and closing a terminal are audited.
 */
export default async function containerStreamRoutes(app: FastifyInstance) {
  const logSessions = new SessionBroker<LogsServerMessage, LogLine, LogEnd>();
  const attachSessions = new SessionBroker<TerminalServerMessage, string, ExitCode>();
  const execSessions = new Set<StreamSession<TerminalServerMessage, string, ExitCode>>();
  // Closing an exec session ends its process in the container; shutting down waits for that.
  const reaper = new ExecReaper();
  app.addHook('onClose', async () => {
    logSessions.closeAll();
    attachSessions.closeAll();
    for (const s of execSessions) s.close();
    await reaper.settle(SHUTDOWN_REAP_MS);
  });

  app.get(
    '/hosts/:hostId/containers/:id/logs/ws',
    {
      websocket: true,
      schema: {
        tags: ['containers'],
        summary: 'Follow logs (websocket; LogsServerMessage)',
        params: ContainerParams,
        querystring: LogsQuery,
      },
    },
    (socket, req) => {
      const { hostId, id: ref } = req.params as { hostId: string; id: string };
      const q = { ...(req.query as LogsQuery), tail: (req.query as LogsQuery).tail ?? 500 };
      const client = streamSocket<LogsServerMessage, never>(app, socket, req, {
        noun: 'log stream',
        minRole: 'viewer',
        error: (message) => ({ type: 'error', message }),
        audit: { action: 'container.logs', target: { type: 'container', id: ref, name: ref, hostId } },
        unavailable: 'logs unavailable',
      });
      client.serve(async () => {
        const { engine, id } = await app.docker.containers.resolve(hostId, ref);
        const session = logSessions.claim(followKey(hostId, id, q), () => followSession(engine, id, q));
        await session.opened;
        return session;
      });
    },
  );

  const terminal = (mode: 'exec' | 'attach') => (socket: WebSocket, req: FastifyRequest) => {
    const { hostId, id: ref } = req.params as { hostId: string; id: string };
    const q = req.query as ExecQuery;
    const action = mode === 'exec' ? 'container.exec' : 'container.attach';
    const target = { type: 'container', id: ref, name: ref, hostId };
    let argv: string[] = [];
    // Exec is a shell: it ends with the operator role. Attach goes on read-only for a demoted viewer.
    const client = streamSocket<TerminalServerMessage, TerminalClientMessage>(app, socket, req, {
      noun: 'terminal',
      minRole: mode === 'exec' ? 'operator' : 'viewer',
      writeRole: 'operator',
      error: (message) => ({ type: 'error', message }),
      input: checkTerminal,
      audit: {
        action,
        target,
        params: {
          open: (readOnly) => ({ command: argv, user: q.user ?? null, readOnly }),
          close: (readOnly) => ({ command: argv, readOnly }),
          failed: () => ({ command: argv }),
        },
      },
      unavailable: 'terminal unavailable',
      describeError: (err) => (err instanceof SyntaxError ? 'cmd must be a JSON array of strings' : engineMessage(err)),
    });
    const { viewer, guard } = client;

    client.serve(async () => {
      if (mode === 'exec' && !viewer.canWrite) throw new Error('Your role may not open a shell in a container (operators and admins can)');
      argv = mode === 'exec' ? parseExecCommand(q.cmd) : [];
      if (q.user) validateUser(q.user, 'user');
      const { engine, id, name } = await app.docker.containers.resolve(hostId, ref);
      target.id = id;
      target.name = name;
      const container = engine.docker.getContainer(id);
      const info = await container.inspect();
      if (!info.State?.Running) throw new Error(`${name} is not running (${info.State?.Status ?? 'unknown'}): start it first`);
      if (info.State?.Paused) throw new Error(`${name} is paused: unpause it first`);
      // A shell has every power the container has: a non-admin gets one only in a container they
      // could have created under this engine's policy (attach with input: read-only instead).
      if (viewer.canWrite && (mode === 'exec' || info.Config?.OpenStdin === true)) {
        const { refusals } = await app.docker.judge.existing(engine, info, { isAdmin: false });
        if (refusals.length && roleAtLeast(guard.identity.user.role, 'admin')) {
          // An admin may: but the shell must end (attach: go read-only) if they stop being one.
          guard.raise(mode === 'exec' ? { minRole: 'admin', writeRole: 'admin' } : { writeRole: 'admin' });
        } else if (refusals.length) {
          const why = `${name} has settings a non-administrator could not have created on ${engine.host.name} (${refusals.join('; ')})`;
          if (mode === 'exec') throw new Error(`You may not open a shell here without an administrator: ${why}`);
          viewer.canWrite = false;
          client.send({ type: 'error', message: `Read-only: ${why}` });
        }
      }
      const size = { cols: q.cols ?? 80, rows: q.rows ?? 24 };
      const log = req.log;
      let session: StreamSession<TerminalServerMessage, string, ExitCode>;
      if (mode === 'exec') {
        // A shell is its owner's alone: a session of its own, outside any broker.
        const shell: StreamSession<TerminalServerMessage, string, ExitCode> = new StreamSession(
          terminalSession(
            dockerCommands.exec(name, argv, { user: q.user, tty: true }),
            execUpstream(container, argv, q.user, log, reaper),
            size,
          ),
          { onClose: () => execSessions.delete(shell) },
        );
        if (!shell.isClosed) execSessions.add(shell);
        session = shell;
      } else {
        // Writers share one stdin attach, watchers one without stdin: a watcher never holds the process's input.
        const stdin = viewer.canWrite && info.Config?.OpenStdin === true;
        const tty = info.Config?.Tty === true;
        session = attachSessions.claim(`${hostId}/${id}/${stdin ? 'stdin' : 'watch'}`, () =>
          terminalSession(dockerCommands.attach(name), attachUpstream(container, tty, stdin, log), size),
        );
      }
      await session.opened;
      // Each writer's window sets the size when it arrives, as a `docker attach` would.
      if (mode === 'attach') session.resize(viewer, size.cols, size.rows);
      return session;
    });
  };

  app.get(
    '/hosts/:hostId/containers/:id/exec',
    {
      websocket: true,
      schema: {
        tags: ['containers'],
        summary: 'Interactive terminal in a new exec session (websocket; TerminalClientMessage / TerminalServerMessage)',
        params: ContainerParams,
        querystring: ExecQuery,
      },
    },
    terminal('exec'),
  );

  app.get(
    '/hosts/:hostId/containers/:id/attach',
    {
      websocket: true,
      schema: {
        tags: ['containers'],
        summary: "Attach to the container's main process (websocket; viewers read-only)",
        params: ContainerParams,
        querystring: ExecQuery,
      },
    },
    terminal('attach'),
  );
}
