import type { FastifyInstance } from 'fastify';
import { Compile } from 'typebox/compile';
import { ConsoleClientMessage, VmParams, type ConsoleServerMessage } from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { actorOf } from '../audit/audit.plugin.js';
import type { ConsoleSession, ConsoleViewer } from './console-broker.js';

const checkMessage = Compile(ConsoleClientMessage);

/**
 * Serial console over a websocket: xterm.js in the browser ↔ one shared `virsh console` per VM.
 * Viewers below the operator role watch read-only. Opening and closing are audited.
 */
export default async function consoleRoutes(app: FastifyInstance) {
  app.get(
    '/hosts/:hostId/vms/:name/console',
    {
      websocket: true,
      schema: { tags: ['vms'], summary: 'Serial console (websocket; ConsoleClientMessage / ConsoleServerMessage)', params: VmParams },
    },
    (socket, req) => {
      const { hostId, name } = req.params as { hostId: string; name: string };
      const identity = req.identity!;
      const canWrite = roleAtLeast(identity.user.role, 'operator');
      const opened = Date.now();
      const target = { type: 'vm', id: name, name, hostId };
      const actor = actorOf(req);
      const viewer: ConsoleViewer = {
        canWrite,
        send: (msg: ConsoleServerMessage) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
        },
      };
      let session: ConsoleSession | null = null;
      // Revocation closes the console; a typing user demoted to viewer goes on watching read-only.
      const guard = app.identityWatch.register(socket, identity, {
        noun: 'console',
        minRole: 'viewer',
        writeRole: 'operator',
        sendFinal: (message) => viewer.send({ type: 'error', message }),
        onReadOnly: (message) => {
          viewer.canWrite = false;
          viewer.send({ type: 'error', message });
          session?.refresh(viewer);
        },
        audit: { action: 'vm.console', actor, sourceIp: req.ip, target },
      });
      // Messages can arrive before the session is ready: queue them rather than lose keystrokes.
      const early: unknown[] = [];
      let handle: ((msg: unknown) => void) | null = null;
      socket.on('message', (raw) => {
        let msg: unknown;
        try {
          msg = JSON.parse(raw.toString());
        } catch {
          return viewer.send({ type: 'error', message: 'Messages must be JSON' });
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

      let closed = false;
      socket.on('close', () => {
        closed = true;
        session?.leave(viewer);
        void app.audit
          .append({
            actor,
            sourceIp: req.ip,
            action: 'vm.console.close',
            target,
            params: { readOnly: !viewer.canWrite },
            result: 'ok',
            durationMs: Date.now() - opened,
          })
          .catch((err) => req.log.error({ err }, 'audit failed'));
      });

      void (async () => {
        try {
          session = await app.vms.consoleSession(hostId, name);
        } catch (err) {
          viewer.send({ type: 'error', message: (err as Error).message });
          await app.audit
            .append({ actor, sourceIp: req.ip, action: 'vm.console.open', target, result: 'error', errorMessage: (err as Error).message })
            .catch(() => {});
          socket.close(1008, 'console unavailable');
          return;
        }
        if (closed) return;
        await app.audit
          .append({ actor, sourceIp: req.ip, action: 'vm.console.open', target, params: { readOnly: !canWrite }, result: 'ok' })
          .catch(() => {});
        if (closed || guard.closed) return;
        const s = session;
        handle = (msg) => {
          if (guard.closed) return;
          if (!checkMessage.Check(msg)) return viewer.send({ type: 'error', message: 'Unknown or malformed message' });
          if (msg.type === 'input') {
            if (!viewer.canWrite)
              return viewer.send({ type: 'error', message: 'Read-only: your role may watch this console but not type' });
            s.input(viewer, msg.data);
          } else s.resize(viewer, msg.cols, msg.rows);
        };
        s.join(viewer);
        for (const m of early.splice(0)) handle(m);
      })();
    },
  );
}
