import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commandLineOf } from '@mirador/libvirt';
import type { AuditService, Actor } from '../audit/audit.service.js';
import { newId } from '../lib/ids.js';

/**
 * What a crash may leave half-made on a host. A step that makes something there (a volume for a new
 * VM, the volume an upload streams into) is noted here — with the command that removes it — before it
 * starts, and the note is settled once the thing is whole or was removed. A process killed in between
 * cannot undo anything; the next one finds the note at start-up, runs the undo command, and says so in
 * the audit log. Without the note nobody would know the volume exists: the VM was never defined, the
 * upload never answered.
 */
export interface UndoNote {
  hostId: string;
  /** For people: "the partial volume default/x.raw". */
  what: string;
  /** Removes it (a virsh argv run on the host); a "not found" answer means there was nothing to undo. */
  undo: string[];
  target: { type: string; name: string };
  /** The task the step belongs to (its own end is recorded as interrupted by the task manager). */
  taskId?: string;
  /**
   * For a step that is not a task (an upload answered only when done): the request's own record,
   * written as failed when the note is swept, since the request never got to write it.
   */
  request?: { action: string; actor: Actor };
}

interface Stored extends UndoNote {
  id: string;
  at: string;
}

export interface UndoJournal {
  /** Notes the step before it starts; resolves with the function that settles the note (call it in `finally`). */
  note(n: UndoNote): Promise<() => Promise<void>>;
  /** Undoes what the previous process left noted; resolves with how many notes were resolved. */
  sweep(): Promise<number>;
}

/** What running an undo command found: it removed the thing, there was nothing (left) to remove, or the host is no longer in Mirador. */
export type UndoOutcome = 'removed' | 'absent' | 'host-gone';

/** The codes the audit page translates an interrupted request's record with (literal, so the dictionary test finds them). */
const INTERRUPTED_CODE = {
  removed: { code: 'recovery.interruptedRemoved' },
  absent: { code: 'recovery.interruptedNothingMade' },
  'host-gone': { code: 'recovery.interruptedHostGone' },
} satisfies Record<UndoOutcome, { code: string }>;
const UNDO_LEFT_CODE = { code: 'recovery.undoHostGone' };

const ATTEMPTS = 5;

export function createUndoJournal(deps: {
  dir: string;
  /** Runs the undo argv on the host; throws while it cannot tell (host unreachable, libvirt still busy). */
  run(hostId: string, argv: string[]): Promise<UndoOutcome>;
  audit: Pick<AuditService, 'append'>;
  log: { warn(obj: unknown, msg: string): void };
}): UndoJournal {
  mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
  // Read before anything of this process is noted: only the previous process's notes are swept.
  const leftByPrevious = readdirSync(deps.dir).filter((f) => f.endsWith('.json'));

  async function undo(n: Stored): Promise<UndoOutcome | { error: string }> {
    let last = '';
    for (let i = 0; i < ATTEMPTS; i++) {
      try {
        return await deps.run(n.hostId, n.undo);
      } catch (err) {
        last = (err as Error).message;
        // libvirt may still be finishing the step the crash interrupted ("in use", "being built").
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return { error: last };
  }

  const outcomeText: Record<UndoOutcome, (what: string) => string> = {
    removed: (what) => `${what} was removed when it started again`,
    absent: (what) => `${what} was not made, nothing was left to remove`,
    'host-gone': (what) => `${what} may remain: the host is no longer in Mirador`,
  };

  return {
    async note(n) {
      const stored: Stored = { ...n, id: newId(), at: new Date().toISOString() };
      const file = join(deps.dir, `${stored.id}.json`);
      // Synced: the note must be on disk before the step it covers starts on the host.
      const fh = await open(file, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(stored));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return () => rm(file, { force: true });
    },

    async sweep() {
      let resolved = 0;
      for (const f of leftByPrevious) {
        const file = join(deps.dir, f);
        let n: Stored;
        try {
          n = JSON.parse(readFileSync(file, 'utf8')) as Stored;
        } catch {
          // Written half when the process died (before its step could start): nothing was made.
          await rm(file, { force: true });
          continue;
        }
        const outcome = await undo(n);
        if (typeof outcome === 'object') {
          // Kept for the next start; the host may be down now. The data directory check shows it meanwhile.
          deps.log.warn({ note: n, error: outcome.error }, 'could not undo what an interrupted operation left on a host');
          continue;
        }
        const target = { type: n.target.type, id: n.target.name, name: n.target.name, hostId: n.hostId };
        if (n.request) {
          await deps.audit.append({
            actor: n.request.actor,
            action: n.request.action,
            target,
            params: { interruptedAt: n.at },
            result: 'error',
            errorMessage: `Interrupted: Mirador stopped during this operation; ${outcomeText[outcome](n.what)}`,
            // `what` is an English phrase: the translated sentence names the object and the undo command instead.
            errorCode: INTERRUPTED_CODE[outcome].code,
            errorParams: { target: n.target.name, command: commandLineOf(n.undo) },
          });
        }
        if (outcome !== 'absent') {
          await deps.audit.append({
            actor: { type: 'system', id: null, name: 'mirador' },
            action: 'recovery.undo',
            target,
            params: { what: n.what, command: commandLineOf(n.undo), ...(n.taskId ? { taskId: n.taskId } : {}) },
            result: outcome === 'removed' ? 'ok' : 'error',
            errorMessage: outcome === 'removed' ? null : outcomeText[outcome](n.what),
            ...(outcome === 'removed'
              ? {}
              : { errorCode: UNDO_LEFT_CODE.code, errorParams: { target: n.target.name, command: commandLineOf(n.undo) } }),
          });
        }
        await rm(file, { force: true });
        resolved++;
      }
      return resolved;
    },
  };
}
