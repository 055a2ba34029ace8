import { describe, expect, it } from 'vitest';
import { buildPlan } from '../src/index.js';
import { validationError } from './helpers.js';

describe('buildPlan: one plan for the request, the engine call and the line shown', () => {
  it('a lone Dockerfile: sent as text, built as a one-file context named Dockerfile, shown as `- < Dockerfile`', () => {
    const p = buildPlan({ tag: 'x', source: 'dockerfile', dockerfile: 'ignored/Dockerfile', pull: true });
    expect(p.contentType).toBe('text/plain');
    expect(p.query).toEqual({ tag: 'x', pull: true });
    expect(p.engine).toEqual({ t: 'x:latest', dockerfile: 'Dockerfile', pull: 'true', nocache: false, rm: true, forcerm: true });
    expect(p.command).toBe('docker build -t x:latest --force-rm --pull - < Dockerfile');
  });

  it('a context tarball: sent as a tar, its Dockerfile path passed on, shown as `- < context.tar`', () => {
    const p = buildPlan({ tag: 'reg.lab:5000/web:1', source: 'context', dockerfile: ' docker/web.Dockerfile ', noCache: true });
    expect(p.contentType).toBe('application/x-tar');
    expect(p.query).toEqual({ tag: 'reg.lab:5000/web:1', dockerfile: 'docker/web.Dockerfile', noCache: true });
    expect(p.engine).toEqual({ t: 'reg.lab:5000/web:1', dockerfile: 'docker/web.Dockerfile', nocache: true, rm: true, forcerm: true });
    expect(p.command).toBe('docker build -t reg.lab:5000/web:1 --force-rm --no-cache -f docker/web.Dockerfile - < context.tar');
  });

  it('a context with the default Dockerfile needs no -f', () => {
    const p = buildPlan({ tag: 'x:2', source: 'context' });
    expect(p.query).toEqual({ tag: 'x:2' });
    expect(p.engine.dockerfile).toBe('Dockerfile');
    expect(p.command).toBe('docker build -t x:2 --force-rm - < context.tar');
  });

  it('every flag the engine gets is on the line, and none it does not get', () => {
    for (const source of ['dockerfile', 'context'] as const) {
      for (const pull of [false, true]) {
        for (const noCache of [false, true]) {
          const p = buildPlan({ tag: 'x:1', source, pull, noCache });
          expect(p.command.includes('--pull')).toBe(p.engine.pull === 'true');
          expect(p.command.includes('--no-cache')).toBe(p.engine.nocache);
          expect(p.command.includes('--force-rm')).toBe(p.engine.forcerm);
          expect(p.command.includes(` -t ${p.engine.t} `)).toBe(true);
        }
      }
    }
  });

  it('refuses a bad tag or a Dockerfile path leaving the context', () => {
    expect(validationError(() => buildPlan({ tag: 'Bad Tag', source: 'dockerfile' })).field).toBe('tag');
    expect(validationError(() => buildPlan({ tag: 'x', source: 'context', dockerfile: '../Dockerfile' })).field).toBe('dockerfile');
    expect(validationError(() => buildPlan({ tag: 'x', source: 'context', dockerfile: 'a;rm -rf /' })).field).toBe('dockerfile');
  });
});
