import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { CommandRunner, ExecResult } from '@mirador/ssh';
import { SshError } from '@mirador/ssh';
import type { FindingTarget } from '@mirador/contract';
import { parsePosture } from '../../src/advisor/host-posture-parse.js';
import { POSTURE_SCRIPT } from '../../src/advisor/host-posture-script.js';
import { readHostPosture } from '../../src/advisor/host-posture.js';
import { hostRules } from '../../src/advisor/host-rules.js';
import { vmRules } from '../../src/advisor/vm-rules.js';
import { createHostAdvisor, judgePosture } from '../../src/advisor/host-advisor.js';
import { engineRules, type EngineFacts } from '../../src/advisor/docker-engine-rules.js';
import { mergeOverlaps } from '../../src/advisor/finding-overlaps.js';
import { findingId } from '../../src/advisor/finding-id.js';

/**
 * Every host/VM rule, positive and negative, on probe outputs shaped like the real probe's (the
 * section layout of host-posture-script.ts, the lines real hosts print). The baseline is a hardened
 * Ubuntu-like KVM host that no rule flags; each case changes one thing.
 */
const M = '0123456789abcdef';
const NOW = Date.UTC(2026, 11, 6, 12) / 1000;
const HOST: FindingTarget = { kind: 'host', id: 'h1', name: 'kvm1' };

const POLKIT_LIBVIRT = `// Allow any user in the 'libvirt' group to connect to system libvirtd
// without entering a password.

polkit.addRule(function(action, subject) {
    if (action.id == "org.libvirt.unix.manage" &&
        subject.isInGroup("libvirt")) {
        return polkit.Result.YES;
    }
});`;

const WEB1_XML = `<domain type='kvm' id='1'>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1' passwd='***'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
  <seclabel type='dynamic' model='apparmor' relabel='yes'>
    <label>libvirt-3f2a9c1e-5d1b-4a8e-9c55-0c1d2e3f4a5b</label>
    <imagelabel>libvirt-3f2a9c1e-5d1b-4a8e-9c55-0c1d2e3f4a5b</imagelabel>
  </seclabel>
  <seclabel type='dynamic' model='dac' relabel='yes'>
    <label>+64055:+108</label>
    <imagelabel>+64055:+108</imagelabel>
  </seclabel>`;

const BASE: Record<string, string> = {
  id: '0',
  'file /etc/libvirt/libvirtd.conf ok': '',
  'file /etc/libvirt/virtqemud.conf missing': '',
  'file /etc/libvirt/qemu.conf ok': '',
  sockets: '/run/libvirt/libvirt-sock root libvirt 770',
  procs: [
    '812\troot\tlibvirtd\tunconfined\t/usr/sbin/libvirtd --timeout 120 ',
    '1290\tlibvirt-qemu\tqemu-system-x86\tlibvirt-3f2a9c1e-5d1b-4a8e-9c55-0c1d2e3f4a5b (enforce)\tguest=web1',
    '640\troot\tsshd\tunconfined\tsshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups ',
    '900\troot\tdockerd\tunconfined\t/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock ',
  ].join('\n'),
  groups: 'root:x:0:\nsudo:x:27:alice\nlibvirt:x:112:\nkvm:x:108:',
  primary: 'root:0\nalice:1000\nlibvirt-qemu:108',
  'polkit-dir /etc/polkit-1/rules.d ok': '',
  'polkit-dir /usr/share/polkit-1/rules.d ok': '',
  'polkit-file /usr/share/polkit-1/rules.d/60-libvirt.rules': POLKIT_LIBVIRT,
  secmodels: 'rc 0\n      <model>apparmor</model>\n      <model>dac</model>',
  'domains 0 0 1': '',
  'domain running': `web1\n${WEB1_XML}`,
  listeners: [
    'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    users:(("systemd-resolve",pid=500,fd=14))',
    'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=640,fd=3))',
    'LISTEN 0      1          127.0.0.1:5900      0.0.0.0:*    users:(("qemu-system-x86",pid=1290,fd=30))',
  ].join('\n'),
  units: 'libvirtd-tcp.socket inactive\nlibvirtd-tls.socket inactive\nvirtproxyd-tcp.socket inactive\nvirtproxyd-tls.socket inactive',
  'docker-json missing': '',
  'sshd-t /etc/ssh/sshd_config': [
    'port 22',
    'listenaddress [::]:22',
    'listenaddress 0.0.0.0:22',
    'usepam yes',
    'permitrootlogin without-password',
    'passwordauthentication no',
    'kbdinteractiveauthentication no',
    'permitemptypasswords no',
    'authenticationmethods any',
  ].join('\n'),
  updates: `tool apt\nlists ${NOW - 86_400}\nrc 0\ninst 0`,
  end: '',
};

