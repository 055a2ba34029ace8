import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import { ClientMessage, parseTopic, type ServerMessage } from '@mirador/contract';
import { roleAtLeast, toMe } from '../auth/auth.service.js';
import { actorOf } from '../audit/audit.plugin.js';
import type { Identity } from '../auth/identity.js';

const checkClientMessage = Compile(ClientMessage);
const MAX_SUBSCRIPTIONS = 100;
/** A client this far behind is too slow to keep up; dropping it protects the server's memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

function mayRead(identity: Identity, topic: string): boolean {
  // The schema already refused anything that is not a topic; parsing again names what it is.
  const t = parseTopic(topic);
  if (!t) return false;
  if (t.kind === 'audit') return roleAtLeast(identity.user.role, 'admin');
  return true;
}

/**
 * One websocket per browser tab. Authentication happened in the auth plugin's onRequest
 * hook (cookie or token, same as REST); here the client picks topics to follow.
 */
export default async function wsRoutes(app: FastifyInstance) {
  const sockets = new Set<WebSocket>();
  app.addHook('preClose', async () => {
    for (const s of sockets) s.close(1001, 'Mirador is shutting down');
  });

  app.get(
    '/ws',
    { websocket: true, schema: { tags: ['realtime'], summary: 'Realtime messages (websocket; see ServerMessage in the contract)' } },
    (socket, req) => {
      const identity = req.identity!;
      const subscriptions = new Map<string, () => void>();
      sockets.add(socket);

      const send = (msg: ServerMessage) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'Too far behind; reconnect');
          return;
        }
        socket.send(JSON.stringify(msg));
      };

      // A revoked identity loses the socket; a demoted one loses the topics its new role may not read.
      const guard = app.identityWatch.register(socket, identity, {
        noun: 'live connection',
        minRole: 'viewer',
        sendFinal: (message) => send({ type: 'error', message }),
        onRoleChange: (now) => {
          for (const [topic, off] of subscriptions) {
            if (mayRead(now, topic)) continue;
            off();
            subscriptions.delete(topic);
            send({ type: 'error', topic, message: `Your role is now ${now.user.role}: it may no longer follow this topic` });
          }
        },
        audit: { action: 'realtime', actor: actorOf(req), sourceIp: req.ip, target: { type: 'websocket', name: '/api/ws' } },
      });

      // Listeners are attached before any await so early messages are not lost.
      socket.on('message', (raw) => guard.input((current) => handle(raw.toString(), current)));

      const handle = (raw: string, identity: Identity) => {
        let msg: unknown;
        try {
          msg = JSON.parse(raw);
        } catch {
          return send({ type: 'error', message: 'Messages must be JSON' });
        }
        if (!checkClientMessage.Check(msg)) return send({ type: 'error', message: 'Unknown or malformed message' });
        if (msg.type === 'ping') return send({ type: 'pong', ...(msg.id !== undefined ? { id: msg.id } : {}) });
        if (msg.type === 'unsubscribe') {
          subscriptions.get(msg.topic)?.();
          subscriptions.delete(msg.topic);
          return send({ type: 'unsubscribed', topic: msg.topic });
        }
        if (!mayRead(identity, msg.topic)) return send({ type: 'error', topic: msg.topic, message: 'Your role may not follow this topic' });
        if (subscriptions.has(msg.topic)) return send({ type: 'subscribed', topic: msg.topic });
        if (subscriptions.size >= MAX_SUBSCRIPTIONS) return send({ type: 'error', topic: msg.topic, message: 'Too many subscriptions' });
        subscriptions.set(msg.topic, app.bus.subscribe(msg.topic, send));
        send({ type: 'subscribed', topic: msg.topic });
      };

      socket.on('close', () => {
        for (const off of subscriptions.values()) off();
        subscriptions.clear();
        sockets.delete(socket);
      });
      socket.on('error', () => socket.terminate());

      send({ type: 'hello', user: toMe(identity) });
    },
  );
}
