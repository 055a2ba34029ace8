import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isApiPath, pathOf } from './canonical-path.js';

/**
 * Makes the API's GET answers revalidatable: a weak ETag (a hash of the JSON body) on every 200, and
 * 304 with no body when the browser's If-None-Match already names it. A list of 500 VMs that did not
 * change then costs a hash instead of 300 KB on the wire.
 *
 * `Cache-Control: private, no-cache`: every answer depends on who asks (roles, hidden fields), so no
 * shared cache may keep it, and the browser must ask again each time (the data is live), which is
 * exactly when the ETag pays. Weak, because the same JSON may travel gzip-, br- or un-encoded
 * (compression.plugin.ts runs after this hook) and is still the same representation for the reader.
 *
 * Only bodies already serialized (strings, buffers) are hashed: streamed downloads and websockets
 * never pass through here with a body to hash, and are left alone.
 */
export default fp(
  async function etags(app: FastifyInstance) {
    app.addHook('onSend', async (req, reply, payload) => {
      if (req.method !== 'GET' || reply.statusCode !== 200 || !isApiPath(pathOf(req.url))) return payload;
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      if (reply.hasHeader('etag')) return payload;
      const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
      reply.header('etag', etag);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-cache');
      if (matches(req.headers['if-none-match'], etag)) {
        reply.code(304);
        reply.removeHeader('content-length');
        reply.removeHeader('content-type');
        return '';
      }
      return payload;
    });
  },
  { name: 'etags' },
);

/** If-None-Match uses weak comparison: `W/` prefixes are ignored; `*` matches any current representation. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const mine = opaque(etag);
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === mine);
}