/** The probe's output for BASE with some sections replaced (value null removes a section). */
function output(changes: Record<string, string | null> = {}, extra: Record<string, string> = {}): string {
  const merged: Record<string, string | null> = { ...BASE, ...changes };
  const entries = Object.entries(merged).filter((e): e is [string, string] => e[1] !== null && e[0] !== 'end');
  entries.push(...Object.entries(extra));
  if (merged.end !== null) entries.push(['end', '']);
  return entries.map(([k, v]) => `@@${M}:${k}@@\n${v}${v ? '\n' : ''}`).join('');
}
const posture = (changes: Record<string, string | null> = {}, extra: Record<string, string> = {}) =>
  parsePosture(output(changes, extra), M, NOW);
const hostFindings = (changes: Record<string, string | null> = {}, extra: Record<string, string> = {}) =>
  hostRules(posture(changes, extra), HOST);
const ruleOf = <T extends { ruleId: string }>(drafts: T[], ruleId: string) => drafts.filter((d) => d.ruleId === ruleId);

describe('baseline: a hardened host', () => {
  it('no rule flags it', () => {
    const p = posture();
    expect(p.complete).toBe(true);
    expect(hostRules(p, HOST)).toEqual([]);
    expect(vmRules(p)).toEqual([]);
  });
});

describe('libvirt.access-control', () => {
  it('flags members of a group polkit lets manage libvirt, naming the rule line and the members', () => {
    const [f, ...rest] = ruleOf(hostFindings({ groups: 'root:x:0:\nlibvirt:x:112:alice,bob' }), 'libvirt.access-control');
    expect(rest).toEqual([]);
    expect(f!.severity).toBe('medium');
    expect(f!.reference).toBe('libvirt: access control');
    expect(f!.evidence).toContain('/usr/share/polkit-1/rules.d/60-libvirt.rules:6: subject.isInGroup("libvirt")) {');
    expect(f!.evidence).toContain('getent group libvirt: alice,bob');
    expect(f!.evidence).toContain('access_drivers not set in /etc/libvirt/libvirtd.conf');
    expect(f!.params).toMatchObject({ users: 'alice,bob', count: 2 });
    expect(f!.fix).toContain('access_drivers = [ "polkit" ]');
  });
  it('counts primary-group members too', () => {
    const f = ruleOf(hostFindings({ primary: 'root:0\ncarol:112' }), 'libvirt.access-control');
    expect(f[0]?.params.users).toBe('carol');
  });
  it('does not flag when the ACL driver is on, even with members', () => {
    const found = hostFindings({
      groups: 'libvirt:x:112:alice',
      'file /etc/libvirt/libvirtd.conf ok': '219:access_drivers = [ "polkit" ]',
    });
    expect(ruleOf(found, 'libvirt.access-control')).toEqual([]);
  });
  it('auth_unix_rw = "none" on a world-writable socket: every local user, critical', () => {
    const [f] = ruleOf(
      hostFindings({
        'file /etc/libvirt/libvirtd.conf ok': '183:auth_unix_rw = "none"',
        sockets: '/run/libvirt/libvirt-sock root root 777',
      }),
      'libvirt.access-control',
    );
    expect(f!.severity).toBe('critical');
    expect(f!.evidence).toContain('/etc/libvirt/libvirtd.conf:183: auth_unix_rw = "none"');
    expect(f!.evidence).toContain('stat /run/libvirt/libvirt-sock: root:root mode 777');
  });
  it('auth_unix_rw = "none" with a group-only socket: the group members', () => {
    const [f] = ruleOf(
      hostFindings({
        'file /etc/libvirt/libvirtd.conf ok': '85:unix_sock_group = "libvirt"\n108:unix_sock_rw_perms = "0770"\n183:auth_unix_rw = "none"',
        groups: 'libvirt:x:112:dave',
      }),
      'libvirt.access-control',
    );
    expect(f!.severity).toBe('medium');
    expect(f!.params.users).toBe('dave');
  });
  it('says "could not read" when the polkit rules are unreadable', () => {
    const [f] = ruleOf(
      hostFindings({ 'polkit-dir /etc/polkit-1/rules.d ok': null }, { 'polkit-dir /etc/polkit-1/rules.d denied': '' }),
      'libvirt.access-control.unknown',
    );
    expect(f!.severity).toBe('info');
    expect(f!.evidence).toBe('could not read: the polkit rules in /etc/polkit-1/rules.d (permission denied)');
  });
  it('uses virtqemud.conf when the modular daemon runs', () => {
    const found = hostFindings(
      {
        'file /etc/libvirt/virtqemud.conf missing': null,
        procs: '700\troot\tvirtqemud\tunconfined\t/usr/sbin/virtqemud --timeout 120',
        sockets: '/run/libvirt/virtqemud-sock root root 777',
        groups: 'libvirt:x:112:erin',
      },
      { 'file /etc/libvirt/virtqemud.conf ok': '183:auth_unix_rw = "none"' },
    );
    const [f] = ruleOf(found, 'libvirt.access-control');
    expect(f!.evidence).toContain('/etc/libvirt/virtqemud.conf:183: auth_unix_rw = "none"');
    expect(f!.severity).toBe('critical');
  });
});

