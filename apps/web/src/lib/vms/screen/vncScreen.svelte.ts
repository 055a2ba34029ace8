/**
 * One VM's graphical console: a ticket, the VNC socket, and noVNC drawing it into `target`. Every
 * (re)connect asks for a new ticket (they are single-use). A dropped socket re-connects with capped
 * backoff; the server's final answers (session gone, role too low, ticket refused) do not, since
 * trying again would only be refused again. Construct it during component initialisation (it closes
 * itself when the component goes away), then `$effect(() => screen.start(target, hostId, name))`.
 */
import { VNC_CLOSE, VNC_SUBPROTOCOL, VNC_TICKET_PREFIX, type VncServerMessage } from '@mirador/contract';
import type RFB from '@novnc/novnc';
import { api, ApiError, apiHref, errorMessage } from '$lib/api';
import {
  backoffDelay,
  checkSession,
  CLOSE_FORBIDDEN,
  CLOSE_UNAUTHENTICATED,
  socketUrl,
  type Backoff,
} from '$lib/streams/streamSocket.svelte';
import { MAX_TYPED_CHARS, textToKeystrokes, XK_SHIFT_L } from './keystrokes';
import { VncChannel } from './vncChannel';

/**
 * idle: not started · connecting: ticket, socket and VNC handshake under way · connected: the screen
 * shows · retrying: waiting for the next attempt · ended: refused for good, until "Reconnect".
 */
export type ScreenPhase = 'idle' | 'connecting' | 'connected' | 'retrying' | 'ended';

const BACKOFF: Backoff = { minMs: 1000, maxMs: 30_000 };
/** Ticket answers that another attempt would not change. */
const FINAL_HTTP = new Set([401, 403, 404]);

/** noVNC is browser-only (it touches `window` when loaded): loaded on first use, never during SSR. */
let rfbModule: Promise<typeof RFB> | null = null;
function loadRfb(): Promise<typeof RFB> {
  rfbModule ??= import('@novnc/novnc').then((m) => m.default);
  return rfbModule;
}

export class VncScreen {
  phase = $state<ScreenPhase>('idle');
  /** What the server (or the ticket request) last said: its status message, an error, or the close reason. */
  message = $state('');
  /** Keys, pointer and clipboard are not the caller's to send (the server drops them anyway). */
  readOnly = $state(false);
  /** The same screen from a workstation (from the ticket). */
  command = $state<string | null>(null);
  /** When the next attempt starts (epoch ms) while `retrying`. */
  retryAt = $state<number | null>(null);
  /** Scale the guest's screen to the available space (otherwise 1:1, scrolled). */
  scale = $state(true);

  #target: HTMLElement | null = null;
  #path = '';
  #ticketParams: { hostId: string; name: string } | null = null;
  #rfb: RFB | null = null;
  #channel: VncChannel | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  /** Bumped whenever an attempt is abandoned: answers of older attempts are dropped. */
  #generation = 0;

  constructor() {
    $effect(() => () => this.stop());
  }

  /** Connects `target` to the screen of VM `name` on `hostId`; returns the function that stops it. */
  start(target: HTMLElement, hostId: string, name: string): () => void {
    this.stop();
    this.#target = target;
    this.#ticketParams = { hostId, name };
    // The websocket is not in the OpenAPI document: its path is the VM's, plus /vnc.
    this.#path = `${apiHref('/api/hosts/{hostId}/vms/{name}', { hostId, name })}/vnc`;
    this.#attempt = 0;
    void this.#open();
    return () => this.stop();
  }

