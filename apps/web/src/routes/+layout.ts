import { redirect } from '@sveltejs/kit';
import { safeNext } from '$lib/routing';
import { session } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// A client-rendered SPA: the Fastify server serves build/ and falls back to index.html.
export const ssr = false;
export const prerender = false;

/** Route guard: first-run setup, then authentication. */
export const load: LayoutLoad = async ({ url, fetch }) => {
  await session.init(false, fetch);
  const path = url.pathname;

  if (session.setup?.needsSetup) {
    if (path !== '/setup') redirect(307, '/setup');
    return {};
  }
  if (path === '/setup') redirect(307, session.me ? '/' : '/login');

  if (!session.me) {
    if (path !== '/login') {
      const next = path === '/' ? '' : `?next=${encodeURIComponent(path + url.search)}`;
      redirect(307, `/login${next}`);
    }
    return {};
  }
  if (path === '/login') redirect(307, safeNext(url.searchParams.get('next')));
  return {};
};
