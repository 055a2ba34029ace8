/**
 * The typed client against a fake `fetch`: what it sends (method, URL, body) and how it turns answers
 * into values or `ApiError`s, including the 401 hand-over to the login redirect.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

// The client builds a `Request` from a same-origin path and calls the `fetch` it found when it was
// created, so both are put in place before it is imported. In a tab, relative URLs resolve against
// the page; here they resolve against a made-up origin.
const net = vi.hoisted(() => {
  const ORIGIN = 'http://mirador.test';
  const NodeRequest = globalThis.Request;
  class PageRequest extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === 'string' ? new URL(input, ORIGIN) : input, init);
    }
  }
  const state = {
    ORIGIN,
    sent: [] as Request[],
    answer: (_req: Request): Promise<Response> => Promise.reject(new Error('no answer set')),
  };
  globalThis.Request = PageRequest;
  globalThis.fetch = (input: RequestInfo | URL) => {
    const req = input as Request;
    state.sent.push(req);
    return state.answer(req);
  };
  return state;
});

import { api, apiHref } from './client';
import { ApiError, errorField, onUnauthorized } from './request';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

// Only what the test reads: the client does not check answers against the schema.
const HOST = { id: 'h1', name: 'lab', status: 'online' };

let unauthorized = 0;

beforeEach(() => {
  net.sent = [];
  unauthorized = 0;
  onUnauthorized(() => unauthorized++);
});

afterEach(() => {
  net.answer = () => Promise.reject(new Error('no answer set'));
});

describe('typed client', () => {
  test('fills path parameters, sends the query without empty values, and resolves with the answer', async () => {
    net.answer = () => Promise.resolve(json(200, HOST));
    const host = await api.GET('/api/hosts/{id}', { params: { path: { id: 'h 1/x' } } });
    expect(host.name).toBe('lab');
    expect(net.sent[0]?.method).toBe('GET');
    expect(net.sent[0]?.url).toBe(`${net.ORIGIN}/api/hosts/h%201%2Fx`);

    net.answer = () => Promise.resolve(json(200, []));
    const tasks = await api.GET('/api/tasks', { params: { query: { status: undefined, limit: 5 } } });
    expect(tasks).toEqual([]);
    expect(net.sent[1]?.url).toBe(`${net.ORIGIN}/api/tasks?limit=5`);
  });

  test('sends the body as JSON and takes an empty 204 as done', async () => {
    net.answer = () => Promise.resolve(new Response(null, { status: 204 }));
    await expect(
      api.POST('/api/users/{id}/password', { params: { path: { id: 'u1' } }, body: { password: 'secret-enough' } }),
    ).resolves.toBe(undefined);
    const req = net.sent[0];
    expect(req?.method).toBe('POST');
    expect(req?.headers.get('content-type')).toBe('application/json');
    expect(await req?.json()).toEqual({ password: 'secret-enough' });
  });

  test("an ErrorResponse becomes an ApiError carrying the server's message, code and field", async () => {
    net.answer = () =>
      Promise.resolve(
        json(409, { statusCode: 409, error: 'Conflict', message: 'That username is taken', code: 'conflict', field: '/username' }),
      );
    const err = await api
      .POST('/api/users', { body: { username: 'ada', password: 'long-enough-password', role: 'viewer' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const apiErr = err as ApiError;
    expect(apiErr.status).toBe(409);
    expect(apiErr.message).toBe('That username is taken');
    expect(apiErr.code).toBe('conflict');
    expect(apiErr.field).toBe('/username');
    expect(errorField(apiErr)).toBe('username');
  });

  test('an answer that is no ErrorResponse still becomes an ApiError with its status', async () => {
    net.answer = () => Promise.resolve(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const err = await api.GET('/api/hosts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).body.error).toBe('Bad Gateway');
  });

  test('a 401 hands over to the unauthorized handler, unless the call allows it', async () => {
    net.answer = () => Promise.resolve(json(401, { statusCode: 401, error: 'Unauthorized', message: 'Sign in first' }));
    await expect(api.GET('/api/hosts')).rejects.toMatchObject({ status: 401 });
    expect(unauthorized).toBe(1);

    await expect(api.GET('/api/auth/me', { allowUnauthorized: true })).rejects.toMatchObject({ status: 401 });
    expect(unauthorized).toBe(1);
  });

  test('a 403 is an error of the call, not a lost session', async () => {
    net.answer = () => Promise.resolve(json(403, { statusCode: 403, error: 'Forbidden', message: 'Admins only' }));
    await expect(api.GET('/api/users')).rejects.toMatchObject({ status: 403, message: 'Admins only' });
    expect(unauthorized).toBe(0);
  });

  test('no answer at all is a network ApiError; an abort stays an abort', async () => {
    net.answer = () => Promise.reject(new TypeError('fetch failed'));
    const err = await api.GET('/api/hosts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).code).toBe('network');

    net.answer = (req) =>
      new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const abort = new AbortController();
    const pending = api.GET('/api/hosts', { signal: abort.signal }).catch((e: unknown) => e);
    abort.abort();
    const aborted = await pending;
    expect(aborted).toBeInstanceOf(DOMException);
    expect((aborted as DOMException).name).toBe('AbortError');
  });
});

describe('apiHref', () => {
  test('fills and encodes path parameters and leaves empty query values out', () => {
    expect(apiHref('/api/hosts/{hostId}/images/{image}/export', { hostId: 'h1', image: 'nginx:1.27' })).toBe(
      '/api/hosts/h1/images/nginx%3A1.27/export',
    );
    expect(apiHref('/api/audit/export', undefined, { result: 'error', actor: '', format: 'csv' })).toBe(
      '/api/audit/export?result=error&format=csv',
    );
  });
});
