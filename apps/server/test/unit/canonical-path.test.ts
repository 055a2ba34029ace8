import { describe, expect, it } from 'vitest';
import { judgePath } from '../../src/http/canonical-path.js';

describe('judgePath', () => {
  it.each([
    '/api/users',
    '/api/hosts/abc/containers/x1/exec',
    '/api/hosts/h/images/127.0.0.1%3A5000%2Fbusybox%3Alatest',
    '/',
    '/hosts/abc',
    '/_app/immutable/x.js',
    '/api/docs/',
    '/api/docs/static/index.html',
    '/api/users?role=admin&x=%61',
  ])('accepts the canonical path %s', (p) => {
    expect(judgePath(p).ok).toBe(true);
  });

  it.each([
    ['/%61pi/users', 'needs no encoding'],
    ['/api/%75sers', 'needs no encoding'],
    ['/api/users%2E', 'needs no encoding'],
    ['/api/hosts/%2e%2e/users', 'lower-case hex'],
    ['//api/users', 'empty segment'],
    ['/api//users', 'empty segment'],
    ['/api/./users', '"." or ".."'],
    ['/api/hosts/../users', '"." or ".."'],
    ['/x/../api/users', '"." or ".."'],
    ['/API/users', 'exactly "/api/"'],
    ['/Api/users', 'exactly "/api/"'],
    ['/api/users/', 'trailing slash'],
    ['/api/users;x=1', 'percent-encoded'],
    ['/api\\users', 'backslash'],
    ['/api/users%00', 'forbidden character'],
    ['/api/users%5C..', 'forbidden character'],
    ['/api/users%', 'malformed'],
    ['/api/users%zz', 'malformed'],
    ['api/users', 'start with'],
  ])('refuses %s (%s)', (p, why) => {
    const v = judgePath(p);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain(why);
  });
});
