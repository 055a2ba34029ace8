import WebSocket from 'ws';

/** A websocket client that keeps every message and can wait for one matching a predicate. */
export async function wsConnect<M = Record<string, unknown>>(
  url: string,
  cookie: string | null,
  origin = new URL(url.replace(/^ws/, 'http')).origin,
) {
  const ws = new WebSocket(url, { headers: { origin, ...(cookie ? { cookie } : {}) } });
  const messages: M[] = [];
  const waiters: { pred: (m: M) => boolean; resolve: (m: M) => void }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as M;
    messages.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    send: (m: unknown) => ws.send(JSON.stringify(m)),
    waitFor(pred: (m: M) => boolean, timeoutMs = 5000): Promise<M> {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for a websocket message`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: () => ws.close(),
  };
}
