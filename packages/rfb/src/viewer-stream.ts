import { RfbError } from './byte-queue.js';
import { clientMessageLength, isInputMessage } from './client-messages.js';
import { RFB_VERSION_38, type ServerInit } from './server-handshake.js';

const SECURITY_NONE = 1;
const VIEWER_VERSION = /^RFB 003\.00[78]\n$/;

type Phase = 'version' | 'security' | 'init' | 'messages';

/**
 * Mirador as the VNC server its browser viewer (noVNC) talks to. The real display's security was
 * already done by Mirador (server-handshake.ts), so the viewer is offered "None": the display's
 * password never reaches a browser. After the handshake the viewer's messages are framed one by
 * one; from a viewer that may not write, input messages are dropped — the server decides what
 * view-only means, not the client's `viewOnly` flag.
 */
export class ViewerStream {
  private phase: Phase = 'version';
  private pending = Buffer.alloc(0);
  private v38 = true;
  /** Input messages dropped because the viewer may not write (for the audit and the tests). */
  droppedInput = 0;

  constructor(
    private readonly send: (data: Buffer) => void,
    private readonly serverInit: ServerInit,
  ) {
    send(Buffer.from(RFB_VERSION_38, 'latin1'));
  }

  get ready() {
    return this.phase === 'messages';
  }

  /** Takes the viewer's bytes; returns what goes on to the display. Throws RfbError when the viewer breaks the protocol. */
  feed(data: Uint8Array, canWrite: boolean): Buffer {
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data);
    const out: Buffer[] = [];
    for (;;) {
      const used = this.step(canWrite, out);
      if (used === 0) break;
      this.pending = this.pending.subarray(used);
    }
    if (this.pending.length > 2 * 1024 * 1024) throw new RfbError('The viewer sent an oversized message');
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** One step of the state machine; returns how many bytes it used (0: wait for more). */
  private step(canWrite: boolean, out: Buffer[]): number {
    const buf = this.pending;
    switch (this.phase) {
      case 'version': {
        if (buf.length < 12) return 0;
        const v = buf.subarray(0, 12).toString('latin1');
        if (!VIEWER_VERSION.test(v)) throw new RfbError('The viewer does not speak RFB 3.7 or 3.8');
        this.v38 = v === RFB_VERSION_38;
        this.send(Buffer.from([1, SECURITY_NONE]));
        this.phase = 'security';
        return 12;
      }
      case 'security':
        if (buf.length < 1) return 0;
        if (buf[0] !== SECURITY_NONE) throw new RfbError('The viewer chose a security type that was not offered');
        if (this.v38) this.send(Buffer.alloc(4)); // SecurityResult: OK
        this.phase = 'init';
        return 1;
      case 'init':
        if (buf.length < 1) return 0;
        // The viewer's shared flag is ignored: Mirador always asked the display to share.
        this.send(this.serverInit.bytes);
        this.phase = 'messages';
        return 1;
      case 'messages': {
        const len = clientMessageLength(buf);
        if (len === null || buf.length < len) return 0;
        const msg = buf.subarray(0, len);
        if (canWrite || !isInputMessage(msg)) out.push(Buffer.from(msg));
        else this.droppedInput++;
        return len;
      }
    }
  }
}
