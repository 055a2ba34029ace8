import { describe, expect, it } from 'vitest';
import { TICKET_TTL_MS, VncTickets } from '../../src/vnc/vnc-tickets.js';

describe('VncTickets', () => {
  it('opens one screen, once, for the user and VM it was issued for', () => {
    const book = new VncTickets();
    const { ticket } = book.issue('u1', 'h1', 'vm1');
    expect(book.redeem(ticket, 'u2', 'h1', 'vm1')).toEqual({ ok: false, reason: expect.stringMatching(/someone else/) });
    // A refused attempt spends the ticket too: a thief's try burns it for everyone.
    expect(book.redeem(ticket, 'u1', 'h1', 'vm1')).toEqual({ ok: false, reason: expect.stringMatching(/already used/) });
    const second = book.issue('u1', 'h1', 'vm1').ticket;
    expect(book.redeem(second, 'u1', 'h1', 'vm2')).toMatchObject({ ok: false, reason: expect.stringMatching(/another VM/) });
    const third = book.issue('u1', 'h1', 'vm1').ticket;
    expect(book.redeem(third, 'u1', 'h1', 'vm1')).toEqual({ ok: true });
    expect(book.redeem(third, 'u1', 'h1', 'vm1').ok).toBe(false);
    expect(book.redeem(undefined, 'u1', 'h1', 'vm1')).toMatchObject({ ok: false, reason: expect.stringMatching(/No screen ticket/) });
  });

  it('expires after its lifetime, and keeps at most 16 outstanding per user', () => {
    let now = 1_000_000;
    const book = new VncTickets(() => now);
    const { ticket, expiresAt } = book.issue('u1', 'h1', 'vm1');
    expect(expiresAt.getTime()).toBe(now + TICKET_TTL_MS);
    now += TICKET_TTL_MS;
    expect(book.redeem(ticket, 'u1', 'h1', 'vm1')).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });

    const issued = Array.from({ length: 40 }, () => book.issue('loop', 'h1', 'vm1').ticket);
    book.issue('other', 'h1', 'vm1');
    expect(book.size).toBe(17);
    expect(book.redeem(issued[0], 'loop', 'h1', 'vm1').ok).toBe(false);
    expect(book.redeem(issued[39], 'loop', 'h1', 'vm1').ok).toBe(true);
    book.forget('other');
    expect(book.size).toBe(15);
  });
});
