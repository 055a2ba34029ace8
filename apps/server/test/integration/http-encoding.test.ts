/**
 * Answers' encoding on the real app: API JSON compressed (br/gzip as asked) and revalidatable (weak ETag,
 * 304), the UI's files compressed with a year of caching for the hashed ones, and what must stay as it
 * is (answers to mutations, small bodies) left alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let admin: string;
let webDir: string;
// Big enough to be worth compressing, repetitive like real UI code.
const script = `export const rows = [${Array.from({ length: 200 }, (_, i) => `{ id: ${i}, name: "row-${i}" }`).join(', ')}];\n`;
const html = `<!doctype html><html><head><title>Mirador</title></head><body>${'<div class="cell">Mirador</div>'.repeat(100)}</body></html>`;

beforeAll(async () => {
  webDir = mkdtempSync(join(tmpdir(), 'mirador-web-'));
  mkdirSync(join(webDir, '_app/immutable/chunks'), { recursive: true });
  writeFileSync(join(webDir, 'index.html'), html);
  writeFileSync(join(webDir, '_app/immutable/chunks/rows.Ab12Cd34.js'), script);
  writeFileSync(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await startTestApp({ webDir });
  admin = await t.setupAdmin();
  // A few users so that the list is well over the 1 KB below which nothing is compressed.
  for (let i = 0; i < 12; i++) {
    const res = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: `reader-${i}`, password: 'a long enough password', role: 'viewer' },
    });
    expect(res.statusCode).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(webDir, { recursive: true, force: true });
});

const getUsers = (headers: Record<string, string> = {}) => t.call({ method: 'GET', url: '/api/users', cookie: admin, headers });

describe('API answers', () => {
  it('are compressed with br or gzip as the client asks, and plain when it asks for neither', async () => {
    const plain = await getUsers();
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/i);
    expect(plain.rawPayload.length).toBeGreaterThan(1024);
    const users = plain.json<unknown[]>();
    expect(users.length).toBe(13);

    const br = await getUsers({ 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(users);

    const gz = await getUsers({ 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(users);

    // q=0 refuses an encoding.
    const noBr = await getUsers({ 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    expect(noBr.headers['content-encoding']).toBe('gzip');
    const identity = await getUsers({ 'accept-encoding': 'identity' });
    expect(identity.headers['content-encoding']).toBeUndefined();
  });

  it('carry a weak ETag: 304 without a body when unchanged, a new ETag once the data changes', async () => {
    const first = await getUsers({ 'accept-encoding': 'br' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    // The same representation whatever the encoding.
    expect((await getUsers()).headers.etag).toBe(etag);

    const again = await getUsers({ 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['content-encoding']).toBeUndefined();
    // Weak comparison, and a list of tags.
    expect((await getUsers({ 'if-none-match': `"other", ${etag.slice(2)}` })).statusCode).toBe(304);

    const made = await t.call({
      method: 'POST',
      url: '/api/users',
      cookie: admin,
      payload: { username: 'newcomer', password: 'a long enough password', role: 'viewer' },
    });
    expect(made.statusCode).toBe(201);
    const changed = await getUsers({ 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json<Array<{ username: string }>>().some((u) => u.username === 'newcomer')).toBe(true);
  });

  it('are per user: the same URL read by another user is another representation, never shared-cacheable', async () => {
    const viewer = await t.login('reader-0', 'a long enough password');
    const mine = await t.call({ method: 'GET', url: '/api/auth/me', cookie: admin });
    const theirs = await t.call({
      method: 'GET',
      url: '/api/auth/me',
      cookie: viewer,
      headers: { 'if-none-match': mine.headers.etag as string },
    });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.headers['cache-control']).toBe('private, no-cache');
    expect(theirs.headers.etag).not.toBe(mine.headers.etag);
  });

  it('leaves answers to mutations and small bodies uncompressed', async () => {
    const created = await t.call({
      method: 'POST',
      url: `/api/users`,
      cookie: admin,
      headers: { 'accept-encoding': 'br, gzip' },
      payload: { username: 'another', password: 'a long enough password', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['content-encoding']).toBeUndefined();
    expect(created.headers.etag).toBeUndefined();
    const health = await t.call({ method: 'GET', url: '/api/health', headers: { 'accept-encoding': 'br' } });
    expect(health.headers['content-encoding']).toBeUndefined();
    // Errors are not cacheable.
    const missing = await t.call({ method: 'GET', url: '/api/users/nobody/tokens', cookie: admin, headers: { 'accept-encoding': 'br' } });
    expect(missing.statusCode).toBeGreaterThanOrEqual(400);
    expect(missing.headers.etag).toBeUndefined();
  });
});

describe('UI files', () => {
  it('hashed assets are compressed and cached for a year', async () => {
    const url = '/_app/immutable/chunks/rows.Ab12Cd34.js';
    const br = await t.call({ method: 'GET', url, headers: { 'accept-encoding': 'br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-length']).toBeUndefined();
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(script);

    const gz = await t.call({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(script);

    const plain = await t.call({ method: 'GET', url });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
  });

  it('the HTML (and the client-side route fallback) is compressed and always revalidated; tiny files are sent as they are', async () => {
    for (const url of ['/', '/vms/some-host/some-vm']) {
      const res = await t.call({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(gunzipSync(res.rawPayload).toString()).toBe(html);
    }
    const icon = await t.call({ method: 'GET', url: '/favicon.svg', headers: { 'accept-encoding': 'br' } });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-encoding']).toBeUndefined();
  });
});
