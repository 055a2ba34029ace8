/**
 * Who is logged in, and whether the instance still needs its first-run setup.
 * Loaded once by the root layout's load function; updated by login, setup and logout.
 */
import type { Me, Role, SetupStatus } from '@mirador/contract';
import { api, ApiError } from '$lib/api';
import { can, type Action } from '$lib/permissions';

class Session {
  me = $state<Me | null>(null);
  setup = $state<SetupStatus | null>(null);
  #loaded: Promise<void> | null = null;

  /** Fetch setup status and the current user once (or again with `force`). */
  init(force = false, fetchFn?: typeof fetch): Promise<void> {
    if (!this.#loaded || force) {
      this.#loaded = this.#load(fetchFn).catch((err) => {
        this.#loaded = null; // try again on the next navigation
        throw err;
      });
    }
    return this.#loaded;
  }

  async #load(fetchFn?: typeof fetch) {
    this.setup = await api.GET('/api/setup', { allowUnauthorized: true, fetch: fetchFn });
    if (this.setup.needsSetup) {
      this.me = null;
      return;
    }
    try {
      this.me = await api.GET('/api/auth/me', { allowUnauthorized: true, fetch: fetchFn });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.me = null;
      else throw err;
    }
  }

  get role(): Role | null {
    return this.me?.role ?? null;
  }

  get isAdmin(): boolean {
    return this.me?.role === 'admin';
  }

  /** Whether the signed-in user may do `action` (the server's role model, see $lib/permissions). */
  can(action: Action): boolean {
    return can(this.me?.role, action);
  }

  /** Admins and operators may act on hosts, VMs, containers and tasks. */
  get canOperate(): boolean {
    return this.me?.role === 'admin' || this.me?.role === 'operator';
  }

  signedIn(me: Me) {
    this.me = me;
    if (this.setup) this.setup = { ...this.setup, needsSetup: false };
  }

  signedOut() {
    this.me = null;
  }
}

export const session = new Session();
