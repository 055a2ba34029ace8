import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { VNC_CLOSE, VNC_TICKET_PREFIX, VmParams, VncTicket, errorResponses } from '@mirador/contract';
import { roleAtLeast } from '../auth/auth.service.js';
import { HttpError, notFound } from '../lib/http-errors.js';
import { streamSocket } from '../streams/socket-adapter.js';
import type { VncWire } from './vnc-session.js';
import { ScreenUnavailable, type ScreenHost } from './vnc-screens.js';

class TicketRefused extends Error {}

/** The ticket rides as the second subprotocol (`ticket.<value>`); never in the URL, so never in a log line. */
function ticketOf(req: FastifyRequest): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(VNC_TICKET_PREFIX))?.slice(VNC_TICKET_PREFIX.length) || undefined;
}

/**
 * The graphical console: a ticket from an authenticated (audited) call, then a websocket that
 * tunnels RFB to the VM's loopback VNC display through the host's pinned SSH connection. Viewers
 * watch view-only (the server drops their input); revocation closes the screen, demotion makes it
 * view-only, like the serial console.
 */
export default async function vncRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const screens = app.screens;

  async function hostOf(hostId: string): Promise<ScreenHost> {
    const host = await app.db.host.findUnique({ where: { id: hostId } });
    if (!host?.libvirtUri) throw notFound(`Host ${hostId} with libvirt`);
    return { ...host, libvirtUri: host.libvirtUri };
  }

  app.post(
    '/hosts/:hostId/vms/:name/vnc/ticket',
    {
      // Watching is allowed to viewers; what they may do on the screen is decided per message.
      config: { role: 'viewer' },
      audit: { action: 'vm.vnc.ticket', target: { type: 'vm', id: 'params.name', name: 'params.name', hostId: 'params.hostId' } },
      schema: {
        tags: ['vms'],
        summary: "A single-use ticket (30 s) to open this VM's screen for the caller",
        params: VmParams,
        response: { 200: VncTicket, ...errorResponses },
      },
    },
    async (req) => {
      const { hostId, name } = req.params;
      const host = await hostOf(hostId);
      await screens.check(hostId, name).catch((err: unknown) => {
        throw err instanceof ScreenUnavailable ? new HttpError(409, err.message, { code: 'screen_unavailable' }) : err;
      });
      const { ticket, expiresAt } = screens.tickets.issue(req.identity!.user.id, hostId, name);
      return {
        ticket,
        expiresAt: expiresAt.toISOString(),
        readOnly: !roleAtLeast(req.identity!.user.role, 'operator'),
        command: screens.commandFor(host, name),
      };
    },
  );

  app.get(
    '/hosts/:hostId/vms/:name/vnc',
    {
      websocket: true,
      schema: {
        tags: ['vms'],
        summary:
          'Graphical console (websocket; subprotocols mirador.vnc + ticket.<ticket>; RFB in binary frames, VncServerMessage in text)',
        params: VmParams,
      },
    },
    (socket, req) => {
      const { hostId, name } = req.params as { hostId: string; name: string };
      let readOnlyAtOpen = true;
      const client = streamSocket<VncWire, never, Buffer>(app, socket, req, {
        noun: 'screen',
        minRole: 'viewer',
        writeRole: 'operator',
        binary: true,
        error: (message) => ({ type: 'error', message }),
        audit: {
          action: 'vm.vnc',
          target: { type: 'vm', id: name, name, hostId },
          params: { open: (readOnly) => ({ readOnly: (readOnlyAtOpen = readOnly) }), close: (readOnly) => ({ readOnly, readOnlyAtOpen }) },
        },
        unavailable: 'screen unavailable',
        closeCode: (err) => (err instanceof TicketRefused ? VNC_CLOSE.ticketRefused : undefined),
      });
      client.send({
        type: 'status',
        state: 'connecting',
        message: 'Opening the display through the host connection',
        readOnly: !client.viewer.canWrite,
      });
      // Spent at once, before any await: a second socket with the same ticket loses even mid-open.
      const redeemed = screens.tickets.redeem(ticketOf(req), req.identity!.user.id, hostId, name);
      client.serve(async () => {
        if (!redeemed.ok) throw new TicketRefused(redeemed.reason);
        return screens.open(await hostOf(hostId), name);
      });
    },
  );
}
