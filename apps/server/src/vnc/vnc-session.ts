import type { Duplex } from 'node:stream';
import type { VncServerMessage } from '@mirador/contract';
import { RfbError, ViewerStream, type ServerInit } from '@mirador/rfb';
import type { SessionViewer, ViewerSession } from '../streams/stream-protocol.js';

/** What the screen socket carries: RFB bytes (binary frames) and the contract's JSON messages. */
export type VncWire = VncServerMessage | Buffer;

/** Stop reading the display while this much is queued towards the browser; resume below a quarter of it. */
const MAX_BACKLOG = 8 * 1024 * 1024;
const BACKLOG_POLL_MS = 50;

export interface VncSessionHooks {
  /** Everyone watching this VM is told how many watch (joined / left). */
  joined(session: VncViewerSession): void;
  left(session: VncViewerSession): void;
}

/**
 * One browser's view of a VM's display: a tunnel of its own to the display (RFB is negotiated per
 * client — pixel format, encodings — so viewers cannot share one upstream the way terminals do;
 * QEMU shares the screen itself, since the handshake always asks it to). The display's ServerInit
 * was read by Mirador already; `ViewerStream` replays it to the browser after a password-less
 * handshake, then frames every client message so a view-only viewer's input is dropped here.
 */
export class VncViewerSession implements ViewerSession<VncWire, Buffer> {
  private viewer: SessionViewer<VncWire> | null = null;
  private rfb: ViewerStream | null = null;
  /** Display bytes that arrived before the browser finished its handshake. */
  private held: Buffer[] = [];
  private ended = false;
  private paused = false;
  readonly openedAt = Date.now();

  constructor(
    private readonly tunnel: Duplex,
    private readonly serverInit: ServerInit,
    leftover: Buffer,
    private readonly hooks: VncSessionHooks,
  ) {
    if (leftover.length) this.held.push(leftover);
    tunnel.on('data', (chunk: Buffer) => this.fromDisplay(chunk));
    // An SSH channel may report the display's end as 'end' only (half-open); either means it is gone.
    const gone = () => this.displayGone('The VM display closed (the VM was shut down or restarted)');
    tunnel.once('end', gone);
    tunnel.once('close', gone);
    tunnel.once('error', (err) => this.displayGone(`The connection to the display failed: ${err.message}`));
  }

  get readOnly() {
    return !this.viewer?.canWrite;
  }

  get droppedInput() {
    return this.rfb?.droppedInput ?? 0;
  }

  join(viewer: SessionViewer<VncWire>) {
    if (this.ended) {
      viewer.send({ type: 'status', state: 'closed', message: 'The VM display closed', readOnly: !viewer.canWrite });
      viewer.close(1000, 'display closed');
      return;
    }
    this.viewer = viewer;
    this.hooks.joined(this);
    this.rfb = new ViewerStream((bytes) => viewer.send(bytes), this.serverInit);
  }

  /** Tells this viewer its state (and how many watch the VM). */
  announce(viewers: number) {
    this.viewer?.send({
      type: 'status',
      state: 'connected',
      message: `Connected to the display "${this.serverInit.name}" (${this.serverInit.width}×${this.serverInit.height})`,
      readOnly: this.readOnly,
      viewers,
    });
  }

  input(viewer: SessionViewer<VncWire>, data: Buffer) {
    if (this.ended || !this.rfb) return;
    try {
      const wasReady = this.rfb.ready;
      const out = this.rfb.feed(data, viewer.canWrite);
      if (out.length) this.tunnel.write(out);
      if (!wasReady && this.rfb.ready) this.releaseHeld();
    } catch (err) {
      const message = err instanceof RfbError ? err.message : 'Malformed screen data';
      viewer.send({ type: 'error', message });
      viewer.close(1008, 'protocol error');
      this.end();
    }
  }

  resize() {}

  refresh(viewer: SessionViewer<VncWire>) {
    if (viewer === this.viewer) this.hooks.joined(this);
  }

  leave() {
    this.end();
  }

  /** The socket closed before joining. */
  release() {
    this.end();
  }

  private fromDisplay(chunk: Buffer) {
    if (this.ended) return;
    if (!this.rfb?.ready) {
      this.held.push(chunk);
      return;
    }
    this.viewer?.send(chunk);
    this.applyBackpressure();
  }

  private releaseHeld() {
    for (const chunk of this.held.splice(0)) this.viewer?.send(chunk);
  }

  /** A slow browser must not make Mirador buffer a display's worth of frames: stop reading until it catches up. */
  private applyBackpressure() {
    const viewer = this.viewer;
    if (!viewer || this.paused || viewer.backlog <= MAX_BACKLOG) return;
    this.paused = true;
    this.tunnel.pause();
    const poll = setInterval(() => {
      if (this.ended) return clearInterval(poll);
      if (viewer.backlog >= MAX_BACKLOG / 4) return;
      clearInterval(poll);
      this.paused = false;
      this.tunnel.resume();
    }, BACKLOG_POLL_MS);
    poll.unref();
  }

  private displayGone(message: string) {
    if (this.ended) return;
    const viewer = this.viewer;
    this.end();
    if (viewer) {
      viewer.send({ type: 'status', state: 'closed', message, readOnly: !viewer.canWrite });
      viewer.close(1000, 'display closed');
    }
  }

  private end() {
    if (this.ended) return;
    this.ended = true;
    this.held = [];
    this.tunnel.destroy();
    if (this.viewer) this.hooks.left(this);
  }
}
