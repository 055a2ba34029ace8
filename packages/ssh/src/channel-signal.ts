import type { ClientChannel } from 'ssh2';

interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, signalName: string): void } };
}

/**
 * Sends a signal request (RFC 4254 §6.9) on a session channel. OpenSSH delivers it with killpg()
 * to the session's process group, so `sh -c '…'` and its children all get it.
 *
 * ssh2's `channel.signal()` silently does nothing once our side has sent EOF (`end()`), which every
 * `exec` does right after writing stdin — so a timed-out command would never be killed. SSH itself
 * allows the request until the channel is closed, so in that case we send it through the protocol
 * object ssh2 uses internally (checked against ssh2 1.17; if the internals move, this degrades to
 * closing the channel only).
 */
export function signalChannel(channel: ClientChannel, signalName: string): void {
  try {
    if (channel.writable) {
      channel.signal(signalName);
      return;
    }
    const c = channel as unknown as ChannelInternals;
    const out = c.outgoing;
    const proto = c._client?._protocol;
    if (out && (out.state === 'open' || out.state === 'eof') && proto && typeof proto.signal === 'function') {
      proto.signal(out.id, signalName);
    }
  } catch {
    // The connection is going away: closing the channel (or the drop) ends the process anyway.
  }
}

/** Closes a channel, ignoring errors from a connection that is already gone. */
export function closeChannel(channel: ClientChannel): void {
  try {
    channel.close();
  } catch {
    /* already closed */
  }
}
