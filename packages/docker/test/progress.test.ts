import { describe, expect, it } from 'vitest';
import { LayerProgressTracker, parseJsonLines } from '../src/index.js';

describe('parseJsonLines', () => {
  it('carries partial lines across chunks', () => {
    let r = parseJsonLines('{"status":"a"}\n{"sta', '');
    expect(r).toEqual({ objects: [{ status: 'a' }], carry: '{"sta' });
    r = parseJsonLines('tus":"b"}\r\n\n{"status":"c"}\n', r.carry);
    expect(r).toEqual({ objects: [{ status: 'b' }, { status: 'c' }], carry: '' });
  });
  it('throws on garbage', () => {
    expect(() => parseJsonLines('not json\n', '')).toThrow(/not JSON/);
  });
});

describe('LayerProgressTracker (pull)', () => {
  it('follows a pull to completion', () => {
    const t = new LayerProgressTracker();
    expect(t.fraction()).toBeNull();
    t.update({ status: 'Pulling from library/nginx', id: '1.27' });
    expect(t.layers()).toEqual([]);
    expect(t.lastStatus()).toBe('Pulling from library/nginx');
    t.update({ status: 'Already exists', progressDetail: {}, id: 'aaaaaaaaaaaa' });
    t.update({ status: 'Pulling fs layer', progressDetail: {}, id: 'bbbbbbbbbbbb' });
    t.update({ status: 'Pulling fs layer', progressDetail: {}, id: 'cccccccccccc' });
    expect(t.fraction()).toBeNull(); // no sizes yet
    t.update({ status: 'Downloading', progressDetail: { current: 500, total: 1000 }, progress: '[=====>   ]', id: 'bbbbbbbbbbbb' });
    t.update({ status: 'Downloading', progressDetail: { current: 0, total: 3000 }, id: 'cccccccccccc' });
    // 500 of (2*1000 + 2*3000)
    expect(t.fraction()).toBeCloseTo(500 / 8000);
    t.update({ status: 'Verifying Checksum', progressDetail: {}, id: 'bbbbbbbbbbbb' });
    t.update({ status: 'Download complete', progressDetail: {}, id: 'bbbbbbbbbbbb' });
    t.update({ status: 'Extracting', progressDetail: { current: 500, total: 1000 }, id: 'bbbbbbbbbbbb' });
    // b: 1000 downloaded + 500 extracted
    expect(t.fraction()).toBeCloseTo(1500 / 8000);
    t.update({ status: 'Pull complete', progressDetail: {}, id: 'bbbbbbbbbbbb' });
    t.update({ status: 'Downloading', progressDetail: { current: 3000, total: 3000 }, id: 'cccccccccccc' });
    expect(t.fraction()).toBeCloseTo(5000 / 8000);
    t.update({ status: 'Extracting', progressDetail: { current: 3000, total: 3000 }, id: 'cccccccccccc' });
    expect(t.fraction()).toBe(0.99); // c not reported complete yet
    t.update({ status: 'Pull complete', progressDetail: {}, id: 'cccccccccccc' });
    t.update({ status: 'Digest: sha256:' + 'd'.repeat(64) });
    t.update({ status: 'Status: Downloaded newer image for nginx:1.27' });
    expect(t.fraction()).toBe(1);
    expect(t.lastStatus()).toBe('Status: Downloaded newer image for nginx:1.27');
    expect(t.error()).toBeNull();
    expect(t.layers()).toEqual([
      { id: 'aaaaaaaaaaaa', status: 'Already exists', current: null, total: null },
      { id: 'bbbbbbbbbbbb', status: 'Pull complete', current: 1000, total: 1000 },
      { id: 'cccccccccccc', status: 'Pull complete', current: 3000, total: 3000 },
    ]);
  });

  it('is complete when every layer already exists', () => {
    const t = new LayerProgressTracker();
    t.update({ status: 'Pulling from library/alpine', id: 'latest' });
    t.update({ status: 'Already exists', id: 'aaaaaaaaaaaa' });
    expect(t.fraction()).toBe(1);
  });

  it('keeps the first error', () => {
    const t = new LayerProgressTracker();
    t.update({
      errorDetail: { message: 'pull access denied for nope, repository does not exist' },
      error: 'pull access denied for nope, repository does not exist',
    });
    t.update({ error: 'second' });
    expect(t.error()).toBe('pull access denied for nope, repository does not exist');
    expect(t.lastStatus()).toBe('second');
  });
});

describe('LayerProgressTracker (push)', () => {
  it('follows a push', () => {
    const t = new LayerProgressTracker();
    t.update({ status: 'The push refers to repository [registry.lab:5000/course/web]' });
    t.update({ status: 'Preparing', progressDetail: {}, id: '111111111111' });
    t.update({ status: 'Preparing', progressDetail: {}, id: '222222222222' });
    t.update({ status: 'Waiting', progressDetail: {}, id: '222222222222' });
    t.update({ status: 'Layer already exists', progressDetail: {}, id: '222222222222' });
    t.update({ status: 'Pushing', progressDetail: { current: 2048, total: 4096 }, id: '111111111111' });
    expect(t.fraction()).toBeCloseTo(0.5);
    expect(t.lastStatus()).toBe('111111111111: Pushing');
    t.update({ status: 'Pushed', progressDetail: {}, id: '111111111111' });
    t.update({ status: '1.0: digest: sha256:' + 'e'.repeat(64) + ' size: 740', progressDetail: {} });
    t.update({ progressDetail: {}, aux: { Tag: '1.0', Digest: 'sha256:' + 'e'.repeat(64), Size: 740 } });
    expect(t.fraction()).toBe(1);
    expect(t.layers().map((l) => l.status)).toEqual(['Pushed', 'Layer already exists']);
  });
});
