import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
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
  /** Opens a websocket at `path` (a canonical path: the ws client resolves dot segments); rejects with "HTTP <status>". */
  websocket(path: string, opts?: Caller): Promise<WebSocket>;
  /**
   * Sends a websocket upgrade request for `rawPath` byte for byte and reports the HTTP status:
   * 101 when the server accepted the upgrade (the socket is closed at once), else the refusal's status.
   */
  upgradeStatus(rawPath: string, opts?: Caller): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startLiveServer(overrides: Partial<Config> = {}, options: TestAppOptions = {}): Promise<LiveServer> {
  const test = await startTestApp(overrides, options);
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
        // agent: false: one connection per request, so a connection the server closes after a
        // refusal (body unread) is never reused by the next attempt.
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method,
            path: rawPath,
            agent: false,
            headers: {
              ...headersFor(opts),
              ...(payload !== undefined
                ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
                : {}),
              ...opts.headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const body = Buffer.concat(chunks).toString('utf8');
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
            });
            res.on('error', reject);
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${rawPath} timed out`)));
        req.on('error', reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
    websocket(path, opts = {}) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: headersFor(opts) });
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          ws.terminate();
          reject(new Error(`HTTP ${res.statusCode}`));
        });
        ws.once('error', reject);
      });
    },
    upgradeStatus(rawPath, opts = {}) {
      return new Promise((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'GET',
          path: rawPath,
          agent: false,
          headers: {
            ...headersFor(opts),
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': Buffer.from(`mirador-sec-${Math.random()}`).toString('base64').slice(0, 22) + '==',
          },
        });
        req.setTimeout(15_000, () => req.destroy(new Error(`upgrade ${rawPath} timed out`)));
        req.on('upgrade', (_res, socket) => {
          socket.destroy();
          resolve({ status: 101, body: '' });
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            // A refused upgrade leaves its socket outside the HTTP server's bookkeeping: end it here.
            res.socket?.destroy();
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
        });
        req.on('error', reject);
        req.end();
      });
    },
    async close() {
      test.app.server.closeAllConnections();
      await test.close();
    },
  };
}

/** Waits for the next message (parsed as JSON when it is) or the close, whichever comes first. */
export function nextEvent(
  ws: WebSocket,
  timeoutMs = 5000,
): Promise<{ kind: 'message'; data: any } | { kind: 'close'; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (cleanup(), reject(new Error(`no websocket message or close within ${timeoutMs} ms`))), timeoutMs);
    const onMessage = (raw: WebSocket.RawData) => {
      cleanup();
      const text = raw.toString();
      try {
        resolve({ kind: 'message', data: JSON.parse(text) });
      } catch {
        resolve({ kind: 'message', data: text });
      }
    };
    const onClose = (code: number, reason: Buffer) => (cleanup(), resolve({ kind: 'close', code, reason: reason.toString() }));
    const cleanup = () => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}