describe('libvirt.svirt', () => {
  it('flags a host whose libvirt has no MAC security model', () => {
    const [f] = ruleOf(hostFindings({ secmodels: 'rc 0\n      <model>none</model>\n      <model>dac</model>' }), 'libvirt.svirt');
    expect(f!.severity).toBe('medium');
    expect(f!.evidence).toBe('virsh capabilities: security models none, dac (no selinux or apparmor)');
    expect(f!.reference).toBe('libvirt: sVirt');
  });
  it('flags security_driver = "none" as high, with the file line', () => {
    const [f] = ruleOf(hostFindings({ 'file /etc/libvirt/qemu.conf ok': '449:security_driver = "none"' }), 'libvirt.svirt');
    expect(f!.severity).toBe('high');
    expect(f!.evidence).toBe('/etc/libvirt/qemu.conf:449: security_driver = "none"');
  });
  it('flags security_default_confined = 0', () => {
    const [f] = ruleOf(hostFindings({ 'file /etc/libvirt/qemu.conf ok': '460:security_default_confined = 0' }), 'libvirt.svirt');
    expect(f!.evidence).toContain('/etc/libvirt/qemu.conf:460: security_default_confined = 0');
  });
  it('SELinux hosts pass too', () => {
    expect(ruleOf(hostFindings({ secmodels: 'rc 0\n      <model>selinux</model>\n      <model>dac</model>' }), 'libvirt.svirt')).toEqual(
      [],
    );
  });
  it('says "could not read" when virsh capabilities fails', () => {
    const [f] = ruleOf(hostFindings({ secmodels: 'rc 1\nerror: failed to connect to the hypervisor' }), 'libvirt.svirt.unknown');
    expect(f!.evidence).toContain('could not read: virsh capabilities failed: error: failed to connect to the hypervisor');
  });
});

describe('libvirt.tcp-without-tls', () => {
  const tcp = 'LISTEN 0      50           0.0.0.0:16509      0.0.0.0:*    users:(("libvirtd",pid=812,fd=18))';
  it('flags libvirt listening on 0.0.0.0:16509 with auth_tcp = "none" as critical', () => {
    const [f] = ruleOf(
      hostFindings({
        listeners: `${BASE.listeners}\n${tcp}`,
        'file /etc/libvirt/libvirtd.conf ok': '38:listen_tcp = 1\n191:auth_tcp = "none"',
      }),
      'libvirt.tcp-without-tls',
    );
    expect(f!.severity).toBe('critical');
    expect(f!.evidence).toContain(`ss -ltn: ${tcp}`);
    expect(f!.evidence).toContain('/etc/libvirt/libvirtd.conf:191: auth_tcp = "none"');
  });
  it('high with the default SASL, low when only on loopback', () => {
    expect(ruleOf(hostFindings({ listeners: tcp }), 'libvirt.tcp-without-tls')[0]!.severity).toBe('high');
    const lo = tcp.replace('0.0.0.0:16509', '127.0.0.1:16509');
    expect(ruleOf(hostFindings({ listeners: lo }), 'libvirt.tcp-without-tls')[0]!.severity).toBe('low');
  });
  it('does not flag the TLS port alone', () => {
    const tls = tcp.replace('16509', '16514');
    expect(ruleOf(hostFindings({ listeners: tls }), 'libvirt.tcp-without-tls')).toEqual([]);
  });
  it('without ss: an active libvirtd-tcp.socket is flagged from systemd', () => {
    const [f] = ruleOf(
      hostFindings({ listeners: 'no-ss', units: 'libvirtd-tcp.socket active\nlibvirtd-tls.socket inactive' }),
      'libvirt.tcp-without-tls',
    );
    expect(f!.evidence).toContain('systemctl is-active libvirtd-tcp.socket: active');
  });
});

describe('libvirt.qemu-root', () => {
  it('flags user = "root" in qemu.conf with the line', () => {
    const [f] = ruleOf(hostFindings({ 'file /etc/libvirt/qemu.conf ok': '972:user = "root"\n974:group = "root"' }), 'libvirt.qemu-root');
    expect(f!.severity).toBe('high');
    expect(f!.evidence).toBe('/etc/libvirt/qemu.conf:972: user = "root"');
  });
  it('flags a QEMU process running as root', () => {
    const procs = BASE.procs!.replace('1290\tlibvirt-qemu', '1290\troot');
    const [f] = ruleOf(hostFindings({ procs }), 'libvirt.qemu-root');
    expect(f!.evidence).toBe('ps: pid 1290 user root qemu-system-x86 guest=web1');
  });
  it('does not flag user = "libvirt-qemu"', () => {
    expect(ruleOf(hostFindings({ 'file /etc/libvirt/qemu.conf ok': '972:user = "libvirt-qemu"' }), 'libvirt.qemu-root')).toEqual([]);
  });
});

