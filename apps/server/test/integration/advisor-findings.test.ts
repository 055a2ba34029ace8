import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityFinding, SecurityFindingList, Task, TaskDetail } from '@mirador/contract';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab } from '../helpers/lab.js';
import { wsConnect } from '../helpers/ws-client.js';

/**
 * The security advisor against the lab's real dockerd: a weak container is flagged and a hardened one
 * is not, the engine's own settings are judged, findings follow the inventory without being asked,
 * acknowledgements are kept and audited, the fix button produces a compliant container, and a secret
 * in a container's environment never reaches a finding, an export, a task or the audit log.
 */
const lab = readLab();
const RUN = `adv${process.pid}`;
const CANARY = `CANARY-advisor-${process.pid}-9c2e`;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const label = ['--label', 'mirador.test=advisor'];

let t: TestApp;
let admin: string;
let operator: string;
let hostId: string;

async function findings(query = '', cookie = operator): Promise<SecurityFindingList> {
  const res = await t.call({ method: 'GET', url: `/api/security/findings?hostId=${hostId}${query}`, cookie });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<SecurityFindingList>();
}
const of = (list: SecurityFindingList, container: string) =>
  list.items.filter((f) => f.target.kind === 'container' && f.target.id === container);
const rule = (list: SecurityFindingList, container: string, ruleId: string) => of(list, container).find((f) => f.ruleId === ruleId);

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function finished(task: Task): Promise<TaskDetail> {
  return until(`task ${task.id}`, async () => {
    const d = (await t.call({ method: 'GET', url: `/api/tasks/${task.id}`, cookie: admin })).json<TaskDetail>();
    return d.status !== 'queued' && d.status !== 'running' ? d : null;
  });
}

