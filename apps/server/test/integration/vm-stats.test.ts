import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerMessage, type VmStatsPoint } from '@mirador/contract';
import type { CommandRunner } from '@mirador/ssh';
import type { PrismaClient } from '../../src/db/client.js';
import errors from '../../src/plugins/errors.js';
import type { TopicMessage } from '../../src/plugins/bus.js';
import { createStatsCollector, type StatsCollector } from '../../src/vms/stats-collector.js';
import vmStatsRoutes from '../../src/vms/stats.routes.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';

/** virsh on the lab host directly (not through Mirador). */
function virsh(...args: string[]): string {
  try {
    return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`virsh ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? err}`, { cause: err });
  }
}

const checkMessage = Compile(ServerMessage);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INTERVAL_MS = 500;
const PERSIST_EVERY_MS = 1500;
const RING_MS = 3000;

/** What the collector logged, to explain a failure (the test app's own logger is off). */
const logged: string[] = [];
const note = (level: string) => (obj: unknown, msg: string) =>
  void logged.push(`${new Date().toISOString()} ${level} ${msg} ${JSON.stringify(obj)}`);
const captureLog = { debug: note('debug'), info: note('info'), warn: note('warn') };

describe('live VM stats from the lab libvirt over SSH', () => {
  let t: TestApp;
  let admin: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  let collector: StatsCollector;
  let routes: FastifyInstance;
  const execs: string[][] = [];
  /** When each persist with something to store began (its createMany call). */
  const persistCalls: number[] = [];
  const messages: TopicMessage[] = [];
  let offBus = () => {};
  const name = `mirador-test-${randomBytes(3).toString('hex')}`;
  const oldAt = new Date(Date.now() - 48 * 3_600_000);

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    const res = await t.call({
      method: 'POST',
      url: '/api/hosts',
      cookie: admin,
      payload: { name: 'lab', address: lab.ssh.host, port: lab.ssh.port, authMethod: 'key', privateKey: labPrivateKey(lab) },
    });
    expect(res.statusCode, res.body).toBe(201);
    hostId = res.json().id;
    expect((await t.call({ method: 'POST', url: `/api/hosts/${hostId}/test`, cookie: admin })).json().ok).toBe(true);

    const created = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/vms`,
      cookie: admin,
      payload: {
        name,
        memoryMiB: 128,
        vcpus: 1,
        domainType: 'qemu',
        disk: { kind: 'none' },
        install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
        network: { kind: 'none' },
      },
    });
    expect(created.statusCode, created.body).toBe(202);
    const taskId = created.json().id;
    // (expect.poll only works inside a test)
    let task = { status: 'queued', error: null as string | null };
    for (const until = Date.now() + 90_000; ['queued', 'running'].includes(task.status) && Date.now() < until; await sleep(300)) {
      task = (await t.call({ method: 'GET', url: `/api/tasks/${taskId}`, cookie: admin })).json();
    }
    expect(task.status, task.error ?? undefined).toBe('ok');

    // A row from two days ago: the retention pass at start must remove it.
    await t.app.db.vmStat.create({
      data: {
        hostId,
        vmName: name,
        at: oldAt,
        cpuPercent: 1,
        memoryUsedKiB: 1,
        memoryTotalKiB: 1,
        diskReadBps: 0,
        diskWriteBps: 0,
        netRxBps: 0,
        netTxBps: 0,
      },
    });

    const db = t.app.db;
    collector = createStatsCollector({
      db: {
        vmStat: {
          createMany: (args: Parameters<typeof db.vmStat.createMany>[0]) => (persistCalls.push(Date.now()), db.vmStat.createMany(args)),
          findMany: (args: Parameters<typeof db.vmStat.findMany>[0]) => db.vmStat.findMany(args),
          deleteMany: (args: Parameters<typeof db.vmStat.deleteMany>[0]) => db.vmStat.deleteMany(args),
        },
      } as unknown as PrismaClient,
      bus: t.app.bus,
      log: captureLog,
      // Counts every command the collector runs, to check it is one domstats per tick.
      runnerFor: async (id) => {
        const real = await t.app.connections.runner(id);
        return Object.create(real, {
          exec: { value: (argv: readonly string[], opts: unknown) => (execs.push([...argv]), real.exec(argv, opts as never)) },
        }) as CommandRunner;
      },
      // Same query as the app wiring: every host with libvirt.
      hosts: async () =>
        (await t.app.db.host.findMany({ where: { NOT: { libvirtUri: null } }, select: { id: true, libvirtUri: true } })).map((h) => ({
          id: h.id,
          libvirtUri: h.libvirtUri!,
        })),
      intervalMs: INTERVAL_MS,
      fastIntervalMs: INTERVAL_MS,
      persistEveryMs: PERSIST_EVERY_MS,
      ringMs: RING_MS,
      retentionHours: 24,
    });

    // The stats routes on a bare Fastify (the app's own wiring is not part of this change).
    routes = Fastify({
      logger: false,
      ajv: { customOptions: { removeAdditional: 'all', coerceTypes: 'array', useDefaults: true } },
    }).withTypeProvider<TypeBoxTypeProvider>();
    await routes.register(errors);
    routes.decorate('db', t.app.db);
    routes.decorate('vmStats', collector);
    await routes.register(vmStatsRoutes, { prefix: '/api' });
    await routes.ready();
  });

  afterAll(async () => {
    offBus();
    await collector?.stop({ flush: false });
    await routes?.close();
    if (name.startsWith('mirador-test-')) {
      try {
        virsh('destroy', name);
      } catch {}
      try {
        virsh('undefine', name, '--nvram');
      } catch {}
    }
    await t?.close();
  });

  it('streams a vm.stats point for the VM to a bus subscriber, from one domstats per tick', async () => {
    expect(virsh('domstate', name).trim()).toBe('running');
    offBus = t.app.bus.subscribe(`vm-stats:${hostId}`, (m) => messages.push(m));
    collector.start();
    let mine: { name: string; point: VmStatsPoint } | undefined;
    await expect
      .poll(() => (mine = messages.flatMap((m) => (m.type === 'vm.stats' ? m.stats : [])).find((s) => s.name === name)), {
        timeout: 45_000,
        interval: 100,
      })
      .toBeDefined();
    const msg = messages.find((m) => m.type === 'vm.stats' && m.stats.some((s) => s.name === name))!;
    expect(checkMessage.Check(msg)).toBe(true);
    expect(msg).toMatchObject({ type: 'vm.stats', topic: `vm-stats:${hostId}`, hostId });
    const p = mine!.point;
    expect(p.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(p.cpuPercent).toBeLessThanOrEqual(100);
    expect(p.memoryTotalKiB).toBe(128 * 1024);
    expect(p.memoryUsedKiB).toBeGreaterThan(0);
    expect(p.memoryUsedKiB).toBeLessThanOrEqual(p.memoryTotalKiB);
    for (const k of ['diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const) expect(p[k]).toBe(0); // no disk, no NIC
    expect(Math.abs(Date.parse(p.at) - Date.now())).toBeLessThan(60_000);

    // Every command was the single whole-host domstats; every successful one became a message.
    expect(execs.length).toBeGreaterThanOrEqual(2);
    for (const argv of execs)
      expect(argv).toEqual(['env', 'LC_ALL=C', 'virsh', '-c', lab.libvirtUri, 'domstats', '--raw', '--list-active']);
    expect(messages.length).toBeLessThanOrEqual(execs.length);
    expect(collector.latest(hostId).get(name)).toMatchObject({ memoryTotalKiB: 128 * 1024 });
    // The lab guest has no balloon driver: "used" is QEMU's RSS, and the API says so.
    expect((mine as { memorySource?: string }).memorySource).toBe('rss');
    expect(collector.memorySource(hostId, name)).toBe('rss');

    // The retention pass at start removed the two-day-old row.
    await expect.poll(() => t.app.db.vmStat.count({ where: { hostId, vmName: name, at: oldAt } }), { timeout: 10_000 }).toBe(0);
  }, 90_000);

  it('keeps history: averaged SQLite rows older than the in-memory ring, then the ring points, in time order', async () => {
    // A persist that starts at time T leaves only ring points at or after T - RING_MS, and writes rows
    // dated before T. So, with T the latest persist so far: a history point older than T - RING_MS
    // can only come from SQLite, and one newer than T only from the ring.
    const until = Date.now() + 90_000;
    let h: VmStatsPoint[];
    let lastPersist = 0;
    const isStored = (x: VmStatsPoint) => Date.parse(x.at) < lastPersist - RING_MS - 50;
    const isRing = (x: VmStatsPoint) => Date.parse(x.at) > lastPersist;
    for (;;) {
      h = await collector.history(hostId, name, 60);
      lastPersist = persistCalls.at(-1) ?? 0; // no persist can run between these two lines
      if (h.some(isStored) && h.some(isRing)) break;
      if (Date.now() > until) {
        let state: string;
        try {
          state = virsh('domstate', name).trim();
        } catch (err) {
          state = (err as Error).message;
        }
        throw new Error(
          `no history yet: ${persistCalls.length} persists, ${h.length} points, ${execs.length} commands, VM ${state}; collector log:\n${logged.slice(-20).join('\n')}`,
        );
      }
      await sleep(500);
    }

    const times = h.map((x) => Date.parse(x.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    // The stored points are exactly the collector's averaged rows (one per persist, several samples each).
    const rows = await t.app.db.vmStat.findMany({ where: { hostId, vmName: name }, orderBy: { at: 'asc' } });
    const stored = h.filter(isStored);
    for (const x of stored) {
      const row = rows.find((r) => r.at.toISOString() === x.at);
      expect(row, x.at).toBeDefined();
      expect(x).toEqual({
        at: x.at,
        cpuPercent: row!.cpuPercent,
        memoryUsedKiB: row!.memoryUsedKiB,
        memoryTotalKiB: row!.memoryTotalKiB,
        diskReadBps: 0,
        diskWriteBps: 0,
        netRxBps: 0,
        netTxBps: 0,
      });
    }
    expect(rows.length).toBeLessThan(execs.length); // averaged: fewer rows than samples
    for (const x of h) {
      expect(x.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(x.cpuPercent).toBeLessThanOrEqual(100);
      expect(x.memoryTotalKiB).toBe(128 * 1024);
    }
  }, 120_000);

  it('serves the history and the latest points over HTTP', async () => {
    const res = await routes.inject({ method: 'GET', url: `/api/hosts/${hostId}/vms/${name}/stats?minutes=60` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ hostId, name });
    expect(body.points.length).toBeGreaterThan(1);
    const dflt = (await routes.inject({ method: 'GET', url: `/api/hosts/${hostId}/vms/${name}/stats` })).json();
    expect(dflt.points.length).toBeGreaterThan(0);
    for (const bad of ['0', '1441', 'abc']) {
      const r = await routes.inject({ method: 'GET', url: `/api/hosts/${hostId}/vms/${name}/stats?minutes=${bad}` });
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().field).toBe('minutes');
    }
    expect((await routes.inject({ method: 'GET', url: `/api/hosts/nope/vms/${name}/stats` })).statusCode).toBe(404);
    expect(
      (await routes.inject({ method: 'GET', url: `/api/hosts/${hostId}/vms/${encodeURIComponent('x; rm -rf /')}/stats` })).statusCode,
    ).toBe(400);

    const latest = await routes.inject({ method: 'GET', url: `/api/hosts/${hostId}/vm-stats` });
    expect(latest.statusCode, latest.body).toBe(200);
    expect(latest.json().hostId).toBe(hostId);
    expect(latest.json().stats.find((s: { name: string }) => s.name === name)?.point.memoryTotalKiB).toBe(128 * 1024);
    expect((await routes.inject({ method: 'GET', url: '/api/hosts/nope/vm-stats' })).statusCode).toBe(404);
  });

  it('deletes rows older than the retention period and keeps the rest', async () => {
    const old = new Date(Date.now() - 25 * 3_600_000);
    await t.app.db.vmStat.create({
      data: {
        hostId: 'removed-host',
        vmName: name,
        at: old,
        cpuPercent: 5,
        memoryUsedKiB: 1,
        memoryTotalKiB: 1,
        diskReadBps: 0,
        diskWriteBps: 0,
        netRxBps: 0,
        netTxBps: 0,
      },
    });
    const recent = await t.app.db.vmStat.count({ where: { hostId, vmName: name } });
    expect(recent).toBeGreaterThan(0);
    expect(await collector.prune()).toBeGreaterThanOrEqual(1);
    expect(await t.app.db.vmStat.count({ where: { hostId: 'removed-host' } })).toBe(0);
    expect(await t.app.db.vmStat.count({ where: { hostId, vmName: name } })).toBeGreaterThanOrEqual(recent);
  });

  it('stops promptly: no more commands, pending points stored', async () => {
    const before = await t.app.db.vmStat.count({ where: { hostId, vmName: name } });
    await sleep(INTERVAL_MS * 2); // let a couple of unsaved points accumulate
    const started = Date.now();
    await collector.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await t.app.db.vmStat.count({ where: { hostId, vmName: name } })).toBeGreaterThanOrEqual(before);
    expect(await collector.persist()).toBe(0); // stop() stored everything pending; a sample in flight was discarded
    await sleep(INTERVAL_MS * 2); // a sample in flight at stop() may still finish
    const n = execs.length;
    await sleep(INTERVAL_MS * 3);
    expect(execs.length).toBe(n);
  });
});
