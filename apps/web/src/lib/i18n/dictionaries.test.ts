import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { es } from './es';
import { i18n, t, tn } from './index.svelte';
import { taskError, taskMessage, translateServerMessage } from './serverMessage';

// Run from the workspace root (the root config) or from apps/web.
const SERVER_SRC = [process.cwd(), join(process.cwd(), '../..')].map((d) => join(d, 'apps/server/src')).find((d) => existsSync(d))!;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * The namespaced codes (`docker.portTaken`, `notFound.vm`, `validation.maxLength`) the server puts on
 * its messages, read from its source: `code: '…'` / `messageCode: '…'`, the shape tables that map a
 * sentence to a code, the code argument of the http-error helpers, and Ajv's keywords.
 */
function serverCodes(): Set<string> {
  const codes = new Set<string>();
  const dotted = /^[a-z]+(?:\.[a-zA-Z]+)+$/;
  for (const file of sourceFiles(SERVER_SRC)) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/[cC]ode:\s*'([^']+)'/g)) codes.add(m[1]!);
    for (const m of src.matchAll(/\[\/.+\/[a-z]*,\s*'([^']+)'\]/g)) codes.add(m[1]!);
    // The code argument: third of badRequest/conflict (after message and field), second of notFound/forbidden.
    for (const m of src.matchAll(
      /\b(?:badRequest|conflict)\(\s*(?:`[^`]*`|'[^']*'|[\w.]+)\s*,\s*(?:'[^']*'|undefined|[\w.]+)\s*,\s*'([^']+)'/g,
    ))
      codes.add(m[1]!);
    for (const m of src.matchAll(/\b(?:notFound|forbidden)\(\s*(?:`[^`]*`|'[^']*'|[\w.]+)\s*,\s*'([^']+)'/g)) codes.add(m[1]!);
    if (file.endsWith('plugins/errors.ts')) {
      const table = /const what[^{]*\{([\s\S]*?)\n {2}\};/.exec(src)?.[1] ?? '';
      for (const m of table.matchAll(/^\s*(\w+):/gm)) codes.add(`validation.${m[1]}`);
      codes.add('validation.empty');
    }
  }
  return new Set([...codes].filter((c) => dotted.test(c)));
}

const has = (dict: Record<string, string>, code: string) => `server.${code}` in dict || `server.${code}.other` in dict;

describe('dictionaries', () => {
  afterEach(() => i18n.set('en'));

  it('English and Spanish have the same keys, none empty', () => {
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
    expect(Object.entries(es).filter(([, v]) => v.trim() === '')).toEqual([]);
  });

  it('keep the same {placeholders} in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const differ = Object.keys(en).filter((k) => {
      // A singular form may spell the count out ("restarted once").
      if (k.endsWith('.one')) return false;
      return names(en[k as keyof typeof en]).join() !== names(es[k as keyof typeof es]).join();
    });
    expect(differ).toEqual([]);
  });

  it('every plural key has its `other` form', () => {
    const bases = Object.keys(en)
      .filter((k) => /\.(zero|one|two|few|many)$/.test(k))
      .map((k) => k.replace(/\.\w+$/, ''));
    expect(bases.filter((b) => !(`${b}.other` in en))).toEqual([]);
  });

  it('every namespaced code the server uses has an English and a Spanish text', () => {
    const codes = serverCodes();
    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((c) => !has(en, c))).toEqual([]);
    expect([...codes].filter((c) => !has(es, c))).toEqual([]);
  });

  it('Spanish uses one word for host (anfitrión) and one for running (en ejecución)', () => {
    // Technical tokens keep the English word: flags and option values (--pid host), paths, host:port, hostname.
    const prose = (v: string) =>
      v
        .replace(/\{\w+\}/g, '')
        .replace(/--\w+[ =]host\b|\/dev\/host|\bbridge, host, none\b|^host —|[Nn]ombre de host/g, '')
        .replace(/\bhost[-_.:=][\w/]/g, '');
    const offending = Object.entries(es).filter(([, v]) => /\bhosts?\b|\ben marcha\b|\bcorriendo\b|\bejecutándose\b/i.test(prose(v)));
    expect(offending.map(([k]) => k)).toEqual([]);
  });
});

describe('plurals', () => {
  afterEach(() => i18n.set('en'));

  it('pick the form by the language rules', () => {
    expect(tn('tasks.count', 1)).toBe('1 task');
    expect(tn('tasks.count', 0)).toBe('0 tasks');
    expect(tn('tasks.count', 2)).toBe('2 tasks');
    expect(tn('docker.prune.done', 1, { size: '1 kB' })).toBe('Deleted 1 item, reclaimed 1 kB.');
    i18n.set('es');
    expect(tn('tasks.count', 1)).toBe('1 tarea');
    expect(tn('tasks.count', 0)).toBe('0 tareas');
    expect(tn('containers.ov.restartCount', 1)).toBe('reiniciado una vez');
    expect(tn('containers.ov.restartCount', 3)).toBe('reiniciado 3 veces');
  });
});

describe('translateServerMessage', () => {
  afterEach(() => i18n.set('en'));

  it('translates a known code with its params and keeps the English text otherwise', () => {
    const taken = {
      code: 'docker.portTaken',
      params: { port: 2222, detail: 'Bind for 0.0.0.0:2222 failed' },
      message: 'Host port 2222 is taken',
    };
    i18n.set('es');
    expect(translateServerMessage(taken)).toBe('El puerto 2222 del anfitrión está ocupado: elige otro (Bind for 0.0.0.0:2222 failed)');
    expect(translateServerMessage({ code: 'validation.maxLength', params: { field: 'name', limit: 64 }, message: 'x' })).toBe(
      '«name» debe tener como máximo 64 caracteres',
    );
    expect(translateServerMessage({ code: 'something_new', message: 'The engine said no' })).toBe('The engine said no');
    expect(translateServerMessage({ message: 'Plain' })).toBe('Plain');
    // Values missing for the text: the server's own sentence is better than a half-filled one.
    expect(translateServerMessage({ code: 'docker.portTaken', message: 'Host port is taken' })).toBe('Host port is taken');
    expect(t('tasks.title')).toBe(es['tasks.title']);
  });

  it('translates task messages and errors, counting plurals', () => {
    i18n.set('es');
    const task = { message: 'Completed 1 steps', messageCode: 'task.completedSteps', messageParams: { count: 1 }, error: null };
    expect(taskMessage(task)).toBe('1 paso completado');
    expect(taskError({ message: null, error: 'Interrupted: …', errorCode: 'task.interrupted' })).toMatch(/^Interrumpida/);
    expect(taskError({ message: null, error: 'boom', errorCode: 'task.failed', errorParams: { detail: 'boom' } })).toBe('boom');
  });
});
