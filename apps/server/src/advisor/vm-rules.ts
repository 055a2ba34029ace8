import type { FindingSeverity, FindingTarget } from '@mirador/contract';
import type { FindingDraft } from './finding-draft.js';
import type { DomainPosture, HostPosture } from './host-posture-parse.js';
import { REF, at, fileOf, isLoopback, macModel, setting, unknown, type Rule } from './host-rules.js';

/**
 * The per-VM half of the lecture's VM security advice: a guest's console reachable from the network
 * without a password (TLS and firewalls), and a guest running outside its sVirt label. Pure: the
 * posture's filtered domain XML in, drafts out (target kind 'vm', id = the domain name).
 */

export const VM_RULES = {
  vnc: {
    ruleId: 'libvirt.vnc-listen',
    reference: REF.tls,
    title: 'The VM console (VNC/SPICE) is reachable beyond loopback or without a password',
    why: "The lecture's TLS and firewalls advice: a VNC/SPICE display is the VM's keyboard and screen; listening on a public address without a password (VNC passwords are 8 characters and travel in clear without TLS) hands the guest to anyone who reaches the port.",
  },
  unconfined: {
    ruleId: 'libvirt.vm-unconfined',
    reference: REF.svirt,
    title: 'The VM runs without its sVirt label',
    why: "The lecture's sVirt advice: the host confines guests with SELinux/AppArmor, but this guest's QEMU runs unconfined, so a guest that escapes into QEMU can reach every other guest's disks.",
  },
} satisfies Record<string, Rule>;