describe('host.security-updates', () => {
  const inst = [
    'libssl3/oldstable-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.19-1~deb12u2]',
    'openssl/oldstable,oldstable-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.19-1~deb12u2]',
  ];
  it('flags pending security updates with the apt lines', () => {
    const [f] = ruleOf(
      hostFindings({ updates: `tool apt\nlists ${NOW - 3 * 86_400}\nrc 0\ninst 7\n${inst.join('\n')}` }),
      'host.security-updates',
    );
    expect(f!.severity).toBe('medium');
    expect(f!.evidence).toBe(
      `apt list --upgradable: 2 packages with security updates of 7 upgradable (package lists 3 days old): libssl3, openssl; e.g. ${inst[0]}`,
    );
    expect(f!.fix).toContain('apt-get update && apt-get upgrade');
  });
  it('ten or more is high', () => {
    const many = Array.from({ length: 10 }, (_, i) => inst[1]!.replace('openssl/', `pkg${i}/`)).join('\n');
    expect(ruleOf(hostFindings({ updates: `tool apt\nlists ${NOW}\nrc 0\ninst 10\n${many}` }), 'host.security-updates')[0]!.severity).toBe(
      'high',
    );
  });
  it('dnf security advisories from the cache', () => {
    const dnf = 'tool dnf\nrc 0\nFEDORA-2026-1a2b3c4d5e Important/Sec. openssl-libs-1:3.2.2-9.fc40.x86_64';
    const [f] = ruleOf(hostFindings({ updates: dnf }), 'host.security-updates');
    expect(f!.evidence).toContain('dnf -C updateinfo list --security: 1 package with security updates: openssl-libs-1:3.2.2-9.fc40.x86_64');
  });
  it('says unknown when it cannot tell (no tool, old lists, apt failing)', () => {
    expect(ruleOf(hostFindings({ updates: 'tool none' }), 'host.security-updates.unknown')[0]!.evidence).toContain(
      'neither apt-get nor dnf',
    );
    expect(
      ruleOf(hostFindings({ updates: `tool apt\nlists ${NOW - 30 * 86_400}\nrc 0\ninst 0` }), 'host.security-updates.unknown')[0]!.evidence,
    ).toContain('30 days old');
    expect(ruleOf(hostFindings({ updates: 'tool apt\nlists \nrc 0\ninst 0' }), 'host.security-updates.unknown')).toHaveLength(1);
    const failing = 'tool apt\nlists 1796526499\nrc 100\ninst 0\nE: The package lists or status file could not be parsed or opened.';
    expect(ruleOf(hostFindings({ updates: failing }), 'host.security-updates.unknown')[0]!.evidence).toContain('exit 100');
  });
  it('no pending security updates: nothing', () => {
    expect(ruleOf(hostFindings(), 'host.security-updates')).toEqual([]);
  });
});

describe('host.ssh-password-login', () => {
  const sshd = BASE['sshd-t /etc/ssh/sshd_config']!;
  it('flags passwordauthentication yes from sshd -T', () => {
    const [f] = ruleOf(
      hostFindings({ 'sshd-t /etc/ssh/sshd_config': sshd.replace('passwordauthentication no', 'passwordauthentication yes') }),
      'host.ssh-password-login',
    );
    expect(f!.severity).toBe('medium');
    expect(f!.evidence).toBe('sshd -T -f /etc/ssh/sshd_config: passwordauthentication yes');
  });
  it('high when root may log in with it', () => {
    const text = sshd
      .replace('passwordauthentication no', 'passwordauthentication yes')
      .replace('permitrootlogin without-password', 'permitrootlogin yes');
    expect(ruleOf(hostFindings({ 'sshd-t /etc/ssh/sshd_config': text }), 'host.ssh-password-login')[0]!.severity).toBe('high');
  });
  it('keyboard-interactive through PAM counts as a password', () => {
    const text = sshd.replace('kbdinteractiveauthentication no', 'kbdinteractiveauthentication yes');
    expect(ruleOf(hostFindings({ 'sshd-t /etc/ssh/sshd_config': text }), 'host.ssh-password-login')).toHaveLength(1);
  });
  it('AuthenticationMethods publickey only: not flagged', () => {
    const text = sshd
      .replace('passwordauthentication no', 'passwordauthentication yes')
      .replace('authenticationmethods any', 'authenticationmethods publickey');
    expect(ruleOf(hostFindings({ 'sshd-t /etc/ssh/sshd_config': text }), 'host.ssh-password-login')).toEqual([]);
  });
  it('fallback to the files: unset means OpenSSH default yes; a drop-in setting no wins', () => {
    const files = (lines: string) => ({
      'sshd-t /etc/ssh/sshd_config': null,
      'sshd-file /etc/ssh/sshd_config': `error Privilege separation user sshd does not exist\n${lines}`,
    });
    const unset = ruleOf(
      hostFindings(files('/etc/ssh/sshd_config:13:Include /etc/ssh/sshd_config.d/*.conf\n/etc/ssh/sshd_config:62:UsePAM yes')),
      'host.ssh-password-login',
    );
    expect(unset[0]!.evidence).toContain("PasswordAuthentication not set in /etc/ssh/sshd_config (OpenSSH's default is yes)");
    expect(unset[0]!.evidence).toContain('sshd -T failed: Privilege separation user sshd does not exist');
    const dropin = files(
      '/etc/ssh/sshd_config:13:Include /etc/ssh/sshd_config.d/*.conf\n/etc/ssh/sshd_config:57:PasswordAuthentication yes\n/etc/ssh/sshd_config.d/50-cloud-init.conf:1:PasswordAuthentication no',
    );
    expect(ruleOf(hostFindings(dropin), 'host.ssh-password-login')).toEqual([]);
    const inMatch = files(
      '/etc/ssh/sshd_config:50:PasswordAuthentication no\n/etc/ssh/sshd_config:90:Match User guest\n/etc/ssh/sshd_config:91:PasswordAuthentication yes',
    );
    expect(ruleOf(hostFindings(inMatch), 'host.ssh-password-login')).toEqual([]);
  });
  it('an unreadable config is "could not read"', () => {
    const found = hostFindings({
      'sshd-t /etc/ssh/sshd_config': null,
      'sshd-file /etc/ssh/sshd_config': 'error Permission denied\n/etc/ssh/sshd_config:0:denied',
    });
    expect(ruleOf(found, 'host.ssh-password-login.unknown')[0]!.evidence).toBe('could not read: /etc/ssh/sshd_config (permission denied)');
  });
});

