import { request } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * An upload that trickles: it announces `totalBytes` and sends `chunkBytes` every `everyMs`, so a
 * fault (a server SIGKILL, a closed tab) lands while the body is still arriving. `ended` settles
 * with the HTTP status, or with the error the client saw when the other side went away.
 */
export function slowUpload(opts: {
  url: string;
  headers: Record<string, string>;
  totalBytes: number;
  chunkBytes: number;
  everyMs: number;
}): { sent(): number; ended: Promise<{ status: number; body: string } | { error: string }>; abort(): void } {
  let sent = 0;
  const u = new URL(opts.url);
  const req = request({
    host: u.hostname,
    port: u.port,
    method: 'POST',
    path: u.pathname + u.search,
    agent: false,
    headers: { ...opts.headers, 'content-length': String(opts.totalBytes) },
  });
  const chunk = Buffer.alloc(opts.chunkBytes, 0x5a);
  const timer = setInterval(() => {
    if (sent >= opts.totalBytes) return clearInterval(timer);
    const n = Math.min(chunk.length, opts.totalBytes - sent);
    sent += n;
    req.write(chunk.subarray(0, n));
  }, opts.everyMs);
  const ended = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    req.on('response', (res) => {
      clearInterval(timer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => {
      clearInterval(timer);
      resolve({ error: err.message });
    });
  });
  return {
    sent: () => sent,
    ended,
    abort() {
      clearInterval(timer);
      req.destroy();
    },
  };
}

/**
 * A TCP proxy on a free loopback port that passes `upstream`'s answers on at `bytesPerSecond`: a
 * registry on loopback answers a pull in milliseconds, this one takes seconds — time for a fault.
 * Docker treats every 127.0.0.0/8 registry as plain-HTTP, so the proxy needs no TLS.
 */
export async function throttlingProxy(upstream: { host: string; port: number }, bytesPerSecond: number) {
  const open = new Set<Socket>();
  let bytes = 0;
  const server: Server = createServer((client) => {
    const up = connect(upstream.port, upstream.host);
    open.add(client);
    const close = () => {
      open.delete(client);
      client.destroy();
      up.destroy();
    };
    client.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      client.write(chunk);
      up.pause();
      setTimeout(() => up.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    /** Client connections still open (a pull in flight holds at least one). */
    openConnections: () => open.size,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
