import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshHostConnection, type CommandRunner, type ExecResult } from '@mirador/ssh';
import { POSTURE_SCRIPT } from '../../src/advisor/host-posture-script.js';
import { readHostPosture, type HostPosture } from '../../src/advisor/host-posture.js';
import { vmRules } from '../../src/advisor/vm-rules.js';
import { labPrivateKey, readLab, type Lab } from '../helpers/lab.js';
import { removeLabVms } from '../helpers/lab-vm.js';
import { tally } from './tally.js';

/**
 * The host posture probe runs a shell on every host. Nothing Mirador holds goes into that shell:
 * the script is a constant, its arguments are a random marker, a URI Mirador builds and a flag.
 * What the host itself holds — domain names, XML — is read into quoted variables. Hostile domains on
 * the real lab libvirt (read over the lab's sshd, as root) must be read as data, never run.
 */
const AREA = 'advisor-host-probe';
const TAG = randomBytes(3).toString('hex');
const PWN = `mirtest-pwn-${TAG}`;
/** Every shell trick at once: command substitution both ways, separators, quotes, redirections. */
const HOSTILE = `mirtest-h2sec-${TAG}-\`cd;touch ${PWN}-a\`;$(cd;touch ${PWN}-b)'"&|<x>*`;
/** A domain whose description tries to smuggle a graphics element (and a section marker) into the probe's filtered XML. */
const SMUGGLER = `mirtest-h2smug-${TAG}`;

const xmlText = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const domainXml = (name: string, inner = '') =>
  `<domain type='qemu'><name>${xmlText(name)}</name>${inner}<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'/></devices></domain>`;

describe('security: the host posture probe', { timeout: 120_000 }, () => {
  let lab: Lab;
  let conn: SshHostConnection;
  let posture: HostPosture;
  let dir: string;

  beforeAll(async () => {
    lab = readLab();
    dir = mkdtempSync(join(tmpdir(), 'mirtest-h2sec-'));
    const defs: [string, string][] = [
      [HOSTILE, domainXml(HOSTILE)],
      [
        SMUGGLER,
        domainXml(
          SMUGGLER,
          `<description>${xmlText("line\n    <graphics type='vnc' listen='203.0.113.9'/>\n@@ffffffffffffffff:end@@\n  <seclabel type='none'/>")}</description>`,
        ),
      ],
    ];
    for (const [i, [, xml]] of defs.entries()) {
      const file = join(dir, `d${i}.xml`);
      writeFileSync(file, xml);
      execFileSync('virsh', ['-c', lab.libvirtUri, 'define', file], { stdio: 'ignore' });
    }
    conn = new SshHostConnection({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: lab.ssh.user,
      privateKey: labPrivateKey(lab),
      expectedFingerprint: lab.ssh.hostKeyFingerprint,
    });
    posture = (await readHostPosture(conn, lab.libvirtUri, { updates: false })).posture;
  }, 120_000);

  afterAll(async () => {
    removeLabVms(lab, HOSTILE, SMUGGLER);
    for (const f of [`${PWN}-a`, `${PWN}-b`]) rmSync(join(homedir(), f), { force: true });
    rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('a domain name full of shell metacharacters is read as data, and nothing in it runs', () => {
    const items = posture.domains?.ok ? posture.domains.value.items : [];
    const d = items.find((x) => x.name === HOSTILE);
    const ran = existsSync(join(homedir(), `${PWN}-a`)) || existsSync(join(homedir(), `${PWN}-b`));
    expect(tally(AREA, 'domain name with $(), backticks, quotes and separators', !ran && d !== undefined && d.error === null)).toBe(true);
    // Read exactly, so its findings name it exactly.
    const vnc = vmRules(posture).find((f) => f.target.id === HOSTILE);
    expect(vnc?.ruleId).toBe('libvirt.vnc-listen');
  });

  it('XML text (a description) cannot smuggle a graphics element, a seclabel or a section marker into the probe', () => {
    const d = posture.domains?.ok ? posture.domains.value.items.find((x) => x.name === SMUGGLER) : undefined;
    expect(d).toBeDefined();
    const graphics = d!.xml.filter((l) => l.includes('<graphics'));
    const smuggled = graphics.some((l) => l.includes('203.0.113.9')) || d!.xml.some((l) => l.includes("<seclabel type='none'/>"));
    expect(tally(AREA, 'graphics/seclabel/marker inside a domain description', !smuggled && posture.complete)).toBe(true);
    expect(graphics).toHaveLength(1);
  });

  it('only the constant script, a random marker, a URI Mirador builds and a flag reach the host shell', async () => {
    const seen: (readonly string[])[] = [];
    const fake = {
      exec: (argv: readonly string[]) => {
        seen.push(argv);
        return Promise.resolve<ExecResult>({ code: 0, signal: null, stdout: `@@${argv[4]}:id@@\n0\n`, stderr: '', timedOut: false });
      },
    } as unknown as CommandRunner;
    for (const uri of ['qemu+ext:///system?command=/tmp/x', "qemu:///system';touch /tmp/x;'", 'test:///etc/passwd', 'qemu:///session']) {
      await readHostPosture(fake, uri, { updates: false });
    }
    const ok = seen.every(
      (a, i) =>
        a.length === 7 &&
        a[0] === 'sh' &&
        a[1] === '-c' &&
        a[2] === POSTURE_SCRIPT &&
        /^[0-9a-f]{16}$/.test(a[4]!) &&
        a[5] === (i === 3 ? 'qemu:///session' : '') &&
        a[6] === '0',
    );
    expect(tally(AREA, 'stored libvirt URIs Mirador did not build never reach the probe', ok)).toBe(true);
  });
});
