import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * The graphical console (VNC) of a VM. The browser first asks for a ticket (an authenticated, audited
 * POST), then opens the websocket `/api/hosts/:hostId/vms/:name/vnc` offering two subprotocols:
 * `VNC_SUBPROTOCOL` and `VNC_TICKET_PREFIX + ticket`. The ticket is single-use, expires after
 * `expiresAt`, and only opens the screen of that VM for the user it was issued to. It travels as a
 * subprotocol, not in the URL, so it never lands in access logs.
 *
 * On the socket, binary frames are RFB (the VNC protocol, as noVNC speaks it: Mirador presents the
 * "None" security type and does the VM's own VNC authentication itself, so the VNC password never
 * reaches the browser). Text frames from the server are JSON `VncServerMessage`s; the client sends
 * binary frames only. Below the operator role the screen is view-only: keys, pointer and clipboard
 * messages are dropped by the server.
 */
export const VNC_SUBPROTOCOL = 'mirador.vnc';
export const VNC_TICKET_PREFIX = 'ticket.';

export const VncTicket = Type.Object({
  ticket: Type.String(),
  expiresAt: Timestamp,
  /** What the caller's role allows when the ticket is issued (the server re-checks on every message). */
  readOnly: Type.Boolean(),
  /** The same screen from a workstation: virt-viewer over the host's SSH login, as Mirador tunnels it. */
  command: Type.String(),
});
export type VncTicket = Static<typeof VncTicket>;

export const VncServerMessage = Type.Union([
  Type.Object({
    type: Type.Literal('status'),
    /** connecting: tunnel and VNC handshake under way; connected: RFB frames follow; closed: the screen ended. */
    state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('closed')]),
    message: Type.String(),
    readOnly: Type.Boolean(),
    /** How many Mirador viewers watch this VM's screen now (connected state). */
    viewers: Type.Optional(Type.Integer()),
  }),
  Type.Object({ type: Type.Literal('error'), message: Type.String() }),
]);
export type VncServerMessage = Static<typeof VncServerMessage>;

/** Close codes of the VNC socket besides the generic ones (4401 session gone, 4403 role too low). */
export const VNC_CLOSE = {
  /** The ticket was missing, expired, already used, or issued to someone else / for another VM. */
  ticketRefused: 4408,
  /** The VM is off, has no VNC display, or its display cannot be reached through the host. */
  unavailable: 1008,
} as const;
