import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshHostConnection } from '@mirador/ssh';
import type { RuleRun } from '../../src/advisor/finding-draft.js';
import { createHostAdvisor } from '../../src/advisor/host-advisor.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { labVirsh, removeLabVms } from '../helpers/lab-vm.js';

/**
 * The libvirt/host rules against the real lab host (sshd 127.0.0.1:2222 as root with the lab key, the
 * connection the pool would make → this machine's libvirt, dockerd, sshd and apt). ONE probe run serves every assertion; each finding's evidence is checked
 * against the real files and commands, read here independently. Throwaway pieces, removed after:
 * two defined-never-started `mirtest-` domains (VNC on 0.0.0.0 without password / on loopback with
 * one), an sshd of this test's own with PasswordAuthentication yes on a free loopback port (the
 * lab's own sshd stays untouched and is the negative case), and a dockerd of its own serving its API on
 * loopback TCP without TLS (no iptables, its own data and exec roots, the fault lab's bridge; the lab's
 * dockerd, on its unix socket only, is the negative case).
 */
const TAG = randomBytes(3).toString('hex');
const OPEN = `mirtest-h2vnc-open-${TAG}`;
const SAFE = `mirtest-h2vnc-safe-${TAG}`;
const CANARY = `c${randomBytes(3).toString('hex')}`; // VNC passwords are at most 8 characters

const domainXml = (name: string, graphics: string) =>
  `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>${graphics}</devices></domain>`;

async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = 22600 + Math.floor(Math.random() * 100);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free loopback port in 22600-22699');
}

/** The `--bridge=…` flag of the fault lab's dockerd (its bridge has no uplink and no containers of ours go on it). */
function faultBridge(): string {
  const doc = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../.lab/lab.json'), 'utf8')) as {
    faultDocker?: { command?: string[] };
  };
  const flag = doc.faultDocker?.command?.find((a) => a.startsWith('--bridge='));
  if (!flag || flag === '--bridge=none')
    throw new Error('the fault lab (scripts/lab/fault-docker.sh) names no bridge of its own in .lab/lab.json');
  return flag;
}

