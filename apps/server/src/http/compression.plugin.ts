import fp from 'fastify-plugin';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isApiPath, pathOf } from './canonical-path.js';

/**
 * Compresses answers (br, else gzip, as the client's Accept-Encoding allows): the API's JSON — 500 VMs
 * are ~300 KB, ~25 KB in brotli — and the UI's files.
 *
 * What is never compressed, and why:
 * - anything but GET: answers to POST/PUT/PATCH/DELETE are small, and they are where one-time secrets
 *   travel (a new API token, a screen ticket, a generated key), next to input the caller sent. That is
 *   the shape BREACH needs (a secret and attacker-chosen text compressed together, the length observed).
 *   Mirador's session cookie is SameSite=Strict and state changes need a same-origin Origin (there is
 *   no CSRF token in any body), so a cross-site page cannot make a logged-in browser fetch an
 *   authenticated answer to measure; keeping secrets' answers uncompressed anyway costs nothing.
 * - streams under /api (downloads, logs, exports, uploads' answers): compressing them would hold back
 *   bytes the reader is waiting for, and disk images do not shrink; websockets never come here.
 * - small bodies (< 1 KB) and types that are already compressed (images, archives, wasm).
 * UI files outside /api are streams from @fastify/static and are compressed on the fly; the hashed ones
 * are cached for a year by the browser (web.plugin.ts), so each is compressed about once per browser.
 */
const MIN_BYTES = 1024;
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json|[a-z.+-]+\+json)|image\/svg\+xml)/;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
// Quality 5 / level 6: most of the gain of the maximum for a fraction of its time (a 300 KB list ≈ 5 ms).
const BROTLI_OPTIONS = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } };
const GZIP_OPTIONS = { level: 6 };

type Encoding = 'br' | 'gzip';

export default fp(
  async function compression(app: FastifyInstance) {
    app.addHook('onSend', async (req, reply, payload) => {
      if (!worthCompressing(req, reply)) return payload;
      const isBody = typeof payload === 'string' || Buffer.isBuffer(payload);
      const isUiStream = payload instanceof Readable && !isApiPath(pathOf(req.url));
      if (!isBody && !isUiStream) return payload;
      reply.header('vary', appendVary(reply.getHeader('vary'), 'Accept-Encoding'));
      const encoding = negotiate(req.headers['accept-encoding']);
      if (!encoding) return payload;
      if (isBody) {
        const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
        if (body.length < MIN_BYTES) return payload;
        const packed = encoding === 'br' ? await brotli(body, BROTLI_OPTIONS) : await gzip(body, GZIP_OPTIONS);
        reply.header('content-encoding', encoding).header('content-length', packed.length);
        return packed;
      }
      const length = Number(reply.getHeader('content-length'));
      if (Number.isFinite(length) && length < MIN_BYTES) return payload;
      reply.header('content-encoding', encoding).removeHeader('content-length');
      const packer = encoding === 'br' ? zlib.createBrotliCompress(BROTLI_OPTIONS) : zlib.createGzip(GZIP_OPTIONS);
      // An error on either side ends both (a client gone mid-file must not leave the file open).
      (payload as Readable).once('error', (err) => packer.destroy(err));
      return (payload as Readable).pipe(packer);
    });
  },
  { name: 'compression', dependencies: ['etags'] },
);

function worthCompressing(req: FastifyRequest, reply: FastifyReply): boolean {
  if (req.method !== 'GET') return false;
  if (reply.statusCode < 200 || reply.statusCode === 204 || reply.statusCode === 206 || reply.statusCode === 304) return false;
  if (reply.hasHeader('content-encoding')) return false;
  const type = String(reply.getHeader('content-type') ?? '');
  return COMPRESSIBLE.test(type);
}

/** br when the client takes it, else gzip; q=0 refuses an encoding. */
export function negotiate(header: string | string[] | undefined): Encoding | null {
  if (!header) return null;
  const accepted = new Map<string, number>();
  for (const part of [header].flat().join(',').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  const weight = (enc: Encoding) => accepted.get(enc) ?? (accepted.has('*') ? accepted.get('*')! : 0);
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return null;
}

function appendVary(current: unknown, field: string): string {
  const values = String(current ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (values.includes('*') || values.some((v) => v.toLowerCase() === field.toLowerCase())) return values.join(', ');
  return [...values, field].join(', ');
}
