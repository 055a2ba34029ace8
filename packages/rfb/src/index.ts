export { ByteQueue, RfbError } from './byte-queue.js';
export { vncAuthResponse, VNC_PASSWORD_MAX } from './vnc-auth.js';
export {
  handshakeWithServer,
  RFB_VERSION_38,
  type ServerInit,
  type ServerHandshakeOptions,
  type RfbTransport,
} from './server-handshake.js';
export { ViewerStream } from './viewer-stream.js';
export { ClientMessage, clientMessageLength, isInputMessage } from './client-messages.js';