describe('host.docker-tcp-without-tls', () => {
  it('flags dockerd -H tcp://0.0.0.0:2375 as critical, with its command line', () => {
    const procs = BASE.procs!.replace('-H fd://', '-H fd:// -H tcp://0.0.0.0:2375');
    const [f] = ruleOf(hostFindings({ procs }), 'host.docker-tcp-without-tls');
    expect(f!.severity).toBe('critical');
    expect(f!.evidence).toContain('dockerd (pid 900): /usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375');
  });
  it('flags "hosts" in daemon.json on loopback as high', () => {
    const found = hostFindings(
      { 'docker-json missing': null },
      { 'docker-json ok': '{ "hosts": ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"] }' },
    );
    const [f] = ruleOf(found, 'host.docker-tcp-without-tls');
    expect(f!.severity).toBe('high');
    expect(f!.evidence).toContain('/etc/docker/daemon.json: "hosts": ["unix:///var/run/docker.sock","tcp://127.0.0.1:2375"]');
  });
  it('flags a listener on 2375 owned by dockerd', () => {
    const listeners = `${BASE.listeners}\nLISTEN 0      4096                *:2375             *:*    users:(("dockerd",pid=900,fd=7))`;
    expect(ruleOf(hostFindings({ listeners }), 'host.docker-tcp-without-tls')[0]!.severity).toBe('critical');
  });
  it('does not flag --tlsverify', () => {
    const procs = BASE.procs!.replace('-H fd://', '-H fd:// -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=/etc/docker/ca.pem');
    expect(ruleOf(hostFindings({ procs }), 'host.docker-tcp-without-tls')).toEqual([]);
  });
});

describe('the Docker API on TCP, seen by the engine and by the host probe: one finding', () => {
  const ENGINE: FindingTarget = { kind: 'engine', id: 'h1', name: 'kvm1' };
  // What dockerd 27 prints in `docker info` for `-H tcp://0.0.0.0:2375` without --tls (daemon/info.go).
  const WARNING = (addr: string) =>
    `WARNING: API is accessible on http://${addr} without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/`;
  const engine = (warnings: string[]): EngineFacts => ({
    info: {
      ServerVersion: '29.0.0',
      SecurityOptions: ['name=apparmor', 'name=seccomp,profile=builtin', 'name=userns'],
      Warnings: warnings,
    },
    defaultBridge: { Name: 'bridge', Options: { 'com.docker.network.bridge.enable_icc': 'false' } },
  });
  const engineDrafts = (warnings: string[]) => engineRules(ENGINE, engine(warnings), new Date(NOW * 1000));
  const exposedProcs = BASE.procs!.replace('-H fd://', '-H fd:// -H tcp://0.0.0.0:2375');
  const idOf = (d: { ruleId: string; target: FindingTarget }) => findingId(d.ruleId, 'h1', d.target.kind, d.target.id);
  const tcpOf = <T extends { ruleId: string }>(drafts: T[]) =>
    drafts.filter((d) => /tcp-without-tls/.test(d.ruleId) && !d.ruleId.startsWith('libvirt'));

  it('both saw it: one finding on the engine, with both evidences', () => {
    const merged = mergeOverlaps(engineDrafts([WARNING('0.0.0.0:2375')]), hostFindings({ procs: exposedProcs }));
    const [f, ...rest] = tcpOf(merged);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ ruleId: 'docker.engine.tcp-without-tls', target: ENGINE, severity: 'critical' });
    expect(f!.evidence).toContain('docker info Warnings: WARNING: API is accessible on http://0.0.0.0:2375 without encryption.');
    expect(f!.evidence).toContain('host probe: dockerd (pid 900): /usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375');
    expect(f!.params.listen).toBe('0.0.0.0:2375');
  });

  it('the id is the same whichever family saw it (one stale, or slow): one acknowledgement is enough', () => {
    const both = tcpOf(mergeOverlaps(engineDrafts([WARNING('0.0.0.0:2375')]), hostFindings({ procs: exposedProcs })));
    const engineOnly = tcpOf(mergeOverlaps(engineDrafts([WARNING('0.0.0.0:2375')]), hostFindings()));
    // The engine could not be read (its last findings are none): the host probe alone still names the engine.
    const probeOnly = tcpOf(mergeOverlaps([], hostFindings({ procs: exposedProcs })));
    expect(new Set([...both, ...engineOnly, ...probeOnly].map(idOf)).size).toBe(1);
    expect(probeOnly[0]).toMatchObject({ ruleId: 'docker.engine.tcp-without-tls', target: ENGINE, severity: 'critical' });
    expect(probeOnly[0]!.evidence.startsWith('host probe: dockerd (pid 900): /usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375 ')).toBe(true);
    expect(engineOnly[0]!.evidence).not.toContain('host probe');
  });

  it('the worse severity wins: a loopback warning from the engine, a wildcard listener seen by ss', () => {
    const engineLoopback = engineDrafts([WARNING('127.0.0.1:2375')]);
    expect(tcpOf(engineLoopback)[0]!.severity).toBe('high');
    const listeners = `${BASE.listeners}\nLISTEN 0      4096                *:2375             *:*    users:(("dockerd",pid=900,fd=7))`;
    expect(tcpOf(mergeOverlaps(engineLoopback, hostFindings({ listeners })))).toMatchObject([{ severity: 'critical' }]);
    const loopbackJson = hostFindings(
      { 'docker-json missing': null },
      { 'docker-json ok': '{ "hosts": ["fd://", "tcp://127.0.0.1:2375"] }' },
    );
    expect(tcpOf(mergeOverlaps(engineLoopback, loopbackJson))).toMatchObject([{ severity: 'high' }]);
  });

  it('a host without a Docker engine in Mirador keeps the host rule on the host; other drafts are untouched', () => {
    const host = hostFindings({
      procs: exposedProcs,
      'sshd-t /etc/ssh/sshd_config': BASE['sshd-t /etc/ssh/sshd_config']!.replace(
        'passwordauthentication no',
        'passwordauthentication yes',
      ),
    });
    expect(mergeOverlaps(null, host)).toEqual(host);
    const merged = mergeOverlaps(engineDrafts([]), host);
    expect(merged.map((d) => [d.ruleId, d.target.kind])).toEqual([
      ['docker.engine.tcp-without-tls', 'engine'],
      ['host.ssh-password-login', 'host'],
    ]);
    expect(mergeOverlaps(engineDrafts([]), hostFindings())).toEqual([]);
  });
});

