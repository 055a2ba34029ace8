import type { Duplex } from 'node:stream';
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
import { DockerLogDemuxer, dockerCommands, splitTimestamp, validateUser } from '@mirador/docker';
import { roleAtLeast } from '../auth/auth.service.js';
import { actorOf } from '../audit/audit.plugin.js';
import { engineMessage } from './docker-errors.js';
import { lineSplitter, openLogStream } from './container-logs.js';

const checkTerminal = Compile(TerminalClientMessage);
/** Cap on what one websocket may have queued before we stop reading the engine (backpressure). */
const MAX_BUFFERED = 4 * 1024 * 1024;

function sender<T>(socket: WebSocket) {
  return (msg: T) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
  };
}

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
 * Live logs, exec terminals and attach, each over its own websocket. Terminals need an operator
 * (a shell in a container is root on its files); attach lets viewers watch read-only.
 * Opening and closing a terminal are audited.
 */
export default async function containerStreamRoutes(app: FastifyInstance) {
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
      const q = req.query as LogsQuery;
      const send = sender<LogsServerMessage>(socket);
      let closed = false;
      let stream: Duplex | null = null;
      const target = { type: 'container', id: ref, name: ref, hostId };
      const guard = app.identityWatch.register(socket, req.identity!, {
        noun: 'log stream',
        minRole: 'viewer',
        sendFinal: (message) => send({ type: 'error', message }),
        audit: { action: 'container.logs', actor: actorOf(req), sourceIp: req.ip, target },
      });
      // The protocol has no client messages; any that come still re-check who is listening.
      socket.on('message', () => guard.input(() => {}));
      socket.on('close', () => {
        closed = true;
        stream?.destroy();
      });
      void (async () => {
        try {
          const { engine, id } = await app.docker.containers.resolve(hostId, ref);
          const opened = await openLogStream(engine, id, { ...q, tail: q.tail ?? 500, follow: true });
          stream = opened.stream as unknown as Duplex;
          if (closed) return void stream.destroy();
          const withTs = q.timestamps === true;
          const split = lineSplitter(opened.tty, (s, line) => {
            if (!withTs) return send({ type: 'log', stream: s, data: line });
            const { ts, text } = splitTimestamp(line);
            send(ts ? { type: 'log', stream: s, data: text, ts } : { type: 'log', stream: s, data: text });
          });
          stream.on('data', (c: Buffer) => {
            split.push(c);
            if (socket.bufferedAmount > MAX_BUFFERED) {
              stream!.pause();
              const resume = setInterval(() => {
                if (closed) return clearInterval(resume);
                if (socket.bufferedAmount < MAX_BUFFERED / 4) {
                  clearInterval(resume);
                  stream!.resume();
                }
              }, 50);
            }
          });
          stream.on('end', () => {
            split.flush();
            send({ type: 'end', reason: 'The log stream ended (the container stopped or was removed)' });
            socket.close(1000, 'ended');
          });
          stream.on('error', (err) => {
            send({ type: 'error', message: engineMessage(err) });
            socket.close(1011, 'engine error');
          });
        } catch (err) {
          send({ type: 'error', message: (err as Error).message });
          socket.close(1008, 'logs unavailable');
        }
      })();
    },
  );

  const terminal = (mode: 'exec' | 'attach') => (socket: WebSocket, req: FastifyRequest) => {
    const { hostId, id: ref } = req.params as { hostId: string; id: string };
    const q = req.query as ExecQuery;
    const send = sender<TerminalServerMessage>(socket);
    let canWrite = roleAtLeast(req.identity!.user.role, 'operator');
    const actor = actorOf(req);
    const target = { type: 'container', id: ref, name: ref, hostId };
    const action = mode === 'exec' ? 'container.exec' : 'container.attach';
    const opened = Date.now();
    let readyCommand: string | null = null;
    // Exec is a shell: it ends with the operator role. Attach goes on read-only for a demoted viewer.
    const guard = app.identityWatch.register(socket, req.identity!, {
      noun: 'terminal',
      minRole: mode === 'exec' ? 'operator' : 'viewer',
      writeRole: 'operator',
      sendFinal: (message) => send({ type: 'error', message }),
      onReadOnly: (message) => {
        canWrite = false;
        send({ type: 'error', message });
        if (readyCommand) send({ type: 'ready', command: readyCommand, readOnly: true });
      },
      audit: { action, actor, sourceIp: req.ip, target },
    });
    let argv: string[] = [];
    let stream: Duplex | null = null;
    let closed = false;
    let auditedOpen = false;
    const early: unknown[] = [];
    let handle: ((m: unknown) => void) | null = null;

    socket.on('message', (raw) => {
      let msg: unknown;
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return send({ type: 'error', message: 'Messages must be JSON' });
      }
      // Every message waits for the identity re-check; keystrokes count as use of the session.
      guard.input(
        () => {
          if (handle) handle(msg);
          else if (early.length < 256) early.push(msg);
        },
        { activity: true },
      );
    });
    socket.on('close', () => {
      closed = true;
      stream?.destroy();
      if (auditedOpen) {
        void app.audit
          .append({
            actor,
            sourceIp: req.ip,
            action: `${action}.close`,
            target,
            params: { command: argv, readOnly: !canWrite },
            result: 'ok',
            durationMs: Date.now() - opened,
          })
          .catch((err) => req.log.error({ err }, 'audit failed'));
      }
    });

    void (async () => {
      try {
        if (mode === 'exec' && !canWrite) throw new Error('Your role may not open a shell in a container (operators and admins can)');
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
        if (canWrite && (mode === 'exec' || info.Config?.OpenStdin === true)) {
          const { refusals } = await app.docker.judge.existing(engine, info, { isAdmin: false });
          if (refusals.length && roleAtLeast(guard.identity.user.role, 'admin')) {
            // An admin may: but the shell must end (attach: go read-only) if they stop being one.
            guard.raise(mode === 'exec' ? { minRole: 'admin', writeRole: 'admin' } : { writeRole: 'admin' });
          } else if (refusals.length) {
            const why = `${name} has settings a non-administrator could not have created on ${engine.host.name} (${refusals.join('; ')})`;
            if (mode === 'exec') throw new Error(`You may not open a shell here without an administrator: ${why}`);
            canWrite = false;
            send({ type: 'error', message: `Read-only: ${why}` });
          }
        }
        const cols = q.cols ?? 80;
        const rows = q.rows ?? 24;
        let tty = true;
        let resize: (c: number, r: number) => Promise<unknown>;
        let exitCode: () => Promise<number | null>;
        if (mode === 'exec') {
          const exec = await container.exec({
            Cmd: argv,
            AttachStdin: true,
            AttachStdout: true,
            AttachStderr: true,
            Tty: true,
            // No COLUMNS/LINES: shells and BusyBox tools prefer them to the pty's size, so resizes would be ignored.
            Env: ['TERM=xterm-256color'],
            ...(q.user ? { User: q.user } : {}),
          });
          stream = (await exec.start({ hijack: true, stdin: true, Tty: true, ConsoleSize: [rows, cols] } as never)) as unknown as Duplex;
          resize = (w, h) => exec.resize({ w, h });
          // The engine answers start before the process runs, and drops resizes sent in that gap.
          for (let i = 0; i < 40; i++) {
            const state = await exec.inspect().catch(() => null);
            if (!state || state.Running || state.ExitCode !== null) break;
            await new Promise((r) => setTimeout(r, 25));
          }
          exitCode = async () => (await exec.inspect()).ExitCode ?? null;
        } else {
          tty = info.Config?.Tty === true;
          stream = (await container.attach({
            stream: true,
            stdin: canWrite && info.Config?.OpenStdin === true,
            stdout: true,
            stderr: true,
            hijack: true,
          })) as unknown as Duplex;
          resize = (w, h) => container.resize({ w, h });
          exitCode = async () => (await container.inspect()).State?.ExitCode ?? null;
        }
        if (closed) return void stream.destroy();
        await app.audit
          .append({
            actor,
            sourceIp: req.ip,
            action: `${action}.open`,
            target,
            params: { command: argv, user: q.user ?? null, readOnly: !canWrite },
            result: 'ok',
          })
          .catch(() => {});
        auditedOpen = true;
        await resize(cols, rows).catch(() => {});
        const command = mode === 'exec' ? dockerCommands.exec(name, argv, { user: q.user, tty: true }) : dockerCommands.attach(name);
        readyCommand = command;
        send({ type: 'ready', command, readOnly: !canWrite });
        const decoder = new TextDecoder();
        const demux = tty ? null : new DockerLogDemuxer();
        const s = stream;
        s.on('data', (chunk: Buffer) => {
          if (!demux) return send({ type: 'output', data: decoder.decode(chunk, { stream: true }) });
          for (const f of demux.push(chunk)) send({ type: 'output', data: decoder.decode(f.data, { stream: true }) });
        });
        s.on('end', () => {
          void exitCode()
            .catch(() => null)
            .then((code) => {
              send({ type: 'exit', code });
              socket.close(1000, 'exited');
            });
        });
        s.on('error', (err) => send({ type: 'error', message: engineMessage(err) }));
        handle = (msg) => {
          if (guard.closed) return;
          if (!checkTerminal.Check(msg)) return send({ type: 'error', message: 'Unknown or malformed message' });
          if (msg.type === 'input') {
            if (!canWrite) return send({ type: 'error', message: 'Read-only: your role may watch but not type' });
            s.write(msg.data);
          } else if (!canWrite) return;
          else void resize(msg.cols, msg.rows).catch((err) => req.log.warn({ err: engineMessage(err) }, 'terminal resize failed'));
        };
        for (const m of early.splice(0)) handle(m);
      } catch (err) {
        const message = err instanceof SyntaxError ? 'cmd must be a JSON array of strings' : engineMessage(err);
        send({ type: 'error', message });
        await app.audit
          .append({
            actor,
            sourceIp: req.ip,
            action: `${action}.open`,
            target,
            params: { command: argv },
            result: 'error',
            errorMessage: message,
          })
          .catch(() => {});
        socket.close(1008, 'terminal unavailable');
      }
    })();
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
