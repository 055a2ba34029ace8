import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AuditPage,
  CreateContainerResult,
  ImageDetail,
  ImageList,
  ImageSummary,
  LayerProgress,
  PruneResult,
  Registry,
  RemoveImageResult,
  Task,
  TaskDetail,
} from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * Images against the lab's real dockerd and its password-protected registry, through the real
 * server: builds (Dockerfile alone and context tarball), tags, removal, prune, save/load/import,
 * stored registry credentials with push and pull, and the validation gates.
 */
const lab = readLab();
const RUN = `mi${process.pid}`;
const REPO = `mirador-test/${RUN}`;
const REG = lab.registry.address;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const imageExists = (ref: string) => {
  try {
    docker('image', 'inspect', ref);
    return true;
  } catch {
    return false;
  }
};
const enc = encodeURIComponent;
const registryAuth = () => `Basic ${Buffer.from(`${lab.registry.username}:${lab.registry.password}`).toString('base64')}`;

/** Deletes REPO:TAG from the lab registry (its blobs go at the registry's next garbage collection). */
async function deleteFromRegistry(repo: string, tag: string) {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json';
  const head = await fetch(`http://${REG}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { authorization: registryAuth(), accept },
  });
  const digest = head.headers.get('docker-content-digest');
  if (digest) await fetch(`http://${REG}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: { authorization: registryAuth() } });
}

let t: TestApp;
let admin: string;
let olga: string;
let hostId: string;
let base: string;
const createdContainers: string[] = [];
const createdImages = new Set<string>();

type WsMessage = { type: string; topic?: string; taskId?: string; layers?: LayerProgress[]; task?: Task };

function api(
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  path: string,
  payload?: object | string | Buffer,
  opts: { cookie?: string; contentType?: string } = {},
) {
  return t.call({
    method,
    url: `/api/hosts/${hostId}${path}`,
    cookie: opts.cookie ?? admin,
    ...(payload !== undefined ? { payload } : {}),
    ...(opts.contentType ? { headers: { 'content-type': opts.contentType } } : {}),
  });
}

async function waitTask(id: string, timeoutMs = 60_000): Promise<TaskDetail> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.call({ method: 'GET', url: `/api/tasks/${id}`, cookie: admin });
    expect(res.statusCode, res.body).toBe(200);
    const task = res.json<TaskDetail>();
    if (task.status !== 'queued' && task.status !== 'running') return task;
    if (Date.now() > end) throw new Error(`task ${id} still ${task.status} after ${timeoutMs} ms: ${JSON.stringify(task.log.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a build and waits for its task. */
async function build(tag: string, body: string | Buffer, contentType: string, query = ''): Promise<TaskDetail> {
  const res = await api('POST', `/images/build?tag=${enc(tag)}${query}`, body, { contentType });
  expect(res.statusCode, res.body).toBe(202);
  createdImages.add(tag);
  const task = res.json<Task>();
  expect(task.type).toBe('image.build');
  return waitTask(task.id);
}

/** A tar archive of FILES (path → content), made by tar(1). */
function tarOf(files: Record<string, string | { copyFrom: string; mode?: number }>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-ctx-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      if (typeof content === 'string') writeFileSync(full, content);
      else copyFileSync(content.copyFrom, full);
    }
    return execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listImages(): Promise<ImageSummary[]> {
  const res = await api('GET', '/images');
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ImageList>().items;
}

async function audit(action: string, result?: 'ok' | 'error' | 'accepted') {
  const res = await t.call({
    method: 'GET',
    url: `/api/audit?action=${enc(action)}${result ? `&result=${result}` : ''}&limit=500`,
    cookie: admin,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AuditPage>().items;
}

async function logsOf(container: string, expected: string): Promise<string> {
  let text = '';
  for (let i = 0; i < 100 && !text.includes(expected); i++) {
    const res = await api('GET', `/containers/${container}/logs`);
    expect(res.statusCode, res.body).toBe(200);
    text = res.body;
    if (!text.includes(expected)) await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

beforeAll(async () => {
  expect(lab.registry?.address, 'lab.json has no registry: run bash scripts/lab.sh up').toBeTruthy();
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  expect(hostId).toBeTruthy();
  olga = await t.userSession('operator', 'olga');
});

afterAll(async () => {
  // A failed build step leaves its container behind (as `docker build` does without --force-rm).
  const leftovers = docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}')
    .split('\n')
    .filter((l) => l.includes(RUN));
  createdContainers.push(...leftovers.map((l) => l.split(' ')[0]!));
  for (const id of createdContainers) {
    try {
      docker('rm', '-f', id);
    } catch {
      /* already gone */
    }
  }
  for (const ref of createdImages) {
    try {
      docker('rmi', '-f', ref);
    } catch {
      /* already gone */
    }
  }
  await deleteFromRegistry(`mirador/${RUN}`, '1').catch(() => {});
  await t?.close();
});

describe('building images', () => {
  it('builds from a lone Dockerfile: Step lines in the task log, listed with its tag, runs', async () => {
    const tag = `${REPO}-built:1`;
    const task = await build(tag, 'FROM labbox:latest\nRUN echo built-by-mirador > /built\nCMD ["cat","/built"]\n', 'text/plain');
    const lines = task.log.map((l) => l.line);
    expect(task.status, JSON.stringify(lines)).toBe('ok');
    expect(lines).toContain('Step 1/3 : FROM labbox:latest');
    expect(lines).toContain('Step 2/3 : RUN echo built-by-mirador > /built');
    expect(lines.some((l) => l.startsWith(`Successfully tagged ${tag}`))).toBe(true);
    expect(lines[0]).toMatch(/^Equivalent command: docker build -t .*-built:1/);
    expect(task.progress).toBe(1);

    const listed = (await listImages()).find((i) => i.tags.includes(tag));
    expect(listed, 'built image in the list').toBeTruthy();
    expect(listed!.id).toBe(docker('image', 'inspect', '-f', '{{.Id}}', tag));

    const res = await api('POST', '/containers', { image: tag, name: `${RUN}-built`, start: true });
    expect(res.statusCode, res.body).toBe(201);
    createdContainers.push(res.json<CreateContainerResult>().id);
    expect(await logsOf(`${RUN}-built`, 'built-by-mirador')).toContain('built-by-mirador');
  });

  it('builds from a context tarball (uploaded over a real socket) whose Dockerfile COPYs a file of the context', async () => {
    const tag = `${REPO}-ctx:1`;
    const tar = tarOf({
      'docker/Dockerfile.lab': 'FROM labbox:latest\nCOPY site/greeting.txt /greeting.txt\nCMD ["cat","/greeting.txt"]\n',
      'site/greeting.txt': `hello from the context of ${RUN}\n`,
      // Padding, so the upload spans many socket reads.
      'site/padding.bin': 'x'.repeat(3 * 1024 * 1024),
    });
    const res = await fetch(`http://${base}/api/hosts/${hostId}/images/build?tag=${enc(tag)}&dockerfile=docker/Dockerfile.lab`, {
      method: 'POST',
      headers: { cookie: admin, origin: `http://${base}`, 'content-type': 'application/x-tar' },
      body: new Uint8Array(tar),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    createdImages.add(tag);
    const task = await waitTask(((await res.json()) as Task).id);
    expect(task.status, JSON.stringify(task.log)).toBe('ok');
    expect(task.log.map((l) => l.line)).toContain('Step 2/3 : COPY site/greeting.txt /greeting.txt');
    expect(docker('run', '--rm', '--label', 'mirador.test=1', tag)).toBe(`hello from the context of ${RUN}`);
  });

  it('fails a broken build with the engine message and tags nothing', async () => {
    const tag = `${REPO}-broken:1`;
    const task = await build(tag, `FROM labbox:latest\nRUN echo about to fail ${RUN} && exit 3\n`, 'text/plain');
    expect(task.status).toBe('error');
    expect(task.error).toMatch(/returned a non-zero code: 3/);
    expect(task.log.map((l) => l.line)).toContain(`about to fail ${RUN}`);
    expect(task.log.some((l) => l.level === 'error' && /non-zero code: 3/.test(l.line))).toBe(true);
    expect(imageExists(tag)).toBe(false);
    expect((await listImages()).some((i) => i.tags.includes(tag))).toBe(false);
    const failed = await audit('task.image.build', 'error');
    expect(failed.some((e) => e.target.name === tag && /non-zero code: 3/.test(e.errorMessage ?? ''))).toBe(true);
  });

  it('audits uploads with their parameters, never the uploaded bytes', async () => {
    // Taken on as tasks: recorded as accepted (each task's end is its own `task.image.build` record).
    const builds = await audit('image.build', 'accepted');
    expect(builds.map((e) => e.target.name)).toEqual(expect.arrayContaining([`${REPO}-built:1`, `${REPO}-ctx:1`, `${REPO}-broken:1`]));
    for (const e of builds) expect(JSON.stringify(e.params).length, JSON.stringify(e.params).slice(0, 300)).toBeLessThan(4096);
    const ctx = builds.find((e) => e.target.name === `${REPO}-ctx:1`)!;
    expect(ctx.params).toEqual({
      query: { tag: `${REPO}-ctx:1`, dockerfile: 'docker/Dockerfile.lab' },
      upload: 'application/x-tar',
      taskId: expect.any(String),
      taskType: 'image.build',
    });
    const lone = builds.find((e) => e.target.name === `${REPO}-built:1`)!;
    expect(lone.params).toMatchObject({ upload: 'Dockerfile', dockerfile: expect.stringContaining('RUN echo built-by-mirador') });
  });
});