describe('libvirt.vnc-listen (VM)', () => {
  const withGraphics = (graphics: string, state = 'running') => ({
    'domain running': null,
    [`domain ${state}`]: `web1\n<domain type='kvm'${state === 'running' ? " id='1'" : ''}>\n${graphics}\n${WEB1_XML.split('\n').slice(4).join('\n')}`,
  });
  it('VNC on 0.0.0.0 without a password: high', () => {
    const p = posture(
      withGraphics(
        "    <graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'>\n      <listen type='address' address='0.0.0.0'/>\n    </graphics>",
      ),
    );
    const [f, ...rest] = vmRules(p);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      ruleId: 'libvirt.vnc-listen',
      severity: 'high',
      target: { kind: 'vm', id: 'web1', name: 'web1' },
      reference: 'libvirt: TLS and firewalls',
    });
    expect(f!.evidence).toContain(
      "web1: vnc listens on 0.0.0.0, no password; <graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'>",
    );
    expect(f!.params).toEqual({ address: '0.0.0.0', password: 'no' });
  });
  it('with a password but no TLS beyond loopback: medium; loopback without password: low', () => {
    const pw = posture(withGraphics("    <graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0' passwd='***'/>", 'shutoff'));
    expect(vmRules(pw)[0]!.severity).toBe('medium');
    const lo = posture(
      withGraphics(
        "    <graphics type='spice' autoport='yes' listen='127.0.0.1'>\n      <listen type='address' address='127.0.0.1'/>\n    </graphics>",
      ),
    );
    expect(vmRules(lo)[0]!.severity).toBe('low');
  });
  it('no listen in the XML takes qemu.conf vnc_listen (and its line is the evidence)', () => {
    const p = posture({
      ...withGraphics("    <graphics type='vnc' port='-1' autoport='yes'/>", 'shutoff'),
      'file /etc/libvirt/qemu.conf ok': '12:vnc_listen = "0.0.0.0"',
    });
    const [f] = vmRules(p);
    expect(f!.severity).toBe('high');
    expect(f!.evidence).toContain('/etc/libvirt/qemu.conf:12: vnc_listen = "0.0.0.0"');
  });
  it('qemu.conf vnc_password is the default password (masked by the probe)', () => {
    const p = posture({
      ...withGraphics("    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>", 'shutoff'),
      'file /etc/libvirt/qemu.conf ok': '140:vnc_password = "***"',
    });
    expect(vmRules(p)).toEqual([]);
  });
  it('loopback with a password, a unix socket, or no graphics: nothing', () => {
    expect(vmRules(posture())).toEqual([]);
    expect(
      vmRules(
        posture(
          withGraphics(
            "    <graphics type='vnc' socket='/run/libvirt/qemu/vnc.sock'>\n      <listen type='socket' socket='/run/libvirt/qemu/vnc.sock'/>\n    </graphics>",
          ),
        ),
      ),
    ).toEqual([]);
    expect(vmRules(posture(withGraphics('')))).toEqual([]);
  });
  it('a domain virsh could not read is "could not check", not a guess', () => {
    const p = posture({ 'domain running': "odd\nerror: failed to get domain 'odd'" });
    expect(vmRules(p)).toMatchObject([{ ruleId: 'libvirt.vnc-listen.unknown', severity: 'info', target: { kind: 'vm', id: 'odd' } }]);
    // From the one-session batch (stderr not kept): a name with no definition after it.
    const silent = vmRules(posture({ 'domain running': 'gone' }));
    expect(silent).toMatchObject([
      { ruleId: 'libvirt.vnc-listen.unknown', evidence: 'could not read: virsh dumpxml: virsh printed no definition for it' },
    ]);
  });
});

