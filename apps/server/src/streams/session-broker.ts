import type { SessionOptions } from './stream-protocol.js';
import { StreamSession } from './stream-session.js';

/**
 * Keyed sessions: everyone who asks for the same key shares one upstream (a VM's serial console,
 * a container's attach, one log query). A session leaves the map when it ends, or early when its
 * replay could no longer serve a newcomer, so the next one gets a fresh upstream.
 */
export class SessionBroker<M, C, E> {
  private sessions = new Map<string, StreamSession<M, C, E>>();

  /** The live session under `key`, or a new one; the caller holds a claim until it joins or releases. */
  claim(key: string, create: () => SessionOptions<M, C, E>): StreamSession<M, C, E> {
    const existing = this.sessions.get(key);
    if (existing && !existing.isClosed) {
      existing.claim();
      return existing;
    }
    const forget = () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    const session: StreamSession<M, C, E> = new StreamSession(create(), { onClose: forget, onRetire: forget });
    if (!session.isClosed) this.sessions.set(key, session);
    return session;
  }

  get(key: string): StreamSession<M, C, E> | undefined {
    return this.sessions.get(key);
  }

  get size() {
    return this.sessions.size;
  }

  closeAll() {
    for (const s of [...this.sessions.values()]) s.close();
  }
}
