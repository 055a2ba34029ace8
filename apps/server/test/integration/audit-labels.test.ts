import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_KINDS, type AuditActionInfo } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The audit page shows a label for every action, and for a task's end a sentence per outcome. The list
 * of actions is the server's own (route declarations, task kinds, audited streams): a new route or task
 * kind without English and Spanish wording fails here, not in front of a reader.
 */
type Dictionary = Record<string, string>;
// The web app's own dictionaries (loaded by path: they belong to another TypeScript project).
const I18N = '../../../web/src/lib/i18n';
const load = async (lang: string) => ((await import(`${I18N}/${lang}`)) as Record<string, Dictionary>)[lang]!;
let dictionaries: Record<string, Dictionary>;
const OUTCOMES = ['ok', 'error', 'cancelled'] as const;

let t: TestApp;
let catalog: AuditActionInfo[];

beforeAll(async () => {
  dictionaries = { en: await load('en'), es: await load('es') };
  t = await startTestApp();
  const admin = await t.setupAdmin();
  const res = await t.call({ method: 'GET', url: '/api/audit/actions', cookie: admin });
  expect(res.statusCode, res.body).toBe(200);
  catalog = res.json<AuditActionInfo[]>();
});
afterAll(() => t?.close());

function missing(keys: string[]): string[] {
  const out: string[] = [];
  for (const [lang, dict] of Object.entries(dictionaries)) for (const k of keys) if (!dict[k]?.trim()) out.push(`${lang}: ${k}`);
  return out;
}

describe('audit labels', () => {
  it('the catalog comes from the server: route declarations, task kinds, streams', () => {
    const kindOf = new Map(catalog.map((c) => [c.action, c.kind]));
    expect(kindOf.get('image.build')).toBe('task-request');
    expect(kindOf.get('vm.create')).toBe('task-request');
    expect(kindOf.get('host.create')).toBe('request');
    expect(kindOf.get('vm.console.open')).toBe('stream');
    for (const kind of TASK_KINDS) expect(kindOf.get(`task.${kind}`)).toBe('task-outcome');
    expect(catalog.length).toBeGreaterThan(80);
  });

  it('every action the server can record has an English and a Spanish label', () => {
    expect(missing(catalog.map((c) => `action.${c.action}`))).toEqual([]);
  });

  it('every task kind has a name and a sentence per outcome in both languages, the failure naming its reason', () => {
    const kinds = catalog.filter((c) => c.kind === 'task-outcome').map((c) => c.action.slice('task.'.length));
    expect(missing(kinds.flatMap((k) => [`taskType.${k}`, ...OUTCOMES.map((o) => `audit.outcome.${k}.${o}`)]))).toEqual([]);
    for (const dict of Object.values(dictionaries)) for (const k of kinds) expect(dict[`audit.outcome.${k}.error`]).toContain('{reason}');
  });

  it('every result a record can carry has a label, and an accepted request says it only started a task', () => {
    expect(missing(['ok', 'error', 'accepted', 'cancelled'].map((r) => `status.${r}`))).toEqual([]);
    expect(missing(['audit.startedAsTask', 'audit.outcomeOf'])).toEqual([]);
    for (const dict of Object.values(dictionaries)) expect(dict['audit.startedAsTask']).toContain('{id}');
  });
});
