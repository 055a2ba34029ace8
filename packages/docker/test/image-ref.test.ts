import { describe, expect, it } from 'vitest';
import { imageRegistry, parseImageRef } from '../src/index.js';
import { HOSTILE, validationError } from './helpers.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageRef', () => {
  it.each([
    ['nginx', { registry: null, repository: 'nginx', tag: null, digest: null, normalized: 'nginx:latest' }],
    ['labbox', { registry: null, repository: 'labbox', tag: null, digest: null, normalized: 'labbox:latest' }],
    [
      'library/nginx:1.27-alpine',
      { registry: null, repository: 'library/nginx', tag: '1.27-alpine', digest: null, normalized: 'library/nginx:1.27-alpine' },
    ],
    [
      'registry.lab:5000/course/web:1.0',
      { registry: 'registry.lab:5000', repository: 'course/web', tag: '1.0', digest: null, normalized: 'registry.lab:5000/course/web:1.0' },
    ],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: null, digest: null, normalized: 'localhost/x:latest' }],
    [
      'localhost:5000/a_b/c__d/e--f.g',
      {
        registry: 'localhost:5000',
        repository: 'a_b/c__d/e--f.g',
        tag: null,
        digest: null,
        normalized: 'localhost:5000/a_b/c__d/e--f.g:latest',
      },
    ],
    [
      `ghcr.io/o/app@${DIGEST}`,
      { registry: 'ghcr.io', repository: 'o/app', tag: null, digest: DIGEST, normalized: `ghcr.io/o/app@${DIGEST}` },
    ],
    [`app:v1@${DIGEST}`, { registry: null, repository: 'app', tag: 'v1', digest: DIGEST, normalized: `app:v1@${DIGEST}` }],
    ['app:V1_RC', { registry: null, repository: 'app', tag: 'V1_RC', digest: null, normalized: 'app:V1_RC' }],
    [
      'Registry.Example.org/app',
      { registry: 'Registry.Example.org', repository: 'app', tag: null, digest: null, normalized: 'Registry.Example.org/app:latest' },
    ],
    ['[::1]:5000/app:1', { registry: '[::1]:5000', repository: 'app', tag: '1', digest: null, normalized: '[::1]:5000/app:1' }],
  ])('parses %j', (ref, expected) => {
    expect(parseImageRef(ref)).toEqual(expected);
  });

  it.each([
    ...HOSTILE,
    '',
    'Nginx',
    'library/Nginx',
    'nginx:',
    'nginx:.tag',
    'nginx:-tag',
    `nginx:${'t'.repeat(129)}`,
    'a//b',
    '/nginx',
    'nginx/',
    'a..b',
    'a-_b',
    '_a',
    'a.',
    'nginx@sha256:abc',
    'nginx@md5',
    'reg.io:99999/app',
    'reg..io/app',
    '-reg.io/app',
    ':5000/app',
    'nginx latest',
  ])('refuses %j', (ref) => {
    const err = validationError(() => parseImageRef(ref, 'target'));
    expect(err.field).toBe('target');
    expect(err.message.startsWith('target: ')).toBe(true);
  });

  it('writes sentences', () => {
    expect(validationError(() => parseImageRef('Nginx')).message).toBe(
      'image: "Nginx" contains uppercase letters; repository names must be lowercase (tags may use uppercase).',
    );
    expect(validationError(() => parseImageRef('nginx; rm -rf /')).message).toMatch(/^image: .* contains ";"/);
  });

  it('finds the registry', () => {
    expect(imageRegistry('nginx')).toBe('docker.io');
    expect(imageRegistry('library/nginx:1')).toBe('docker.io');
    expect(imageRegistry('ghcr.io/o/app')).toBe('ghcr.io');
    expect(imageRegistry('registry.lab:5000/web')).toBe('registry.lab:5000');
    expect(imageRegistry('localhost/web')).toBe('localhost');
    expect(imageRegistry('localhost:5000')).toBe('docker.io'); // image "localhost", tag "5000"
  });
});