beforeAll(async () => {
  // Created, not started: the lab's nested runtime cannot start privileged containers, and the rules read settings, not state.
  docker('create', '--name', `${RUN}-weak`, ...label, '--privileged', '-e', `DB_PASSWORD=${CANARY}`, lab.dockerImage, 'sleep', '3600');
  // prettier-ignore
  docker('run', '-d', '--name', `${RUN}-hard`, ...label, '--user', '1000:1000', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', '--read-only', '--health-cmd', 'true', lab.dockerImage, 'sleep', '3600');
  // Ends on SIGTERM (a plain `sleep` as PID 1 ignores it), so the fix's recreate does not wait out the stop timeout.
  // prettier-ignore
  docker('run', '-d', '--name', `${RUN}-fixme`, ...label, '-e', `API_TOKEN=${CANARY}`, lab.dockerImage,
    'sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait');
  t = await startTestApp({ dockerSocket: lab.dockerSocket });
  admin = await t.setupAdmin();
  // One more account only (password hashing dominates this file's set-up): reads need no more than an
  // operator's session, and the authorisation matrix holds the roles of every route.
  operator = await t.userSession('operator', 'olga');
  const hosts = (await t.call({ method: 'GET', url: '/api/hosts', cookie: admin })).json<Array<{ id: string; kind: string }>>();
  hostId = hosts.find((h) => h.kind === 'local')!.id;
}, 60_000);

afterAll(async () => {
  await t?.close();
  try {
    docker('rm', '-f', '-v', `${RUN}-weak`, `${RUN}-hard`, `${RUN}-fixme`, `${RUN}-late`);
  } catch {
    /* some were never made */
  }
});

describe('security advisor on the lab engine', () => {
  it('flags the weak container with exact evidence, and not the hardened one', async () => {
    const list = await findings();
    const privileged = rule(list, `${RUN}-weak`, 'docker.container.privileged')!;
    expect(privileged).toMatchObject({ severity: 'critical', evidence: 'HostConfig.Privileged = true', reference: 'OWASP Docker D3' });
    expect(privileged.why).toMatch(/^OWASP Docker D3/);
    expect(privileged.fixAction?.kind).toBe('container.drop-privileged');
    for (const r of ['docker.container.root-user', 'docker.container.no-memory-limit', 'docker.container.no-pids-limit'])
      expect(rule(list, `${RUN}-weak`, r), r).toBeTruthy();
    expect(of(list, `${RUN}-hard`)).toEqual([]);
    // The Docker rules are in; the host probe of this machine may still be running (it says so).
    const score = list.hosts.find((h) => h.hostId === hostId)!;
    expect(score.checkedAt).not.toBeNull();
    expect(score.stale ?? '').not.toMatch(/docker/i);
    expect(list.rules.length).toBeGreaterThan(20);
  });

  it("judges the engine's own settings (the lab's 20.10 line is long superseded)", async () => {
    const engine = (await findings('&targetKind=engine')).items.map((f) => f.ruleId);
    expect(engine).toContain('docker.engine.version-age');
    expect(engine).toContain('docker.engine.icc');
  });

  it('follows the inventory without being asked: a new weak container appears, a removed one goes', async () => {
    await findings(); // computed once; from now on only events recompute
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    const ws = await wsConnect<{ type: string; topic?: string; computedAt?: string }>(`ws://127.0.0.1:${port}/api/ws`, operator);
    ws.send({ type: 'subscribe', topic: 'security' });
    await ws.waitFor((m) => m.type === 'subscribed' && m.topic === 'security');
    docker('create', '--name', `${RUN}-late`, ...label, '--pid', 'host', lab.dockerImage, 'sleep', '3600');
    await until('the new container flagged', async () => rule(await findings(), `${RUN}-late`, 'docker.container.host-pid'));
    // Viewers are told: one message on the `security` topic, no polling needed.
    expect((await ws.waitFor((m) => m.type === 'security.changed', 10_000)).computedAt).toBeTruthy();
    ws.close();
    docker('rm', '-f', `${RUN}-late`);
    await until('the removed container dropped', async () => of(await findings(), `${RUN}-late`).length === 0);
  });

  it('acknowledges with a reason (admins), scores it as accepted, audits it, and withdraws it', async () => {
    const before = await findings();
    const f = rule(before, `${RUN}-weak`, 'docker.container.root-user')!;
    const url = `/api/security/findings/${f.id}/acknowledge`;
    expect((await t.call({ method: 'POST', url, cookie: operator, payload: { reason: 'lab box' } })).statusCode).toBe(403);
    const res = await t.call({ method: 'POST', url, cookie: admin, payload: { reason: 'Needed as root for the lab exercise' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<SecurityFinding>().acknowledged).toMatchObject({ by: 'admin', reason: 'Needed as root for the lab exercise' });
    const after = await findings();
    const host = (l: SecurityFindingList) => l.hosts.find((h) => h.hostId === hostId)!;
    expect(host(after).acknowledged).toBe(host(before).acknowledged + 1);
    expect(rule(after, `${RUN}-weak`, 'docker.container.root-user')?.acknowledged?.reason).toBe('Needed as root for the lab exercise');
    expect(of(await findings('&includeAcknowledged=false'), `${RUN}-weak`).some((x) => x.id === f.id)).toBe(false);
    const audit = await t.app.db.auditLog.findFirst({
      where: { action: 'security.finding.acknowledge', result: 'ok' },
      orderBy: { seq: 'desc' },
    });
    expect(audit?.targetId).toBe(f.id);
    expect(audit?.params).toContain('Needed as root for the lab exercise');
    expect((await t.call({ method: 'DELETE', url, cookie: admin })).statusCode).toBe(200);
    expect((await t.call({ method: 'DELETE', url, cookie: admin })).statusCode).toBe(404);
    expect(rule(await findings(), `${RUN}-weak`, 'docker.container.root-user')?.acknowledged).toBeNull();
  });

  it('the fix button recreates the container compliant (environment kept), and the finding disappears', async () => {
    const f = rule(await findings(), `${RUN}-fixme`, 'docker.container.no-new-privileges')!;
    expect(f.fixAction?.kind).toBe('container.no-new-privileges');
    const res = await t.call({ method: 'POST', url: `/api/security/findings/${f.id}/fix`, cookie: operator });
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json<Task>());
    expect(done.status, JSON.stringify(done.log)).toBe('ok');
    expect(JSON.stringify(done)).not.toContain(CANARY);
    const inspect = JSON.parse(docker('inspect', `${RUN}-fixme`))[0] as {
      HostConfig: { SecurityOpt: string[] };
      Config: { Env: string[] };
    };
    expect(inspect.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(inspect.Config.Env).toContain(`API_TOKEN=${CANARY}`);
    expect(rule(await findings(), `${RUN}-fixme`, 'docker.container.no-new-privileges')).toBeUndefined();
    // Fixed: the finding is gone, so pressing the button again finds nothing to fix.
    expect((await t.call({ method: 'POST', url: `/api/security/findings/${f.id}/fix`, cookie: operator })).statusCode).toBe(404);
    // The privileged one (created, not started) loses --privileged and stays stopped.
    const priv = rule(await findings(), `${RUN}-weak`, 'docker.container.privileged')!;
    const fixed = await t.call({ method: 'POST', url: `/api/security/findings/${priv.id}/fix`, cookie: admin });
    expect(fixed.statusCode, fixed.body).toBe(202);
    expect((await finished(fixed.json<Task>())).status).toBe('ok');
    const weak = JSON.parse(docker('inspect', `${RUN}-weak`))[0] as { HostConfig: { Privileged: boolean }; State: { Running: boolean } };
    expect(weak.HostConfig.Privileged).toBe(false);
    expect(weak.State.Running).toBe(false);
    expect(rule(await findings(), `${RUN}-weak`, 'docker.container.privileged')).toBeUndefined();
    // Rules Mirador cannot fix by itself say so.
    const root = rule(await findings(), `${RUN}-fixme`, 'docker.container.root-user')!;
    const refused = await t.call({ method: 'POST', url: `/api/security/findings/${root.id}/fix`, cookie: operator });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ code: string }>().code).toBe('security.noFix');
  }, 60_000);

  it('never lets a secret from a container environment into findings, exports or the audit log', async () => {
    expect(JSON.stringify(await findings())).not.toContain(CANARY);
    for (const format of ['json', 'csv']) {
      const res = await t.call({ method: 'GET', url: `/api/security/findings/export?format=${format}`, cookie: operator });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toContain(`.${format}`);
      expect(res.body).toContain(`${RUN}-weak`);
      expect(res.body).not.toContain(CANARY);
    }
    const audit = await t.app.db.auditLog.findMany({ where: { action: { startsWith: 'security.' } } });
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(CANARY);
  });
});
