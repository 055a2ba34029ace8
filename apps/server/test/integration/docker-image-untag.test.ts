import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoveImageResult } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';

/**
 * Removing a row of the images list removes that tag (`docker rmi repo:tag`), never the image's
 * other tags, forced or not; deleting the image by ID is its own call. Against the lab's dockerd,
 * on a copy of the lab image given two tags of its own (the lab's base image is never touched).
 */
const lab = readLab();
const RUN = `mu${process.pid}`;
const REPO = `mirador-test/${RUN}`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const exists = (ref: string) => {
  try {
    docker('image', 'inspect', ref);
    return true;
  } catch {
    return false;
  }
};
const enc = encodeURIComponent;

let t: TestApp;
let admin: string;
let hostId: string;
let imageId: string;
const A = `${REPO}-a:1`;
const B = `${REPO}-b:1`;
const containers: string[] = [];

const api = (method: 'GET' | 'POST' | 'DELETE', path: string, payload?: Record<string, unknown>) =>
  t.call({ method, url: `/api/hosts/${hostId}${path}`, cookie: admin, ...(payload !== undefined ? { payload } : {}) });

beforeAll(async () => {
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
  // An image of its own (a one-layer build on the lab image), so no test can touch the lab's tags.
  execFileSync('docker', ['build', '-q', '-t', A, '-'], {
    input: `FROM ${lab.dockerImage}\nLABEL mirador.test=${RUN}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  docker('tag', A, B);
  imageId = docker('image', 'inspect', '-f', '{{.Id}}', A);
  expect(docker('image', 'inspect', '-f', '{{.Id}}', lab.dockerImage)).not.toBe(imageId);
  // A (stopped) container of the image: what a plain removal would refuse and `force` overrides.
  containers.push(docker('create', '--network', 'none', '--label', `mirador.test=${RUN}`, B, 'true'));
});

afterAll(async () => {
  for (const c of containers) docker('rm', '-f', c);
  for (const ref of [A, B]) if (exists(ref)) docker('rmi', '-f', ref);
  if (imageId && exists(imageId)) docker('rmi', '-f', imageId);
  await t?.close();
});

describe('removing one tag of an image with two', () => {
  it('forced, removes that tag only: the other tag and the image stay', async () => {
    const res = await api('DELETE', `/images/${enc(A)}?untag=true&force=true`);
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json<RemoveImageResult>();
    expect(out.untagged).toEqual([A]);
    expect(out.deleted).toEqual([]);
    expect(out.command).toBe(`docker rmi -f ${A}`);
    expect(exists(A)).toBe(false);
    expect(exists(B)).toBe(true);
    expect(docker('image', 'inspect', '-f', '{{.Id}}', B)).toBe(imageId);
  });

  it('a row removal can never name the image another way: ID, ID prefix, digest or an unknown tag are refused, nothing removed', async () => {
    docker('tag', B, A);
    const attempts = [imageId, imageId.replace('sha256:', '').slice(0, 12), `${REPO}-a@sha256:${'0'.repeat(64)}`, `${REPO}-c:1`];
    for (const ref of attempts) {
      const res = await api('DELETE', `/images/${enc(ref)}?untag=true&force=true`);
      expect([400, 404], `${ref}: ${res.body}`).toContain(res.statusCode);
    }
    expect(exists(A)).toBe(true);
    expect(exists(B)).toBe(true);
    // A name that also reads as an ID prefix is taken as the tag `<hex>:latest`, which this image does not have.
    const id12 = imageId.replace('sha256:', '').slice(0, 12);
    const res = await api('DELETE', `/images/${enc(id12)}?untag=true`);
    expect([400, 404], res.body).toContain(res.statusCode);
    expect(exists(B)).toBe(true);
    // The last tag of an image a container uses: refused without force, as the CLI would.
    docker('rmi', A);
    const last = await api('DELETE', `/images/${enc(B)}?untag=true`);
    expect(last.statusCode, last.body).toBe(409);
    expect(exists(B)).toBe(true);
  });

  it('deleting the image by ID is the explicit call that removes every tag', async () => {
    docker('tag', B, A);
    const res = await api('DELETE', `/images/${enc(imageId)}?force=true`);
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json<RemoveImageResult>();
    expect(out.untagged.sort()).toEqual([A, B].sort());
    expect(out.command).toBe(`docker rmi -f ${imageId}`);
    expect(exists(A) || exists(B)).toBe(false);
    expect(exists(lab.dockerImage)).toBe(true);
  });
});
