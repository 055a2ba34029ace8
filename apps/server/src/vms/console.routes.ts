import type { FastifyInstance } from 'fastify';
import { Compile } from 'typebox/compile';
import { ConsoleClientMessage, VmParams, type ConsoleServerMessage } from '@mirador/contract';
import { streamSocket } from '../streams/socket-adapter.js';

const checkMessage = Compile(ConsoleClientMessage);

/**
 * Serial console over a websocket: xterm.js in the browser ↔ one shared `virsh console` per VM
 * (console-broker.ts). Viewers below the operator role watch read-only; revocation closes the
 * console, a typing user demoted to viewer goes on watching read-only. Opening and closing are audited.
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
      const client = streamSocket<ConsoleServerMessage, ConsoleClientMessage>(app, socket, req, {
        noun: 'console',
        minRole: 'viewer',
        writeRole: 'operator',
        error: (message) => ({ type: 'error', message }),
        input: checkMessage,
        audit: {
          action: 'vm.console',
          target: { type: 'vm', id: name, name, hostId },
          params: { open: (readOnly) => ({ readOnly }), close: (readOnly) => ({ readOnly }) },
        },
        unavailable: 'console unavailable',
      });
      client.serve(() => app.vms.consoleSession(hostId, name));
    },
  );
}
