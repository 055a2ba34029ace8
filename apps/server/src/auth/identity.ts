import type { Role } from '@mirador/contract';

/** Who is making a request, resolved once per request by the auth plugin. */
export interface Identity {
  via: 'session' | 'token';
  user: { id: string; username: string; role: Role };
  sessionId?: string;
  tokenId?: string;
}