/** Waits until something listens on the loopback port (bounded). */
async function listening(port: number, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim()) {
    if (Date.now() > until) throw new Error(`${what} did not start listening on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const secModels = () =>
  [
    ...execFileSync('virsh', ['-c', 'qemu:///system', 'capabilities'], { encoding: 'utf8' }).matchAll(
      /<secmodel>\s*<model>([^<]+)<\/model>/g,
    ),
  ].map((m) => m[1]!);

describe('host advisor on the lab host', { timeout: 150_000 }, () => {
  let lab: Lab;
  let conn: SshHostConnection;
  const hostId = 'lab';
  let run: RuleRun;
  let elapsedMs: number;
  let sshdDir: string;
  let sshdConf: string;
  let sshd: ChildProcess | null = null;
  let dockerd: ChildProcess | null = null;
  let dockerdPort: number;

  beforeAll(async () => {
    lab = readLab();

    const dir = mkdtempSync(join(tmpdir(), 'mirtest-h2-'));
    sshdDir = dir;
    const open = join(dir, 'open.xml');
    const safe = join(dir, 'safe.xml');
    writeFileSync(
      open,
      domainXml(
        OPEN,
        "<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>",
      ),
    );
    writeFileSync(
      safe,
      domainXml(
        SAFE,
        `<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='${CANARY}'><listen type='address' address='127.0.0.1'/></graphics>`,
      ),
    );
    labVirsh(lab, 'define', open);
    labVirsh(lab, 'define', safe);

    // An sshd of our own that allows passwords (it listens on loopback only and nobody has a password to give it).
    const port = await freePort();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    sshdConf = join(dir, 'sshd.conf');
    writeFileSync(
      sshdConf,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PasswordAuthentication yes',
        'PermitRootLogin no',
        'UsePAM no',
        '',
      ].join('\n'),
    );
    sshd = spawn('/usr/sbin/sshd', ['-D', '-f', sshdConf], { stdio: 'ignore' });
    await listening(port, 'the test sshd');

    // A dockerd of our own with its API on loopback TCP and no TLS: what "never expose the Docker daemon" is about.
    dockerdPort = await freePort();
    dockerd = spawn(
      'dockerd',
      [
        '-H',
        `unix://${join(dir, 'd.sock')}`,
        '-H',
        `tcp://127.0.0.1:${dockerdPort}`,
        '--data-root',
        join(dir, 'd-data'),
        '--exec-root',
        join(dir, 'd-exec'),
        '--pidfile',
        join(dir, 'd.pid'),
        // Never --bridge=none: a dockerd started so deletes docker0, the lab engine's bridge (moby's
        // removeDefaultBridgeInterface). The fault lab's own bridge (scripts/lab/fault-docker.sh) is used as is.
        faultBridge(),
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
      ],
      { stdio: 'ignore' },
    );
    await listening(dockerdPort, 'the test dockerd');

    // The connection the pool makes for an SSH host (pinned key, lab login); the app is not needed to judge a host.
    conn = new SshHostConnection({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: lab.ssh.user,
      privateKey: labPrivateKey(lab),
      expectedFingerprint: lab.ssh.hostKeyFingerprint,
    });
    const advisor = createHostAdvisor({
      host: (id) => Promise.resolve({ id, name: 'lab', libvirtUri: lab.libvirtUri }),
      runner: () => Promise.resolve(conn),
    });
    // Connected first, so the time below is the probe's round trip alone.
    await conn.exec(['true']);
    const started = Date.now();
    run = await advisor.check(hostId);
    elapsedMs = Date.now() - started;
    console.log(`[advisor-host] posture probe round trip on the lab host: ${elapsedMs} ms, ${run.findings.length} findings`);
  }, 150_000);

  afterAll(async () => {
    if (sshd?.pid) sshd.kill('SIGTERM');
    // Its data root is removed with the temp dir: wait for it to be gone first (it stops its containerd too).
    if (dockerd?.pid && dockerd.exitCode === null) {
      const gone = new Promise((r) => dockerd!.once('exit', r));
      dockerd.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    }
    removeLabVms(lab, OPEN, SAFE);
    if (sshdDir) rmSync(sshdDir, { recursive: true, force: true });
    await conn?.close();
  });

  const find = (ruleId: string, targetId = hostId) => run.findings.filter((f) => f.ruleId === ruleId && f.target.id === targetId);

  it('ran fresh, within its bounds', () => {
    expect(run.stale).toBeNull();
    expect(elapsedMs).toBeLessThan(90_000);
  });

  it('VNC on 0.0.0.0 without a password is flagged high; loopback with a password is not', () => {
    const [open] = find('libvirt.vnc-listen', OPEN);
    expect(open?.severity).toBe('high');
    expect(open!.target).toEqual({ kind: 'vm', id: OPEN, name: OPEN });
    expect(open!.evidence).toContain(
      `${OPEN}: vnc listens on 0.0.0.0, no password; <graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'>`,
    );
    expect(find('libvirt.vnc-listen', SAFE)).toEqual([]);
    expect(run.findings.filter((f) => f.target.id === SAFE)).toEqual([]);
    // The probe masks passwords on the host: the real one never reaches Mirador.
    expect(JSON.stringify(run)).not.toContain(CANARY);
  });

  it('SSH password login: our sshd with PasswordAuthentication yes is flagged, the lab sshd (no) is not', () => {
    const [f] = find('host.ssh-password-login');
    expect(f?.evidence).toContain(`sshd -T -f ${sshdConf}: passwordauthentication yes`);
    expect(readFileSync('/work/main/.lab/ssh/sshd_2222.conf', 'utf8')).toMatch(/^PasswordAuthentication no$/m);
    expect(f!.evidence).not.toContain('sshd_2222.conf');
  });

  it('QEMU as root: the qemu.conf line is the real one', () => {
    const lines = readFileSync('/etc/libvirt/qemu.conf', 'utf8').split('\n');
    const n = lines.map((l) => /^\s*user\s*=/.test(l)).lastIndexOf(true);
    const f = find('libvirt.qemu-root');
    if (n >= 0 && /"(root|\+0)"/.test(lines[n]!)) {
      expect(f[0]?.severity).toBe('high');
      expect(f[0]!.evidence).toContain(`/etc/libvirt/qemu.conf:${n + 1}: ${lines[n]!.trim()}`);
    } else {
      expect(f.every((x) => x.evidence.startsWith('ps: '))).toBe(true);
    }
  });

  it('sVirt: matches the security models virsh capabilities lists', () => {
    const models = secModels();
    const f = find('libvirt.svirt');
    if (models.some((m) => m === 'apparmor' || m === 'selinux')) expect(f).toEqual([]);
    else expect(f[0]?.evidence).toContain(`virsh capabilities: security models ${models.join(', ')} (no selinux or apparmor)`);
  });

  it('access control: matches polkit and the libvirt group as getent reads them', () => {
    const members = execFileSync('getent', ['group', 'libvirt'], { encoding: 'utf8' }).trim().split(':')[3] ?? '';
    const f = find('libvirt.access-control');
    if (members === '') expect(f).toEqual([]);
    else expect(f[0]?.evidence).toContain(`getent group libvirt: ${members}`);
  });

  it('security updates: a package it names really has a newer candidate', () => {
    const [f] = [...find('host.security-updates'), ...find('host.security-updates.unknown')];
    if (!f) return; // nothing pending: nothing to compare
    if (f.ruleId.endsWith('.unknown')) {
      expect(f.evidence).toMatch(/^could not read: /);
      return;
    }
    // "e.g. PKG/SUITES CANDIDATE ARCH [upgradable from: INSTALLED]": dpkg (not apt) must have PKG at exactly INSTALLED.
    const m = /e\.g\. ([^/\s]+)\/(\S*security\S*) (\S+) \S+ \[upgradable from: ([^\]]+)\]/.exec(f.evidence);
    expect(m, f.evidence).not.toBeNull();
    const installed = execFileSync('dpkg-query', ['-W', '-f', '${Version}', m![1]!], { encoding: 'utf8' });
    expect(installed).toBe(m![4]);
    expect(m![3]).not.toBe(installed);
  });

  it('Docker on TCP without TLS: our dockerd on loopback TCP is flagged high with its command line; the lab dockerd is not', () => {
    const [f, ...more] = find('host.docker-tcp-without-tls');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'high', params: { hosts: `127.0.0.1:${dockerdPort}` } });
    expect(f!.evidence).toContain(`dockerd (pid ${dockerd!.pid}): dockerd -H unix://`);
    expect(f!.evidence).toContain(`-H tcp://127.0.0.1:${dockerdPort}`);
    // Only ours: the lab's dockerd (unix socket only) is the negative case.
    expect(f!.evidence.match(/dockerd \(pid \d+\)/g)).toHaveLength(1);
  });

  it('the lab has neither libvirt nor Docker on its standard TCP ports, and the probe agrees', () => {
    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' });
    expect(listening).not.toMatch(/:(16509|2375)\s/);
    expect(find('libvirt.tcp-without-tls')).toEqual([]);
  });
});
