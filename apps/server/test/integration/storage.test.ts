import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { ORIGIN, startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';

/** virsh on the lab host directly (not through Mirador); failures are ignored by the cleanup. */
function virsh(lab: Lab, ...args: string[]): string {
  return execFileSync('virsh', ['-c', lab.libvirtUri, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}
const quietly = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    /* already gone */
  }
};

describe('storage pools and volumes on the lab libvirt over SSH', { timeout: 120_000 }, () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab;
  let hostId: string;
  const id = randomBytes(3).toString('hex');
  const pool = `mirador-test-pool-${id}`;
  const vm = `mirador-test-storage-${id}`;
  // A fresh directory that does not exist yet: pool-build must create it.
  const parent = mkdtempSync(join(tmpdir(), 'mirador-pool-'));
  const dir = join(parent, 'images');
  const url = (rest = '') => `/api/hosts/${hostId}/storage-pools${rest}`;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) =>
    t.call({ method, url: url(path), cookie: admin, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    lab = readLab();
    t = await startTestApp();
    admin = await t.setupAdmin();
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'lab', address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    hostId = res.json().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json().ok).toBe(true);
  });

  afterAll(async () => {
    quietly(() => virsh(lab, 'undefine', vm));
    quietly(() => virsh(lab, 'pool-destroy', pool));
    quietly(() => virsh(lab, 'pool-undefine', pool));
    rmSync(parent, { recursive: true, force: true });
    await t?.close();
  });

  it('refuses bad input with a 400 naming the field, before anything runs', async () => {
    const bad: Array<[object, string]> = [
      [{ name: '../x', path: dir }, 'name'],
      [{ name: '--help', path: dir }, 'name'],
      [{ name: pool, path: 'relative/dir' }, 'path'],
      [{ name: pool, path: '/etc/mirador' }, 'path'],
      [{ name: pool, path: `${parent}/../../etc` }, 'path'],
    ];
    for (const [body, field] of bad) {
      const res = await call('POST', '', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().field, JSON.stringify(body)).toBe(field);
    }
    expect(virsh(lab, 'pool-list', '--all', '--name')).not.toContain(pool);
    expect(existsSync(dir)).toBe(false);
  });

  it('previews the XML and every virsh line, then creates a dir pool in a fresh directory', async () => {
    const preview = await call('POST', '/preview', { name: pool, path: dir });
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    expect(p.exists).toBe(false);
    expect(p.xml).toContain(`<path>${dir}</path>`);
    expect(p.commands.map((c: string) => c.split(' ')[3])).toEqual(['pool-define', 'pool-build', 'pool-start', 'pool-autostart']);

    const created = await call('POST', '', { name: pool, path: dir, autostart: false });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().pool).toMatchObject({
      name: pool,
      type: 'dir',
      state: 'running',
      autostart: false,
      persistent: true,
      volumeCount: 0,
    });
    expect(statSync(dir).isDirectory()).toBe(true);

    const list = (await call('GET', '')).json().items;
    const mine = list.find((x: { name: string }) => x.name === pool);
    expect(mine).toMatchObject({ targetPath: dir, state: 'running' });
    expect(mine.capacityBytes).toBeGreaterThan(0);
    expect(mine.availableBytes).toBeGreaterThan(0);

    const detail = (await call('GET', `/${pool}`)).json();
    expect(detail.xml).toContain(`<name>${pool}</name>`);
    expect(detail.commands.stop).toContain(`pool-destroy ${pool}`);

    expect((await call('POST', '', { name: pool, path: join(parent, 'other') })).statusCode).toBe(409);
  });

  it('stops, starts, refreshes and toggles autostart', async () => {
    const stop = await call('POST', `/${pool}/stop`);
    expect(stop.statusCode, stop.body).toBe(200);
    expect(stop.json().pool.state).toBe('inactive');
    expect(stop.json().commands[0]).toContain('pool-destroy');
    expect((await call('GET', `/${pool}/volumes`)).statusCode).toBe(409);
    expect((await call('POST', `/${pool}/start`)).json().pool.state).toBe('running');
    expect((await call('POST', `/${pool}/refresh`)).statusCode).toBe(200);
    expect((await call('PUT', `/${pool}/autostart`, { enabled: true })).json().pool.autostart).toBe(true);
    expect(virsh(lab, 'pool-info', pool)).toMatch(/Autostart:\s+yes/);
    expect((await call('PUT', `/${pool}/autostart`, { enabled: false })).json().pool.autostart).toBe(false);
    expect((await call('POST', '/no-such-pool/start')).statusCode).toBe(404);
  });

  it('creates qcow2 and raw volumes, grows one, downloads the bytes and deletes', async () => {
    const q = await call('POST', `/${pool}/volumes`, { name: 'disk.qcow2', format: 'qcow2', capacityBytes: 64 * 1024 ** 2 });
    expect(q.statusCode, q.body).toBe(201);
    expect(q.json().volume).toMatchObject({
      name: 'disk.qcow2',
      format: 'qcow2',
      capacityBytes: 64 * 1024 ** 2,
      path: join(dir, 'disk.qcow2'),
    });
    expect(q.json().commands[0]).toContain('vol-create-as');
    const r = await call('POST', `/${pool}/volumes`, { name: 'data.raw', format: 'raw', capacityBytes: 1024 ** 2 });
    expect(r.statusCode, r.body).toBe(201);
    expect((await call('POST', `/${pool}/volumes`, { name: 'data.raw', format: 'raw', capacityBytes: 1024 })).statusCode).toBe(409);

    const huge = await call('POST', `/${pool}/volumes`, { name: 'huge.raw', format: 'raw', capacityBytes: 1024 ** 5 });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().field).toBe('capacityBytes');
    for (const [body, field] of [
      [{ name: '../x', format: 'raw', capacityBytes: 1 }, 'name'],
      [{ name: 'x', format: 'vmdk', capacityBytes: 1 }, 'format'],
      [{ name: 'x', format: 'raw', capacityBytes: -1 }, 'capacityBytes'],
    ] as const) {
      const res = await call('POST', `/${pool}/volumes`, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toBe(field);
    }

    const grown = await call('POST', `/${pool}/volumes/disk.qcow2/resize`, { capacityBytes: 128 * 1024 ** 2 });
    expect(grown.statusCode, grown.body).toBe(200);
    expect(grown.json().volume.capacityBytes).toBe(128 * 1024 ** 2);
    const shrink = await call('POST', `/${pool}/volumes/disk.qcow2/resize`, { capacityBytes: 1024 ** 2 });
    expect(shrink.statusCode).toBe(400);
    expect(shrink.json().field).toBe('capacityBytes');

    const bytes = randomBytes(1024 ** 2);
    writeFileSync(join(dir, 'data.raw'), bytes);
    const dl = await call('GET', `/${pool}/volumes/data.raw/download`);
    expect(dl.statusCode, dl.body.slice(0, 200)).toBe(200);
    expect(dl.headers['content-length']).toBe(String(bytes.length));
    expect(dl.headers['content-disposition']).toBe('attachment; filename="data.raw"');
    expect(Buffer.compare(dl.rawPayload, bytes)).toBe(0);
    expect((await call('GET', `/${pool}/volumes/nope.raw/download`)).statusCode).toBe(404);

    const vols = (await call('GET', `/${pool}/volumes`)).json().items;
    expect(vols.map((v: { name: string; format: string }) => `${v.name}:${v.format}`)).toEqual(['data.raw:raw', 'disk.qcow2:qcow2']);
    expect((await call('DELETE', `/${pool}/volumes/data.raw`)).statusCode).toBe(200);
    expect(existsSync(join(dir, 'data.raw'))).toBe(false);
  });

  it('uploads a file into a new volume, byte for byte, and refuses one larger than the pool before reading it', async () => {
    const bytes = randomBytes(20 * 1024 ** 2);
    const up = await t.call({
      method: 'POST',
      url: url(`/${pool}/upload?name=upload.iso&format=iso`),
      cookie: admin,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      payload: bytes,
    });
    expect(up.statusCode, up.body).toBe(201);
    expect(up.json().volume).toMatchObject({ name: 'upload.iso', capacityBytes: bytes.length });
    expect(up.json().commands.map((c: string) => c.split(' ').find((w: string) => w.startsWith('vol-')))).toEqual([
      'vol-create-as',
      'vol-upload',
    ]);
    const dl = await call('GET', `/${pool}/volumes/upload.iso/download`);
    expect(dl.statusCode).toBe(200);
    expect(Buffer.compare(dl.rawPayload, bytes)).toBe(0);
    const again = await t.call({
      method: 'POST',
      url: url(`/${pool}/upload?name=upload.iso&format=iso`),
      cookie: admin,
      headers: { 'content-type': 'application/octet-stream', 'content-length': '4' },
      payload: Buffer.from('abcd'),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().field).toBe('name');
    expect((await call('DELETE', `/${pool}/volumes/upload.iso`)).statusCode).toBe(200);

    const free = (await call('GET', `/${pool}`)).json().availableBytes as number;
    const big = await t.call({
      method: 'POST',
      url: url(`/${pool}/upload?name=big.raw&format=raw`),
      cookie: admin,
      // The body is not the announced size: the refusal must come before any of it is read.
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(free + 1) },
      payload: Buffer.from('x'),
    });
    expect(big.statusCode, big.body).toBe(413);
    expect(big.json().field).toBe('content-length');
    expect(virsh(lab, 'vol-list', '--pool', pool)).not.toContain('big.raw');
  });

  it('an upload the client aborts midway leaves no volume and no vol-upload process', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const total = 64 * 1024 ** 2;
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: url(`/${pool}/upload?name=aborted.raw&format=raw`),
      headers: {
        host: new URL(ORIGIN).host,
        origin: ORIGIN,
        cookie: admin,
        'content-type': 'application/octet-stream',
        'content-length': String(total),
      },
    });
    req.on('error', () => {});
    const chunk = randomBytes(1024 ** 2);
    for (let i = 0; i < 32; i++) {
      if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    }
    // Half is on its way: wait until the volume exists and the upload runs, then go away.
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = virsh(lab, 'vol-list', '--pool', pool).includes('aborted.raw');
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(true);
    req.destroy();
    let left = '';
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const procs = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('vol-upload') && l.includes(pool));
      left = virsh(lab, 'vol-list', '--pool', pool).includes('aborted.raw') ? 'volume' : procs.length ? procs.join(';') : '';
      if (!left) break;
    }
    expect(left).toBe('');
    let audit = '';
    for (let i = 0; i < 40 && !audit.includes('aborted.raw'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      audit = (await t.call({ method: 'GET', url: '/api/audit?action=storage.volume.upload', cookie: admin })).body;
    }
    const record = JSON.parse(audit).items.find((r: { target: { name: string } }) => r.target.name === 'aborted.raw');
    expect(record).toMatchObject({ result: 'error', params: { name: 'aborted.raw', size: String(total), format: 'raw' } });
  });

  it('refuses to delete a volume or its pool while a defined VM uses it, naming the VM', async () => {
    const xmlDir = mkdtempSync(join(tmpdir(), 'mirador-storage-vm-'));
    try {
      writeFileSync(
        join(xmlDir, 'vm.xml'),
        `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
          `<os><type arch='x86_64'>hvm</type></os><devices><disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>` +
          `<source pool='${pool}' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
      );
      virsh(lab, 'define', join(xmlDir, 'vm.xml'));
    } finally {
      rmSync(xmlDir, { recursive: true, force: true });
    }
    // The inventory learns of the new domain from libvirt's event stream.
    await expect
      .poll(
        async () =>
          (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin }))
            .json()
            .items.map((v: { name: string }) => v.name),
        {
          timeout: 20_000,
        },
      )
      .toContain(vm);
    const vols = (await call('GET', `/${pool}/volumes`)).json().items;
    expect(vols.find((v: { name: string }) => v.name === 'disk.qcow2').usedBy).toEqual([vm]);

    const del = await call('DELETE', `/${pool}/volumes/disk.qcow2`);
    expect(del.statusCode).toBe(409);
    expect(del.json().message).toContain(vm);
    const delPool = await call('DELETE', `/${pool}`);
    expect(delPool.statusCode).toBe(409);
    expect(delPool.json().message).toContain(vm);
    expect(existsSync(join(dir, 'disk.qcow2'))).toBe(true);

    virsh(lab, 'undefine', vm);
    await expect
      .poll(
        async () =>
          (await t.call({ method: 'GET', url: `/api/hosts/${hostId}/vms`, cookie: admin }))
            .json()
            .items.map((v: { name: string }) => v.name),
        {
          timeout: 20_000,
        },
      )
      .not.toContain(vm);
    expect((await call('DELETE', `/${pool}/volumes/disk.qcow2`)).statusCode).toBe(200);
  });

  it('deletes the pool without deleting the directory or files left in it', async () => {
    writeFileSync(join(dir, 'keep.txt'), 'left by someone');
    const del = await call('DELETE', `/${pool}`);
    expect(del.statusCode, del.body).toBe(200);
    expect(del.json().commands.map((c: string) => c.split(' ')[3])).toEqual(['pool-destroy', 'pool-undefine']);
    expect(virsh(lab, 'pool-list', '--all', '--name')).not.toContain(pool);
    expect(readdirSync(dir)).toContain('keep.txt');
    expect((await call('GET', `/${pool}`)).statusCode).toBe(404);
  });
});