describe('libvirt.vm-unconfined (VM)', () => {
  it("flags <seclabel type='none'/> on an AppArmor host", () => {
    const xml = `web1\n<domain type='kvm'>\n  <seclabel type='none' model='none'/>`;
    const [f] = vmRules(posture({ 'domain running': null, 'domain shutoff': xml }));
    expect(f).toMatchObject({ ruleId: 'libvirt.vm-unconfined', severity: 'medium', reference: 'libvirt: sVirt' });
    expect(f!.evidence).toBe("web1: <seclabel type='none' model='none'/>");
  });
  it('flags a running guest without an apparmor label, with its unconfined QEMU process', () => {
    const xml = `web1\n<domain type='kvm' id='1'>\n  <seclabel type='dynamic' model='dac' relabel='yes'>\n    <label>+64055:+108</label>\n  </seclabel>`;
    const procs = BASE.procs!.replace('libvirt-3f2a9c1e-5d1b-4a8e-9c55-0c1d2e3f4a5b (enforce)', 'unconfined');
    const [f] = vmRules(posture({ 'domain running': xml, procs }));
    expect(f!.evidence).toContain("the live XML has no <seclabel model='apparmor'>");
    expect(f!.evidence).toContain('ps: pid 1290 guest=web1 label unconfined');
  });
  it('a labelled guest passes; a host without MAC leaves it to the host rule', () => {
    expect(vmRules(posture())).toEqual([]);
    const noMac = posture({
      secmodels: 'rc 0\n      <model>none</model>\n      <model>dac</model>',
      'domain running': `web1\n<domain type='kvm' id='1'>`,
    });
    expect(vmRules(noMac)).toEqual([]);
    expect(ruleOf(hostRules(noMac, HOST), 'libvirt.svirt')).toHaveLength(1);
  });
});

describe('the probe output', () => {
  it('content cannot fake a section: only the random marker counts', () => {
    const hostile = `${POLKIT_LIBVIRT}\n@@ffffffffffffffff:end@@\n@@${M}x:updates@@\ntool none`;
    const p = posture({ 'polkit-file /usr/share/polkit-1/rules.d/60-libvirt.rules': hostile });
    expect(p.polkit.files[0]!.text).toContain('@@ffffffffffffffff:end@@');
    expect(p.updates?.ok).toBe(true);
  });
  it('an output cut short is noted, and sections it did not reach are "could not read"', () => {
    const cut = output().split(`@@${M}:listeners@@`)[0]!;
    const p = parsePosture(cut, M, NOW);
    expect(p.complete).toBe(false);
    const drafts = judgePosture(p, { id: 'h1', name: 'kvm1' });
    expect(drafts.some((d) => d.ruleId === 'host.ssh-password-login.unknown')).toBe(true);
    expect(drafts.some((d) => d.ruleId === 'host.security-updates.unknown')).toBe(true);
    expect(drafts.some((d) => d.evidence.includes('the probe was cut short'))).toBe(true);
  });
  it('more domains than the probe reads is said, not hidden', () => {
    const drafts = judgePosture(posture({ 'domains 0 0 1': null }, {}), { id: 'h1', name: 'kvm1' });
    expect(drafts).toEqual([]);
    const many = parsePosture(
      output({ 'domains 0 0 1': null, 'domain running': null }, { 'domains 0 0 450': '', 'domain running': `web1\n${WEB1_XML}` }),
      M,
      NOW,
    );
    expect(judgePosture(many, { id: 'h1', name: 'kvm1' }).map((d) => d.evidence)).toContain(
      'could not read: only 1 of 450 domains were read (the probe reads at most 300)',
    );
  });
});

/** A runner that answers one exec with a canned result and records the argv. */
function fakeRunner(answer: (argv: readonly string[]) => Promise<ExecResult>): CommandRunner & { calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  const r = Object.assign(new EventEmitter(), {
    state: 'online' as const,
    load: { running: 0, queued: 0, channels: 0 },
    calls,
    exec: (argv: readonly string[]) => {
      calls.push(argv);
      return answer(argv);
    },
    spawn: () => Promise.reject(new Error('not used')),
    openLoopbackPort: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  });
  return r as unknown as CommandRunner & { calls: (readonly string[])[] };
}