describe('tags, detail and removal', () => {
  it('tags by URL-encoded reference, shows both tags and the detail, untags', async () => {
    const alias = `${REPO}-lb:1`;
    const res = await api('POST', `/images/${enc('labbox:latest')}/tag`, { target: alias });
    expect(res.statusCode, res.body).toBe(200);
    createdImages.add(alias);
    expect(res.json().command).toBe(`docker tag labbox:latest ${alias}`);
    const labboxId = docker('image', 'inspect', '-f', '{{.Id}}', 'labbox:latest');
    const row = (await listImages()).find((i) => i.id === labboxId);
    expect(row?.tags).toEqual(expect.arrayContaining(['labbox:latest', alias]));

    // A container of the image shows up as its user.
    const user = await api('POST', '/containers', { image: alias, name: `${RUN}-lbuser`, command: ['sleep', '600'] });
    expect(user.statusCode, user.body).toBe(201);
    createdContainers.push(user.json<CreateContainerResult>().id);
    const detail = await api('GET', `/images/${enc(alias)}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const d = detail.json<ImageDetail>();
    expect(d.image.id).toBe(labboxId);
    expect(d.image.tags).toEqual(expect.arrayContaining(['labbox:latest', alias]));
    expect(d.image.containers).toContain(`${RUN}-lbuser`);
    expect(d.history.length).toBeGreaterThan(0);
    expect(d.layers.length).toBeGreaterThan(0);
    expect(d.layers[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    // By ID too.
    expect((await api('GET', `/images/${enc(labboxId)}`)).json<ImageDetail>().image.id).toBe(labboxId);

    const untag = await api('DELETE', `/images/${enc(alias)}`);
    expect(untag.statusCode, untag.body).toBe(200);
    const out = untag.json<RemoveImageResult>();
    expect(out.untagged).toEqual([alias]);
    expect(out.deleted).toEqual([]);
    expect(out.command).toBe(`docker rmi ${alias}`);
    expect(imageExists(alias)).toBe(false);
    expect(imageExists('labbox:latest')).toBe(true);
    expect((await listImages()).find((i) => i.id === labboxId)?.tags).not.toContain(alias);
  });

  it('refuses to remove an image a container uses (409, the engine words) unless forced', async () => {
    const tag = `${REPO}-built:1`; // its container exists since the first build test
    const refused = await api('DELETE', `/images/${enc(tag)}`);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().message).toMatch(
      /unable to remove repository reference .* \(must force\) - container [0-9a-f]+ is using its referenced image/,
    );
    expect(imageExists(tag)).toBe(true);
    const forced = await api('DELETE', `/images/${enc(tag)}?force=true`);
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json<RemoveImageResult>().untagged).toContain(tag);
    expect(forced.json<RemoveImageResult>().command).toBe(`docker rmi -f ${tag}`);
    expect(imageExists(tag)).toBe(false);
    const failures = await audit('image.remove', 'error');
    expect(failures.some((e) => e.target.name === tag && e.statusCode === 409)).toBe(true);
    expect((await audit('image.remove', 'ok')).some((e) => e.target.name === tag)).toBe(true);
  });

  it('previews exactly the dangling images that a prune deletes', async () => {
    const tag = `${REPO}-prune:1`;
    expect((await build(tag, 'FROM labbox:latest\nRUN echo one > /v\n', 'text/plain')).status).toBe('ok');
    const first = docker('image', 'inspect', '-f', '{{.Id}}', tag);
    // Same tag, different content: the first image loses its tag.
    expect((await build(tag, 'FROM labbox:latest\nRUN echo two > /v\n', 'text/plain')).status).toBe('ok');
    const second = docker('image', 'inspect', '-f', '{{.Id}}', tag);
    expect(second).not.toBe(first);
    expect((await listImages()).find((i) => i.id === first)?.dangling).toBe(true);

    const preview = await api('GET', '/images/prune');
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json<PruneResult>();
    expect(p.items.map((i) => i.id)).toContain(first);
    expect(p.items.map((i) => i.id)).not.toContain(second);
    expect(p.command).toBe('docker image prune -f');
    expect(imageExists(first)).toBe(true); // a preview deletes nothing

    const pruned = await api('POST', '/images/prune');
    expect(pruned.statusCode, pruned.body).toBe(200);
    const r = pruned.json<PruneResult>();
    expect(r.items.map((i) => i.id).sort()).toEqual(p.items.map((i) => i.id).sort());
    expect(r.reclaimedBytes).toBeGreaterThan(0);
    expect(r.command).toBe('docker image prune -f');
    expect(imageExists(first)).toBe(false);
    expect(imageExists(second)).toBe(true);
    expect((await audit('image.prune', 'ok')).length).toBeGreaterThanOrEqual(1);
  });
});

describe('export and import', () => {
  it('exports a docker save archive and loads it back after the image is gone', async () => {
    const tag = `${REPO}-io:1`;
    expect((await build(tag, `FROM labbox:latest\nRUN echo ${RUN} > /io\n`, 'text/plain')).status).toBe('ok');
    const id = docker('image', 'inspect', '-f', '{{.Id}}', tag);
    const exported = await api('GET', `/images/${enc(tag)}/export`);
    expect(exported.statusCode, exported.body.slice(0, 200)).toBe(200);
    expect(exported.headers['content-type']).toBe('application/x-tar');
    expect(exported.headers['content-disposition']).toMatch(/attachment; filename=".*-io_1\.tar"/);
    expect(exported.headers['x-docker-command']).toBe(`docker save -o image.tar ${tag}`);
    const archive = exported.rawPayload;
    const entries = execFileSync('tar', ['-t'], { input: archive, encoding: 'utf8' }).split('\n');
    expect(entries).toContain('manifest.json');
    const manifest = JSON.parse(execFileSync('tar', ['-xO', 'manifest.json'], { input: archive, encoding: 'utf8' })) as Array<{
      RepoTags: string[];
    }>;
    expect(manifest[0]!.RepoTags).toEqual([tag]);

    expect((await api('DELETE', `/images/${enc(tag)}`)).statusCode).toBe(200);
    expect(imageExists(tag)).toBe(false);
    const loaded = await api('POST', '/images/import?format=load', archive, { contentType: 'application/x-tar' });
    expect(loaded.statusCode, loaded.body).toBe(200);
    expect(loaded.json()).toEqual({ loaded: [tag], command: 'docker load -i images.tar' });
    expect(docker('image', 'inspect', '-f', '{{.Id}}', tag)).toBe(id);
    expect((await listImages()).some((i) => i.tags.includes(tag))).toBe(true);
    // The upload went to a temporary file that is gone again.
    const uploads = join(t.dataDir, 'uploads');
    expect(existsSync(uploads) ? execFileSync('ls', ['-A', uploads], { encoding: 'utf8' }).trim() : '').toBe('');
  });

  it('imports a root filesystem tarball as a one-layer image (format=rootfs)', async () => {
    const tag = `${REPO}-rootfs:1`;
    const tar = tarOf({ 'bin/busybox': { copyFrom: '/bin/busybox' }, 'hello.txt': `rootfs of ${RUN}\n` });
    const noTag = await api('POST', '/images/import?format=rootfs', tar, { contentType: 'application/x-tar' });
    expect(noTag.statusCode, noTag.body).toBe(400);
    expect(noTag.json().field).toBe('tag');
    const res = await api('POST', `/images/import?format=rootfs&tag=${enc(tag)}`, tar, { contentType: 'application/x-tar' });
    expect(res.statusCode, res.body).toBe(200);
    createdImages.add(tag);
    expect(res.json().loaded[0]).toBe(tag);
    expect(res.json().command).toBe(`docker import rootfs.tar ${tag}`);
    expect(docker('image', 'inspect', '-f', '{{len .RootFS.Layers}}', tag)).toBe('1');
    expect(docker('run', '--rm', '--label', 'mirador.test=1', tag, '/bin/busybox', 'cat', '/hello.txt')).toBe(`rootfs of ${RUN}`);
    const imports = await audit('image.import');
    expect(imports.filter((e) => e.result === 'ok').length).toBe(2);
    expect(imports.some((e) => e.result === 'error' && e.statusCode === 400 && /tag/.test(e.errorMessage ?? ''))).toBe(true);
    for (const e of imports) expect(JSON.stringify(e.params).length).toBeLessThan(1024);
  });
});

describe('registries, push and pull', () => {
  const ref = `${REG}/mirador/${RUN}:1`;
  let registryId = '';
  const registryTags = async () => {
    const res = await fetch(`http://${REG}/v2/mirador/${RUN}/tags/list`, { headers: { authorization: registryAuth() } });
    return res.ok ? ((await res.json()) as { tags: string[] }).tags : [];
  };

  /** Starts a push/pull, follows `task:<id>` on the websocket, waits for the end. */
  async function followTask(start: () => Promise<{ statusCode: number; body: string; json: <T>() => T }>) {
    const ws = await wsConnect<WsMessage>(`ws://${base}/api/ws`, admin);
    try {
      await ws.waitFor((m) => m.type === 'hello');
      const res = await start();
      expect(res.statusCode, res.body).toBe(202);
      const task = res.json<Task>();
      const topic = `task:${task.id}`;
      ws.send({ type: 'subscribe', topic });
      await ws.waitFor((m) => m.type === 'subscribed' && m.topic === topic);
      // A task that failed at once (a refused login) may have ended before the subscription took
      // effect (subscriptions wait for the identity re-check); its last update then went out unseen.
      const atSubscribe = (await t.call({ method: 'GET', url: `/api/tasks/${task.id}`, cookie: admin })).json<TaskDetail>();
      const detail = await waitTask(task.id);
      // The last update is published when the task ends.
      if (atSubscribe.status === 'queued' || atSubscribe.status === 'running') {
        await ws.waitFor((m) => m.type === 'task.updated' && m.topic === topic && m.task?.status === detail.status, 5_000);
      }
      const layers = ws.messages.filter((m) => m.type === 'task.layers' && m.topic === topic);
      return { task: detail, layers };
    } finally {
      ws.close();
    }
  }

  it('stores credentials (admins only) without ever showing or storing the password in clear', async () => {
    const body = { name: `lab-${RUN}`, serverAddress: REG, username: lab.registry.username, password: lab.registry.password };
    const denied = await t.call({ method: 'POST', url: '/api/registries', cookie: olga, payload: body });
    expect(denied.statusCode, denied.body).toBe(403);
    const res = await t.call({ method: 'POST', url: '/api/registries', cookie: admin, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(lab.registry.password);
    const reg = res.json<Registry>();
    expect(reg).toMatchObject({ name: `lab-${RUN}`, serverAddress: REG, username: lab.registry.username, hasPassword: true });
    registryId = reg.id;
    for (const cookie of [admin, olga]) {
      const list = await t.call({ method: 'GET', url: '/api/registries', cookie });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(lab.registry.password);
      expect(list.json<{ items: Registry[] }>().items.map((r) => r.id)).toContain(registryId);
    }
    // The database file (and its write-ahead log) hold the record, not the password.
    const dbFiles = ['mirador.db', 'mirador.db-wal'].map((f) => join(t.dataDir, f)).filter(existsSync);
    const raw = Buffer.concat(dbFiles.map((f) => readFileSync(f)));
    expect(raw.includes(Buffer.from(`lab-${RUN}`)), 'the registry row is in the files checked').toBe(true);
    expect(raw.includes(Buffer.from(lab.registry.password))).toBe(false);
    expect(raw.includes(Buffer.from(lab.registry.password).toString('base64'))).toBe(false);
    // The audit record of the creation has no password either.
    const rec = (await audit('registry.create', 'ok')).find((e) => e.target.id === registryId);
    expect(rec).toBeTruthy();
    expect(JSON.stringify(rec)).not.toContain(lab.registry.password);
    expect((await audit('registry.create', 'error')).some((e) => e.statusCode === 403)).toBe(true);
  });

  it('pushes with the stored credentials, with per-layer progress on the websocket', async () => {
    // A layer of its own, so the push has something to upload.
    const src = `${REPO}-push:1`;
    expect(
      (await build(src, `FROM labbox:latest\nRUN head -c 2000000 /dev/urandom > /blob && echo ${RUN} > /id\n`, 'text/plain')).status,
    ).toBe('ok');
    const tagged = await api('POST', `/images/${enc(src)}/tag`, { target: ref });
    expect(tagged.statusCode, tagged.body).toBe(200);
    createdImages.add(ref);

    const { task, layers } = await followTask(() => api('POST', `/images/${enc(ref)}/push`, {}));
    expect(task.status, `${task.error} ${JSON.stringify(task.log)}`).toBe('ok');
    expect(task.type).toBe('image.push');
    expect(task.log[0]!.line).toBe(`Equivalent command: docker push ${ref}`);
    expect(layers.length, 'task.layers messages').toBeGreaterThan(0);
    const last = layers.at(-1)!.layers!;
    expect(last.length).toBe(2); // labbox's layer and the new one
    for (const l of last) expect(l.status).toMatch(/^(Pushed|Layer already exists|Mounted from .*)$/);
    expect(last.some((l) => l.status === 'Pushed')).toBe(true);
    expect(await registryTags()).toEqual(['1']);
  });

  it('pulls it back after the local copy is removed, with layer progress', async () => {
    const id = docker('image', 'inspect', '-f', '{{.Id}}', ref);
    const rm = await api('DELETE', `/images/${enc(ref)}`);
    expect(rm.statusCode, rm.body).toBe(200);
    expect((await api('DELETE', `/images/${enc(`${REPO}-push:1`)}`)).statusCode).toBe(200);
    expect(imageExists(ref)).toBe(false);
    expect(imageExists(id)).toBe(false);

    const { task, layers } = await followTask(() => api('POST', '/images/pull', { image: ref }));
    expect(task.status, `${task.error} ${JSON.stringify(task.log)}`).toBe('ok');
    expect(task.type).toBe('image.pull');
    expect(layers.length).toBeGreaterThan(0);
    const last = layers.at(-1)!.layers!;
    expect(last.map((l) => l.status).sort()).toEqual(['Already exists', 'Pull complete']);
    expect(task.log.some((l) => /: Pull complete$/.test(l.line))).toBe(true);
    expect(docker('image', 'inspect', '-f', '{{.Id}}', ref)).toBe(id);
    expect((await listImages()).find((i) => i.tags.includes(ref))?.id).toBe(id);
  });

  it('fails a push readably when the stored password is wrong or no credentials are stored', async () => {
    const patched = await t.call({
      method: 'PATCH',
      url: `/api/registries/${registryId}`,
      cookie: admin,
      payload: { password: 'not-the-password' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const wrong = await followTask(() => api('POST', `/images/${enc(ref)}/push`, {}));
    expect(wrong.task.status).toBe('error');
    expect(wrong.task.error).toBe(
      `${REG} refused the credentials stored in Mirador (registry user "${lab.registry.username}"); the registry said: unauthorized: authentication required`,
    );

    const removed = await t.call({ method: 'DELETE', url: `/api/registries/${registryId}`, cookie: admin });
    expect(removed.statusCode, removed.body).toBe(200);
    const none = await followTask(() => api('POST', `/images/${enc(ref)}/push`, {}));
    expect(none.task.status).toBe('error');
    expect(none.task.error).toBe(
      `No credentials are stored in Mirador for ${REG} (add them under Registries); the registry said: no basic auth credentials`,
    );
    const pull = await followTask(() => api('POST', '/images/pull', { image: ref }));
    expect(pull.task.status).toBe('error');
    expect(pull.task.error).toMatch(
      new RegExp(`^No credentials are stored in Mirador for ${REG.replace(/\./g, '\\.')} .*no basic auth credentials`),
    );
    expect((await audit('task.image.push', 'error')).filter((e) => e.target.name === ref).length).toBe(2);
    expect((await audit('task.image.pull', 'error')).filter((e) => e.target.name === ref).length).toBe(1);
    expect((await audit('registry.remove', 'ok')).some((e) => e.target.id === registryId)).toBe(true);
  });
});

describe('hostile input', () => {
  it('refuses bad image references and targets with 400 naming the field, changing nothing', async () => {
    const labboxTags = docker('image', 'inspect', '-f', '{{json .RepoTags}}', 'labbox:latest');
    const before = await audit('image.', 'error');
    const cases: Array<[string, () => ReturnType<typeof api>, string]> = [
      ['tag labbox;id', () => api('POST', `/images/${enc('labbox;id')}/tag`, { target: `${REPO}-x:1` }), 'image'],
      ['tag ../x', () => api('POST', `/images/${enc('../x')}/tag`, { target: `${REPO}-x:1` }), 'image'],
      ['tag UPPER/case', () => api('POST', `/images/${enc('UPPER/case')}/tag`, { target: `${REPO}-x:1` }), 'image'],
      ['target with a space', () => api('POST', `/images/${enc('labbox:latest')}/tag`, { target: 'labbox:my tag' }), 'target'],
      ['target UPPER', () => api('POST', `/images/${enc('labbox:latest')}/tag`, { target: 'Mirador/x:1' }), 'target'],
      [
        'target with a digest',
        () => api('POST', `/images/${enc('labbox:latest')}/tag`, { target: `labbox@sha256:${'a'.repeat(64)}` }),
        'target',
      ],
      ['remove labbox;id', () => api('DELETE', `/images/${enc('labbox;id')}?force=true`), 'image'],
      ['remove ../x', () => api('DELETE', `/images/${enc('../x')}`), 'image'],
      ['remove UPPER/case', () => api('DELETE', `/images/${enc('UPPER/case')}`), 'image'],
      ['pull labbox;id', () => api('POST', '/images/pull', { image: 'labbox;id' }), 'image'],
      ['pull ../x', () => api('POST', '/images/pull', { image: '../x' }), 'image'],
      ['pull UPPER/case', () => api('POST', '/images/pull', { image: 'UPPER/case' }), 'image'],
      ['push UPPER/case', () => api('POST', `/images/${enc('UPPER/case')}/push`, {}), 'image'],
      [
        'build tag UPPER/case',
        () => api('POST', `/images/build?tag=${enc('UPPER/case')}`, 'FROM labbox:latest\n', { contentType: 'text/plain' }),
        'tag',
      ],
      [
        'build tag with ;',
        () => api('POST', `/images/build?tag=${enc('x;id')}`, 'FROM labbox:latest\n', { contentType: 'text/plain' }),
        'tag',
      ],
      [
        'build dockerfile ../',
        () =>
          api(
            'POST',
            `/images/build?tag=${enc(`${REPO}-x:1`)}&dockerfile=${enc('../Dockerfile')}`,
            tarOf({ Dockerfile: 'FROM labbox:latest\n' }),
            { contentType: 'application/x-tar' },
          ),
        'dockerfile',
      ],
      [
        'import tag UPPER',
        () => api('POST', `/images/import?format=rootfs&tag=${enc('UPPER/case')}`, tarOf({ a: 'a' }), { contentType: 'application/x-tar' }),
        'tag',
      ],
    ];
    for (const [what, call, field] of cases) {
      const res = await call();
      expect(res.statusCode, `${what} → ${res.body}`).toBe(400);
      expect(res.json().field, `${what} → ${res.body}`).toBe(field);
      expect(res.json().message.length, what).toBeGreaterThan(10);
    }
    expect(docker('image', 'inspect', '-f', '{{json .RepoTags}}', 'labbox:latest')).toBe(labboxTags);
    expect(imageExists(`${REPO}-x:1`)).toBe(false);
    expect(imageExists('labbox:my')).toBe(false);
    expect(docker('images', '-q', '--filter', `reference=*${RUN}-x*`)).toBe('');
    // No task was started for any of them, and each refusal is audited.
    const tasks = (await t.call({ method: 'GET', url: '/api/tasks?limit=200', cookie: admin })).json<Task[]>();
    expect(tasks.filter((x) => /UPPER|;|\.\.\//.test(x.target.name ?? ''))).toEqual([]);
    const after = await audit('image.', 'error');
    expect(after.length - before.length).toBe(cases.length);
  });
});
