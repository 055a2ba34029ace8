import { createHash, randomBytes } from 'node:crypto';

/** Long enough to open a socket right after asking, short enough that a leaked ticket is worthless. */
export const TICKET_TTL_MS = 30_000;
/** Outstanding tickets per user; asking for more drops that user's oldest (a tab reconnecting in a loop). */
const MAX_PER_USER = 16;

interface Grant {
  userId: string;
  hostId: string;
  name: string;
  expires: number;
}

export type Redemption = { ok: true } | { ok: false; reason: string };

/**
 * Single-use tickets for the screen socket, bound to one user and one VM. Kept in memory, by hash
 * only: a ticket that is not redeemed within its lifetime, or on another server process, is
 * worthless. Redeeming removes it first, so two sockets racing with one ticket cannot both win.
 */
export class VncTickets {
  private grants = new Map<string, Grant>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(userId: string, hostId: string, name: string): { ticket: string; expiresAt: Date } {
    this.sweep();
    const mine = [...this.grants.entries()].filter(([, g]) => g.userId === userId);
    for (const [key] of mine.slice(0, Math.max(0, mine.length - MAX_PER_USER + 1))) this.grants.delete(key);
    const ticket = randomBytes(24).toString('base64url');
    const expires = this.now() + TICKET_TTL_MS;
    this.grants.set(hashOf(ticket), { userId, hostId, name, expires });
    return { ticket, expiresAt: new Date(expires) };
  }

  redeem(ticket: string | undefined, userId: string, hostId: string, name: string): Redemption {
    if (!ticket) return { ok: false, reason: 'No screen ticket was presented' };
    const key = hashOf(ticket);
    const grant = this.grants.get(key);
    this.grants.delete(key);
    if (!grant) return { ok: false, reason: 'The screen ticket is unknown or was already used' };
    if (grant.expires <= this.now()) return { ok: false, reason: 'The screen ticket has expired' };
    if (grant.userId !== userId) return { ok: false, reason: 'The screen ticket was issued to someone else' };
    if (grant.hostId !== hostId || grant.name !== name) return { ok: false, reason: 'The screen ticket is for another VM' };
    return { ok: true };
  }

  /** Drops a user's tickets (sign-out, revocation). */
  forget(userId: string) {
    for (const [key, g] of this.grants) if (g.userId === userId) this.grants.delete(key);
  }

  get size() {
    return this.grants.size;
  }

  private sweep() {
    const now = this.now();
    for (const [key, g] of this.grants) if (g.expires <= now) this.grants.delete(key);
  }
}

function hashOf(ticket: string) {
  return createHash('sha256').update(ticket).digest('hex');
}