  /** Starts over at once with a new ticket (the "Reconnect" button). */
  reconnect(): void {
    if (!this.#target || !this.#ticketParams) return;
    this.#drop();
    this.#attempt = 0;
    void this.#open();
  }

  stop(): void {
    this.#drop();
    this.#target = null;
    this.#ticketParams = null;
    this.phase = 'idle';
  }

  setScale(scale: boolean): void {
    this.scale = scale;
    if (this.#rfb) this.#rfb.scaleViewport = scale;
  }

  sendCtrlAltDel(): void {
    this.#rfb?.sendCtrlAltDel();
    this.#rfb?.focus();
  }

  /**
   * Types `text` into the guest, key by key, and offers it as the VNC clipboard too (for guests with a
   * clipboard agent). Returns how many characters were typed (capped at `MAX_TYPED_CHARS`).
   */
  type(text: string): number {
    const rfb = this.#rfb;
    if (!rfb || this.readOnly || this.phase !== 'connected') return 0;
    const typed = [...text].slice(0, MAX_TYPED_CHARS).join('');
    rfb.clipboardPasteFrom(typed);
    for (const { keysym, shift } of textToKeystrokes(typed)) {
      if (shift) rfb.sendKey(XK_SHIFT_L, 'ShiftLeft', true);
      rfb.sendKey(keysym, null);
      if (shift) rfb.sendKey(XK_SHIFT_L, 'ShiftLeft', false);
    }
    rfb.focus();
    return [...typed].length;
  }

  /** Forgets the current attempt (noVNC, socket, pending retry) without a phase change of its own. */
  #drop(): void {
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.retryAt = null;
    const rfb = this.#rfb;
    const channel = this.#channel;
    this.#rfb = null;
    this.#channel = null;
    // noVNC closes the channel itself; without noVNC (it failed to start) the socket is closed here.
    if (rfb) rfb.disconnect();
    else channel?.close();
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    const target = this.#target;
    const params = this.#ticketParams;
    if (!target || !params) return;
    this.#timer = null;
    this.retryAt = null;
    this.phase = 'connecting';
    let Rfb: typeof RFB;
    let ticket: { ticket: string; readOnly: boolean; command: string };
    try {
      [Rfb, ticket] = await Promise.all([loadRfb(), api.POST('/api/hosts/{hostId}/vms/{name}/vnc/ticket', { params: { path: params } })]);
    } catch (err) {
      if (generation !== this.#generation) return;
      this.message = errorMessage(err);
      if (err instanceof ApiError && FINAL_HTTP.has(err.status)) this.phase = 'ended';
      else this.#retry();
      return;
    }
    if (generation !== this.#generation) return;
    this.readOnly = ticket.readOnly;
    this.command = ticket.command;

    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl(this.#path), [VNC_SUBPROTOCOL, VNC_TICKET_PREFIX + ticket.ticket]);
    } catch (err) {
      this.message = errorMessage(err);
      this.#retry();
      return;
    }
    const channel = new VncChannel(ws, {
      onserver: (msg) => {
        if (this.#channel === channel) this.#onServer(msg);
      },
      onclosed: (code, reason) => {
        if (this.#channel === channel) this.#closed(code, reason);
      },
    });
    this.#channel = channel;
    const rfb = new Rfb(target, channel, { shared: true });
    rfb.viewOnly = ticket.readOnly;
    rfb.scaleViewport = this.scale;
    rfb.background = 'transparent';
    rfb.addEventListener('connect', () => {
      if (this.#rfb !== rfb) return;
      // A connection that showed the screen worked: the next failure starts the backoff over.
      this.#attempt = 0;
      this.phase = 'connected';
    });
    this.#rfb = rfb;
  }

  #onServer(msg: VncServerMessage): void {
    if (msg.type === 'error') {
      this.message = msg.message;
      return;
    }
    this.message = msg.message;
    this.readOnly = msg.readOnly;
    if (this.#rfb && msg.readOnly) this.#rfb.viewOnly = true;
  }

  #closed(code: number, reason: string): void {
    // noVNC has seen the close and takes its canvas away by itself.
    this.#rfb = null;
    this.#channel = null;
    if (reason && (code !== 1000 || !this.message)) this.message = reason;
    switch (code) {
      case CLOSE_UNAUTHENTICATED:
        this.phase = 'ended';
        checkSession();
        return;
      case CLOSE_FORBIDDEN:
      case VNC_CLOSE.ticketRefused:
        this.phase = 'ended';
        return;
      default:
        this.#retry();
    }
  }

  #retry(): void {
    this.phase = 'retrying';
    const delay = backoffDelay(BACKOFF, this.#attempt++);
    this.retryAt = Date.now() + delay;
    this.#timer = setTimeout(() => void this.#open(), delay);
  }
}
