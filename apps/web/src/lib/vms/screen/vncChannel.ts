/**
 * The VNC socket as noVNC sees it. Mirador's VNC socket carries two kinds of frames: binary ones are
 * RFB (noVNC's business) and text ones are the server's JSON `VncServerMessage`s (ours). noVNC accepts
 * any WebSocket-like object instead of a URL (websock.js `attach()` checks for `send`, `close`,
 * `binaryType`, `protocol`, `readyState` and the four `on*` handlers, as own or class members), so this
 * wraps the real socket: binary frames go to noVNC, text frames go to `onserver`, and never the other way.
 */
import type { VncServerMessage } from '@mirador/contract';
import type { RfbChannel } from '@novnc/novnc';

export interface VncChannelHooks {
  /** A text frame: the server's status or error. */
  onserver(msg: VncServerMessage): void;
  /** The socket closed; called after noVNC has been told. */
  onclosed(code: number, reason: string): void;
}

export class VncChannel implements RfbChannel {
  // Own fields, not accessors: noVNC assigns them in `attach()`.
  onopen: RfbChannel['onopen'] = null;
  onmessage: RfbChannel['onmessage'] = null;
  onclose: RfbChannel['onclose'] = null;
  onerror: RfbChannel['onerror'] = null;

  readonly #ws: WebSocket;

  constructor(ws: WebSocket, hooks: VncChannelHooks) {
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = (ev) => this.onopen?.(ev);
    ws.onmessage = (ev: MessageEvent<unknown>) => {
      if (ev.data instanceof ArrayBuffer) this.onmessage?.({ data: ev.data });
      else if (typeof ev.data === 'string') {
        let msg: VncServerMessage;
        try {
          msg = JSON.parse(ev.data) as VncServerMessage;
        } catch {
          return;
        }
        hooks.onserver(msg);
      }
    };
    ws.onerror = (ev) => this.onerror?.(ev);
    ws.onclose = (ev) => {
      this.onclose?.(ev);
      hooks.onclosed(ev.code, ev.reason);
    };
  }

  /** Always `arraybuffer`: that is how binary frames are told apart from text ones (noVNC sets the same). */
  get binaryType(): string {
    return 'arraybuffer';
  }
  set binaryType(_value: string) {
    /* kept as arraybuffer */
  }

  get protocol(): string {
    return this.#ws.protocol;
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  send(data: ArrayBuffer | ArrayBufferView): void {
    this.#ws.send(data as ArrayBufferView<ArrayBuffer>);
  }

  close(): void {
    this.#ws.close(1000, 'bye');
  }
}
