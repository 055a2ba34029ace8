import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost } from '../helpers/lab-vm.js';

/** virsh on the lab host directly (not through Mirador). */
function virsh(lab: Lab, ...args: string[]): string {
  return execFileSync('virsh', ['-c', lab.libvirtUri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `head` (and `body`, if any) on a bare TCP socket and reads one HTTP response. Nothing here
 * adds a content-length or fixes the framing: that is the point. Fails if no complete answer comes in `ms`.
 */
function rawRequest(port: number, head: string, body: Buffer | null, ms = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete response within ${ms} ms; got: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
    }, ms);
    const tryParse = () => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const rest = buf.subarray(end + 4);
      if (!Number.isInteger(length) || rest.length < length) return;
      clearTimeout(timer);
      sock.destroy();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.subarray(0, length).toString('utf8') });
    };
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      tryParse();
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('connect', () => {
      sock.write(head);
      if (body) sock.write(body);
    });
  });
}

describe('volume uploads over a bare socket: the size is required and checked before the body', { timeout: 60_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab;
  let hostId: string;
  let port: number;
  const tag = randomBytes(3).toString('hex');
  const chunkedName = `mirador-test-chunked-${tag}.raw`;
  const hugeName = `mirador-test-huge-${tag}.raw`;

  const head = (name: string, framing: string) =>
    [
      `POST /api/hosts/${hostId}/storage-pools/${lab.storagePool}/upload?name=${name}&format=raw HTTP/1.1`,
      `Host: ${new URL(ORIGIN).host}`,
      `Origin: ${ORIGIN}`,
      `Cookie: ${admin}`,
      'Content-Type: application/octet-stream',
      framing,
      '',
      '',
    ].join('\r\n');
  const volumes = () => virsh(lab, 'vol-list', '--pool', lab.storagePool);

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp();
    admin = await t.setupAdmin();
    hostId = await addLabHost(t, admin, lab);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const v of [chunkedName, hugeName]) {
      try {
        virsh(lab, 'vol-delete', '--pool', lab.storagePool, v);
      } catch {
        /* never created, as it should be */
      }
    }
    await t?.close();
  });

  it('refuses a chunked upload (no content-length) with 411 naming the header, and creates no volume', async () => {
    const data = randomBytes(4096);
    const body = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]);
    const res = await rawRequest(port, head(chunkedName, 'Transfer-Encoding: chunked'), body);
    expect(res.status, res.body).toBe(411);
    expect(JSON.parse(res.body)).toMatchObject({ field: 'content-length' });
    expect(JSON.parse(res.body).message).toMatch(/content-length/);
    expect(volumes()).not.toContain(chunkedName);
  });

  it('refuses a content-length beyond the pool free space with 413 before a byte of the body is sent', async () => {
    const pool = (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/storage-pools/${lab.storagePool}`, cookie: admin })).json();
    const tooBig = (pool.availableBytes as number) + 1024 ** 3;
    // No body at all: a server that waited for it would never answer, and rawRequest would time out.
    const res = await rawRequest(port, head(hugeName, `Content-Length: ${tooBig}`), null);
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ field: 'content-length' });
    expect(volumes()).not.toContain(hugeName);
  });
});
