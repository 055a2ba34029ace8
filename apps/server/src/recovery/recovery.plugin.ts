import fp from 'fastify-plugin';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { runVirsh, VirshError } from '../vms/virsh.js';
import { createUndoJournal, type UndoJournal, type UndoOutcome } from './undo-journal.js';

declare module 'fastify' {
  interface FastifyInstance {
    undoJournal: UndoJournal;
  }
}

const VOLUME_ABSENT = /Storage volume not found|no storage vol with matching/i;

/** The undo journal (undo-journal.ts) in dataDir/undo, swept in the background once the server is ready. */
export default fp(
  async function recoveryPlugin(app: FastifyInstance) {
    const journal = createUndoJournal({
      dir: join(app.config.dataDir, 'undo'),
      audit: app.audit,
      log: app.log,
      async run(hostId, argv): Promise<UndoOutcome> {
        if (!(await app.db.host.findUnique({ where: { id: hostId }, select: { id: true } }))) return 'host-gone';
        try {
          await runVirsh(await app.connections.runner(hostId), argv);
          return 'removed';
        } catch (err) {
          if (err instanceof VirshError && VOLUME_ABSENT.test(err.message)) return 'absent';
          throw err;
        }
      },
    });
    app.decorate('undoJournal', journal);
    // In the background: a host that is slow to answer must not hold up the start.
    app.addHook('onReady', async () => {
      journal.sweep().then(
        (n) => n && app.log.info({ resolved: n }, 'undid what interrupted operations left on hosts'),
        (err: unknown) => app.log.error({ err }, 'the undo journal sweep failed'),
      );
    });
  },
  { name: 'recovery', dependencies: ['infra', 'audit', 'connections'] },
);
