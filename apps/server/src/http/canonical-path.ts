/**
 * One normalised path decides routing, authentication, authorisation, CSRF and audit.
 *
 * The router (find-my-way) percent-decodes a path before matching it, so `/%61pi/users` reaches the
 * `/api/users` handler. Rather than teach every check to decode the same way, Mirador refuses any
 * request whose path is not already in canonical form: then the raw path, the decoded path and the
 * path the router matched are one and the same string, and no check can disagree with the router.
 *
 * Canonical means: starts with "/", no empty segments ("//"), no "." or ".." segments (written or
 * percent-encoded), no backslashes or control characters, and percent-encoding used only where it is
 * needed (never for an unreserved character such as "a" or ".", always with upper-case hex, never for
 * NUL). Under /api additionally: exactly lower-case "/api", no trailing slash, and only the characters
 * API paths use.
 */
export type PathVerdict = { ok: true; path: string; isApi: boolean } | { ok: false; path: string; reason: string };

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// Characters an API path may carry literally; everything else must be percent-encoded.
const API_LITERAL = /^[A-Za-z0-9._~:@+,=-]$/;

/** Splits a request target into path and query, without decoding either. */
export function pathOf(rawUrl: string): string {
  const q = rawUrl.search(/[?#]/);
  return q === -1 ? rawUrl : rawUrl.slice(0, q);
}

/** True for `/api` and anything under `/api/`, compared exactly (the canonical check refuses case variants). */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export function judgePath(rawUrl: string): PathVerdict {
  const path = pathOf(rawUrl);
  const refuse = (reason: string): PathVerdict => ({ ok: false, path, reason });
  if (!path.startsWith('/')) return refuse('the path must start with "/"');
  if (path.startsWith('//') || path.includes('//')) return refuse('the path contains an empty segment ("//")');
  if (/[\\\x00-\x20\x7f]/.test(path)) return refuse('the path contains a backslash, a space or a control character');

  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') {
      decoded += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return refuse('the path contains a malformed percent-encoding');
    if (hex !== hex.toUpperCase()) return refuse(`the path percent-encodes with lower-case hex ("%${hex}")`);
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (UNRESERVED.test(ch)) return refuse(`the path percent-encodes "${ch}", which needs no encoding ("%${hex}")`);
    if (ch === '\0' || ch === '\\') return refuse(`the path encodes a forbidden character ("%${hex}")`);
    decoded += `%${hex}`; // kept encoded: it is data inside a segment, never a separator
    i += 2;
  }
  for (const seg of decoded.split('/').slice(1)) {
    if (seg === '.' || seg === '..') return refuse('the path contains a "." or ".." segment');
  }

  const lower = path.toLowerCase();
  const looksApi = lower === '/api' || lower.startsWith('/api/') || lower.startsWith('/api%');
  if (!looksApi) return { ok: true, path, isApi: false };
  if (!isApiPath(path)) return refuse('API paths start with exactly "/api/"');
  if (path.endsWith('/') && !path.startsWith('/api/docs/')) return refuse('API paths have no trailing slash');
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '/') continue;
    if (c === '%') {
      i += 2;
      continue;
    }
    if (!API_LITERAL.test(c)) return refuse(`the path contains "${c}", which API paths carry only percent-encoded`);
  }
  return { ok: true, path, isApi: true };
}