type Attrs = Record<string, string>;
const attrsOf = (line: string): Attrs => Object.fromEntries([...line.matchAll(/([\w:-]+)=(['"])(.*?)\2/g)].map((m) => [m[1]!, m[3]!]));

interface Graphics {
  line: string;
  attrs: Attrs;
  listens: { line: string; attrs: Attrs }[];
}

/** The <graphics> elements of the filtered XML lines, each with its <listen> children. */
export function graphicsOf(xml: readonly string[]): Graphics[] {
  const out: Graphics[] = [];
  let open: Graphics | null = null;
  for (const raw of xml) {
    const line = raw.trim();
    if (line.startsWith('<graphics')) {
      const g: Graphics = { line, attrs: attrsOf(line), listens: [] };
      out.push(g);
      open = line.endsWith('/>') ? null : g;
    } else if (line.startsWith('</graphics')) open = null;
    else if (open && line.startsWith('<listen')) open.listens.push({ line, attrs: attrsOf(line) });
  }
  return out;
}

interface Exposure {
  severity: FindingSeverity;
  evidence: string;
  address: string;
  password: boolean;
}

/** How one display listens: where, with or without a password and TLS (qemu.conf supplies the defaults). */
function judgeGraphics(g: Graphics, p: HostPosture, domain: string): Exposure | null {
  const type = g.attrs.type;
  if (type !== 'vnc' && type !== 'spice') return null;
  const qemu = fileOf(p, '/etc/libvirt/qemu.conf');
  const evidence = [g.line, ...g.listens.map((l) => l.line)];
  const first = g.listens[0]?.attrs;
  if (first?.type === 'socket' || first?.type === 'none') return null;
  if (type === 'vnc' && !g.attrs.listen && !first && setting(qemu, 'vnc_auto_unix_socket')?.value === '1') return null;
  let address = first?.type === 'address' ? (first.address ?? g.attrs.listen) : first?.type === 'network' ? undefined : g.attrs.listen;
  if (first?.type === 'network') evidence.push(`(listens on the address of libvirt network ${first.network ?? '?'})`);
  if (address === undefined && first?.type !== 'network') {
    const conf = setting(qemu, `${type}_listen`);
    address = conf?.value ?? '127.0.0.1';
    evidence.push(conf ? at(conf) : `${type}_listen not set in /etc/libvirt/qemu.conf (default 127.0.0.1)`);
  }
  const confPassword = setting(qemu, `${type}_password`);
  const password = (g.attrs.passwd ?? '') !== '' || (confPassword !== undefined && confPassword.value !== '');
  if (!g.attrs.passwd && confPassword && confPassword.value !== '') evidence.push(`${at(confPassword)} (default password)`);
  const tlsLine = setting(qemu, `${type}_tls`);
  const tls = tlsLine?.value === '1';
  if (tls && tlsLine) evidence.push(at(tlsLine));
  const exposed = address === undefined || !isLoopback(address);
  let severity: FindingSeverity | null;
  if (exposed && !password) severity = 'high';
  else if (exposed && !tls) severity = 'medium';
  else if (!password) severity = 'low';
  else severity = null;
  if (!severity) return null;
  const where = address === undefined ? 'a libvirt network address' : address;
  evidence.unshift(`${domain}: ${type} listens on ${where}, ${password ? 'with a password' : 'no password'}${tls ? ', TLS' : ''}`);
  return { severity, evidence: evidence.join('; '), address: where, password };
}

const ORDER: FindingSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

function vncListen(d: DomainPosture, p: HostPosture, target: FindingTarget): FindingDraft[] {
  const judged = graphicsOf(d.xml)
    .map((g) => judgeGraphics(g, p, d.name))
    .filter((e): e is Exposure => e !== null)
    .sort((a, b) => ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity));
  const worst = judged[0];
  if (!worst) return [];
  const fix = `Listen on loopback with a password and reach the console through SSH (as Mirador's console does): virsh edit ${d.name} → <graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='…'/> (or virt-xml ${d.name} --edit --graphics listen=127.0.0.1,password=…), then restart the VM; for remote clients set vnc_tls = 1 in /etc/libvirt/qemu.conf.`;
  return [
    {
      ruleId: VM_RULES.vnc.ruleId,
      reference: VM_RULES.vnc.reference,
      severity: worst.severity,
      target,
      title: VM_RULES.vnc.title,
      evidence: judged.map((j) => j.evidence).join(' | '),
      why: VM_RULES.vnc.why,
      fix,
      params: { address: worst.address, password: worst.password ? 'yes' : 'no' },
      fixAction: null,
    },
  ];
}

function unconfined(d: DomainPosture, p: HostPosture, target: FindingTarget): FindingDraft[] {
  const mac = macModel(p);
  // Without a MAC driver on the host every guest is unconfined: the host rule (libvirt.svirt) says it once.
  if (!mac) return [];
  // Domain-level <seclabel> carries a type; per-disk ones (inside <source>) do not.
  const labels = d.xml.map((l) => l.trim()).filter((l) => l.startsWith('<seclabel') && /\stype=/.test(l));
  const none = labels.find((l) => attrsOf(l).type === 'none');
  const evidence: string[] = [];
  if (none) evidence.push(`${d.name}: ${none}`);
  else if (d.running && !labels.some((l) => attrsOf(l).model === mac))
    evidence.push(`${d.name}: the live XML has no <seclabel model='${mac}'> (labels: ${labels.join(' ') || 'none'})`);
  const procs = p.processes.ok ? p.processes.value.filter((x) => /^qemu/.test(x.comm) && x.args === `guest=${d.name}`) : [];
  for (const x of procs) if (/unconfined/.test(x.label)) evidence.push(`ps: pid ${x.pid} ${x.args} label ${x.label}`);
  if (evidence.length === 0) return [];
  const fix = `Remove <seclabel type='none'/> from the VM (virsh edit ${d.name}), keep security_default_confined = 1 in /etc/libvirt/qemu.conf, and restart the VM so libvirt gives it a dynamic ${mac} label.`;
  return [
    {
      ruleId: VM_RULES.unconfined.ruleId,
      reference: VM_RULES.unconfined.reference,
      severity: 'medium',
      target,
      title: VM_RULES.unconfined.title,
      evidence: evidence.join('; '),
      why: VM_RULES.unconfined.why,
      fix,
      params: { model: mac },
      fixAction: null,
    },
  ];
}

/** Every VM rule on every domain the probe read. A domain it could not read gets a "could not check" draft. */
export function vmRules(p: HostPosture): FindingDraft[] {
  if (!p.domains?.ok) return [];
  return p.domains.value.items.flatMap((d) => {
    const target: FindingTarget = { kind: 'vm', id: d.name, name: d.name };
    if (d.error) return [unknown(VM_RULES.vnc, target, `virsh dumpxml: ${d.error}`, 'Check the domain with virsh dumpxml on the host.')];
    return [...vncListen(d, p, target), ...unconfined(d, p, target)];
  });
}
