import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/audit/audit.service.js';
import { createUndoJournal, type UndoOutcome } from '../../src/recovery/undo-journal.js';

/** The undo journal on its own: notes on disk, settled by the step, swept (and audited) by the next process. */
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function journal(dir: string, outcome: () => UndoOutcome) {
  const audited: AuditInput[] = [];
  const ran: string[][] = [];
  const j = createUndoJournal({
    dir,
    audit: { append: async (a) => (audited.push(a), {} as never) },
    log: { warn: () => {} },
    run: async (_hostId, argv) => (ran.push(argv), outcome()),
  });
  return { j, audited, ran };
}
const note = {
  hostId: 'h1',
  what: 'the partial volume default/x.raw',
  undo: ['virsh', 'vol-delete', 'x.raw', '--pool', 'default'],
  target: { type: 'storage-volume', name: 'x.raw' },
  request: { action: 'storage.volume.upload', actor: { type: 'user' as const, id: 'u1', name: 'ana' } },
};

describe('undo journal', () => {
  it('a settled note leaves nothing; an unsettled one is undone and audited by the next process only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'undo-'));
    dirs.push(dir);
    const first = journal(dir, () => 'removed');
    const settle = await first.j.note(note);
    expect(readdirSync(dir)).toHaveLength(1);
    await settle();
    expect(readdirSync(dir)).toEqual([]);
    await first.j.note(note); // the process "dies" here
    expect(await first.j.sweep()).toBe(0); // its own notes are not its to sweep

    const next = journal(dir, () => 'removed');
    expect(await next.j.sweep()).toBe(1);
    expect(next.ran).toEqual([note.undo]);
    expect(readdirSync(dir)).toEqual([]);
    expect(next.audited.map((a) => [a.action, a.result, a.actor.type])).toEqual([
      ['storage.volume.upload', 'error', 'user'],
      ['recovery.undo', 'ok', 'system'],
    ]);
    expect(next.audited[0]!.errorMessage).toMatch(/^Interrupted: .*default\/x\.raw was removed/);
    // The audit page translates it: a code with the object and the command that removed it.
    expect(next.audited[0]).toMatchObject({
      errorCode: 'recovery.interruptedRemoved',
      errorParams: { command: expect.stringMatching(/vol-delete/) },
    });
  });

  it('nothing made: only the interrupted request is recorded; a host that keeps failing keeps the note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'undo-'));
    dirs.push(dir);
    await journal(dir, () => 'absent').j.note(note);
    const absent = journal(dir, () => 'absent');
    expect(await absent.j.sweep()).toBe(1);
    expect(absent.audited.map((a) => a.action)).toEqual(['storage.volume.upload']);
    expect(absent.audited[0]!.errorMessage).toMatch(/was not made/);
    expect(absent.audited[0]!.errorCode).toBe('recovery.interruptedNothingMade');

    writeFileSync(join(dir, 'torn.json'), '{"hostId":'); // written half when the process died: dropped
    await journal(dir, () => 'removed').j.note(note);
    const down = journal(dir, () => {
      throw new Error('The host is not reachable');
    });
    expect(await down.j.sweep()).toBe(0);
    expect(down.ran.length).toBe(5);
    expect(readdirSync(dir)).toHaveLength(1);
  }, 20_000);
});
