import { RfbError } from './byte-queue.js';

/** Client-to-server RFB message types Mirador lets through (RFC 6143 and the common extensions noVNC uses). */
export const ClientMessage = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
  EnableContinuousUpdates: 150,
  ClientFence: 248,
  SetDesktopSize: 251,
  Qemu: 255,
} as const;

const QEMU_EXTENDED_KEY_EVENT = 0;
const QEMU_AUDIO = 1;
/** A paste bigger than this is not a paste; the server would buffer it whole. */
const MAX_CUT_TEXT = 1024 * 1024;

/**
 * The length of the message at the start of `buf`, or null when more bytes are needed to tell.
 * A type Mirador does not know ends the session: without its length the stream cannot be framed,
 * and an unframed stream could smuggle input past the view-only filter.
 */
export function clientMessageLength(buf: Buffer): number | null {
  if (buf.length < 1) return null;
  const need = (n: number) => (buf.length >= n ? n : null);
  switch (buf[0]) {
    case ClientMessage.SetPixelFormat:
      return 20;
    case ClientMessage.SetEncodings:
      return need(4) && 4 + 4 * buf.readUInt16BE(2);
    case ClientMessage.FramebufferUpdateRequest:
    case ClientMessage.EnableContinuousUpdates:
      return 10;
    case ClientMessage.KeyEvent:
      return 8;
    case ClientMessage.PointerEvent:
      return 6;
    case ClientMessage.ClientCutText: {
      if (!need(8)) return null;
      // A negative length is the extended-clipboard form; its payload is |length| bytes.
      const len = Math.abs(buf.readInt32BE(4));
      if (len > MAX_CUT_TEXT) throw new RfbError('Clipboard text over 1 MiB refused');
      return 8 + len;
    }
    case ClientMessage.ClientFence:
      return need(9) && 9 + buf[8]!;
    case ClientMessage.SetDesktopSize:
      return need(8) && 8 + 16 * buf[6]!;
    case ClientMessage.Qemu: {
      if (!need(2)) return null;
      if (buf[1] === QEMU_EXTENDED_KEY_EVENT) return 12;
      if (buf[1] === QEMU_AUDIO) {
        if (!need(4)) return null;
        return buf.readUInt16BE(2) === 2 ? 10 : 4;
      }
      throw new RfbError(`Unknown QEMU client message ${buf[1]}`);
    }
    default:
      throw new RfbError(`Unknown RFB client message type ${buf[0]}`);
  }
}

/**
 * Messages that act on the guest or on what others see: keys, pointer, clipboard, resizing the
 * screen, audio. A view-only viewer may still ask for frames and set its own pixel format.
 */
export function isInputMessage(msg: Buffer): boolean {
  switch (msg[0]) {
    case ClientMessage.KeyEvent:
    case ClientMessage.PointerEvent:
    case ClientMessage.ClientCutText:
    case ClientMessage.SetDesktopSize:
    case ClientMessage.Qemu:
      return true;
    default:
      return false;
  }
}
