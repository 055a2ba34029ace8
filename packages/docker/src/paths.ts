import { CONTROL_CHARS, describeChar, fail, requireString, show } from './errors.js';

export const PATH_MAX_LENGTH = 4096;

function validateAbsolutePath(p: unknown, field: string, what: string): string {
  const path = requireString(p, field, what);
  if (path.length === 0) fail(field, `${what} cannot be empty; give an absolute path such as "/srv/data".`);
  if (path.length > PATH_MAX_LENGTH) fail(field, `${what} is ${path.length} characters long; the limit is ${PATH_MAX_LENGTH}.`);
  const bad = [...path].find((ch) => CONTROL_CHARS.test(ch));
  if (bad !== undefined) fail(field, `${what} ${show(path)} contains ${describeChar(bad)}; paths cannot contain control characters.`);
  if (!path.startsWith('/')) fail(field, `${what} ${show(path)} is not absolute; it must start with "/".`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) fail(field, `${what} ${show(path)} contains a ".." segment; write the path without "..".`);
  return `/${segments.join('/')}`;
}

/**
 * A path on the Docker host (bind-mount source). Returns it normalized: duplicate "/" and "."
 * segments collapsed, no trailing "/" (except "/" itself). ".." is refused rather than resolved,
 * so that what the policy checks is what the engine mounts.
 */
export function validateHostPath(p: unknown, field = 'source'): string {
  return validateAbsolutePath(p, field, 'Host path');
}

/** A path inside the container (mount target, working directory); same rules as host paths. */
export function validateContainerPath(p: unknown, field = 'target'): string {
  return validateAbsolutePath(p, field, 'Container path');
}

/** `path` is `base` or below it, compared by path segments (`/srv/lab` covers `/srv/lab/x`, not `/srv/labx`). */
export function isPathAtOrUnder(path: string, base: string): boolean {
  if (base === '/') return path.startsWith('/');
  return path === base || path.startsWith(`${base}/`);
}
