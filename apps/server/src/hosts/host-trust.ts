/**
 * Background work (status checks, inventory warm-up, stats) only talks to hosts whose SSH host
 * key a person has already accepted — by testing the host or using it. Trust on first use is a
 * deliberate step with the fingerprint on screen, never something a timer does unseen.
 */
export const READY_FOR_BACKGROUND = { OR: [{ kind: 'local' }, { NOT: { hostKeyFingerprint: null } }] };

export const readyForBackground = (h: { kind: string; hostKey: unknown }) => h.kind === 'local' || h.hostKey !== null;
