import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.js';
import type { Config } from '../../src/config.js';

/**
 * The security suite attacks a real server: the whole Mirador app listening on a loopback port,
 * reached over real HTTP and websockets. Requests go through node:http with the path exactly as
 * written — no client-side normalisation of dot segments, percent-encoding or double slashes —
 * because that is what an attacker sends.
 */
export interface LiveResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
}

export interface Caller {
  cookie?: string;
  token?: string;
  /** Origin header; defaults to this server's own origin (a same-site browser). */
  origin?: string | null;
}

export interface LiveServer {
  test: TestApp;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Sends `rawPath` byte for byte (it must start with "/"). */
  request(method: string, rawPath: string, opts?: Caller & { body?: unknown; headers?: Record<string, string> }): Promise<LiveResponse>;
  /** Opens a websocket at `rawPath`; resolves with the socket once open, or rejects with "HTTP <status>". */
  websocket(rawPath: string, opts?: Caller): Promise<WebSocket>;
  close(): Promise<void>;
}

export async function startLiveServer(overrides: Partial<Config> = {}): Promise<LiveServer> {
  const test = await startTestApp(overrides);
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  if (!address || typeof address === 'string') throw new Error('the test server has no TCP address');
  const port = address.port;
  const base = `http://127.0.0.1:${port}`;

  const headersFor = (opts: Caller = {}): Record<string, string> => ({
    host: `127.0.0.1:${port}`,
    ...(opts.origin === null ? {} : { origin: opts.origin ?? base }),
    ...(opts.cookie ? { cookie: opts.cookie } : {}),
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  });

  return {
    test,
    base,
    request(method, rawPath, opts = {}) {
      const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      return new Promise((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1', port, method, path: rawPath,
          headers: {
            ...headersFor(opts),
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
            ...opts.headers,
          },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
          });
          res.on('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${rawPath} timed out`)));
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
    websocket(rawPath, opts = {}) {
      // ws keeps the path as given (it builds the request line from the URL's pathname + search,
      // and WHATWG URL would resolve dot segments), so pass the raw path through `path`.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: headersFor(opts), path: rawPath } as WebSocket.ClientOptions);
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          ws.terminate();
          reject(new Error(`HTTP ${res.statusCode}`));
        });
        ws.once('error', reject);
      });
    },
    async close() {
      await test.close();
    },
  };
}

/** Waits for the next message (parsed as JSON when it is) or the close, whichever comes first. */
export function nextEvent(ws: WebSocket, timeoutMs = 5000): Promise<{ kind: 'message'; data: any } | { kind: 'close'; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (cleanup(), reject(new Error(`no websocket message or close within ${timeoutMs} ms`))), timeoutMs);
    const onMessage = (raw: WebSocket.RawData) => {
      cleanup();
      const text = raw.toString();
      try { resolve({ kind: 'message', data: JSON.parse(text) }); } catch { resolve({ kind: 'message', data: text }); }
    };
    const onClose = (code: number, reason: Buffer) => (cleanup(), resolve({ kind: 'close', code, reason: reason.toString() }));
    const cleanup = () => { clearTimeout(timer); ws.off('message', onMessage); ws.off('close', onClose); };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}