describe('readHostPosture / createHostAdvisor', () => {
  const ok = (argv: readonly string[]) =>
    Promise.resolve({ code: 0, signal: null, stdout: output().replaceAll(M, argv[4]!), stderr: '', timedOut: false });

  it('runs the fixed script once, with only the marker and a URI Mirador builds as arguments', async () => {
    const runner = fakeRunner(ok);
    await readHostPosture(runner, 'qemu:///system');
    await readHostPosture(runner, 'test:///default');
    await readHostPosture(runner, 'qemu+ssh://evil/system?command=/bin/sh');
    expect(runner.calls).toHaveLength(3);
    for (const argv of runner.calls) {
      expect(argv.slice(0, 4)).toEqual(['sh', '-c', POSTURE_SCRIPT, 'mirador-posture']);
      expect(argv[4]).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(runner.calls.map((a) => a[5])).toEqual(['qemu:///system', '', '']);
    expect(runner.calls.map((a) => a[6])).toEqual(['1', '1', '1']);
    expect(runner.calls.every((a) => a.length === 7)).toBe(true);
  });

  it('returns host and VM drafts; an unreachable host is stale with the reason and the last known findings', async () => {
    let up = true;
    const runner = fakeRunner((argv) =>
      up
        ? Promise.resolve({
            code: 0,
            signal: null,
            stdout: output({ 'file /etc/libvirt/qemu.conf ok': '972:user = "root"' }).replaceAll(M, argv[4]!),
            stderr: '',
            timedOut: false,
          })
        : Promise.reject(new SshError('unreachable', 'connect ECONNREFUSED 127.0.0.1:22')),
    );
    const advisor = createHostAdvisor({
      host: (id) => Promise.resolve(id === 'h1' ? { id, name: 'kvm1', libvirtUri: 'qemu:///system' } : null),
      runner: () => Promise.resolve(runner),
    });
    const first = await advisor.check('h1');
    expect(first.stale).toBeNull();
    expect(first.findings.map((f) => f.ruleId)).toEqual(['libvirt.qemu-root']);
    expect(first.findings[0]!.target).toEqual({ kind: 'host', id: 'h1', name: 'kvm1' });
    up = false;
    const second = await advisor.check('h1');
    expect(second.stale).toContain('Could not read host "kvm1"');
    expect(second.stale).toContain('ECONNREFUSED');
    expect(second.findings).toEqual(first.findings);
    expect(second.checkedAt).toEqual(first.checkedAt);
    expect((await advisor.check('gone')).stale).toBe('The host is no longer in the inventory');
  });

  it('reads pending updates at most every updatesEveryMs and carries the last answer in between', async () => {
    let clock = Date.UTC(2026, 11, 6, 12);
    const updates = `tool apt\nlists ${clock / 1000}\nrc 0\ninst 1\nopenssl/oldstable-security 3.0.22-1~deb12u2 amd64 [upgradable from: 3.0.19-1~deb12u2]`;
    const runner = fakeRunner((argv) => {
      const text = argv[6] === '1' ? output({ updates }) : output({ updates: 'skipped' });
      return Promise.resolve({ code: 0, signal: null, stdout: text.replaceAll(M, argv[4]!), stderr: '', timedOut: false });
    });
    const advisor = createHostAdvisor({
      host: (id) => Promise.resolve({ id, name: 'kvm1', libvirtUri: 'qemu:///system' }),
      runner: () => Promise.resolve(runner),
      now: () => new Date(clock),
      updatesEveryMs: 3600_000,
    });
    const first = await advisor.check('h1');
    clock += 60_000;
    const second = await advisor.check('h1');
    clock += 3600_000;
    await advisor.check('h1');
    expect(runner.calls.map((a) => a[6])).toEqual(['1', '0', '1']);
    expect(first.findings.map((f) => f.ruleId)).toEqual(['host.security-updates']);
    expect(second.findings).toEqual(first.findings);
  });

  it('concurrent checks of one host share one probe', async () => {
    const runner = fakeRunner(ok);
    const advisor = createHostAdvisor({
      host: (id) => Promise.resolve({ id, name: 'kvm1', libvirtUri: null }),
      runner: () => Promise.resolve(runner),
    });
    const [a, b] = await Promise.all([advisor.check('h1'), advisor.check('h1')]);
    expect(a).toBe(b);
    expect(runner.calls).toHaveLength(1);
    await advisor.check('h1');
    expect(runner.calls).toHaveLength(2);
  });

  it('a runner that cannot be had (key not accepted yet) is stale, not a throw', async () => {
    const advisor = createHostAdvisor({
      host: (id) => Promise.resolve({ id, name: 'new', libvirtUri: null }),
      runner: () => Promise.reject(new Error('Host "new" has no accepted SSH host key yet: test its connection first')),
    });
    const run = await advisor.check('h2');
    expect(run.findings).toEqual([]);
    expect(run.stale).toContain('no accepted SSH host key');
  });
});
