/**
 * Background work (status checks, inventory warm-up, stats) only talks to hosts whose SSH host
 * key a person has already accepted — by testing the host or using it. Trust on first use is a
 * deliberate step with the fingerprint on screen, never something a timer does unseen.
 */
export const READY_FOR_BACKGROUND = { OR: [{ kind: 'local' }, { NOT: { hostKeyFingerprint: null } }] };

export const readyForBackground = (h: { kind: string; hostKey: unknown }) => h.kind === 'local' || h.hostKey !== null;

/**
 * Why a host without a pinned key cannot be used yet. When its last connection test already failed
 * for a reason of its own (a name that does not resolve, a refused port), that reason is the news:
 * "no accepted host key" would send people looking at keys when the name is misspelt.
 */
export function notTrustedYetMessage(h: { name: string; status: string; statusMessage: string | null }): string {
  if ((h.status === 'offline' || h.status === 'error') && h.statusMessage) return `Host "${h.name}" is not reachable: ${h.statusMessage}`;
  return `Host "${h.name}" has no accepted SSH host key yet: test its connection first`;
}
