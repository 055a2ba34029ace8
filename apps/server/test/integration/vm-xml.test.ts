import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { readLab, type Lab } from '../helpers/lab.js';
import { addLabHost } from '../helpers/lab-vm.js';

function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const passwdOf = (xml: string) => /passwd='([^']+)'/.exec(xml)?.[1];

/** The XML editor (issue #11): `virsh edit` as GET + PUT, against the lab's libvirt. The VM is never started. */
describe('VM XML editor', { timeout: 180_000 }, () => {
  let t: TestApp;
  let admin: string;
  let operator: string;
  let lab: Lab & { vmKit: { kernel: string; initrd: string } };
  let hostId: string;
  const name = `mirador-test-xml-${randomBytes(3).toString('hex')}`;
  const url = () => `/api/hosts/${hostId}/vms/${name}/config/xml`;
  const get = async (cookie = admin) => {
    const res = await t.call({ method: 'GET', url: url(), cookie });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { xml: string; hash: string; command: string };
  };
  const put = (xml: string, cookie = admin, expectedHash?: string) =>
    t.call({ method: 'PUT', url: url(), cookie, payload: { xml, ...(expectedHash ? { expectedHash } : {}) } });
  const inactive = () => virsh('dumpxml', '--inactive', name);

  beforeAll(async () => {
    lab = readLab() as typeof lab;
    t = await startTestApp();
    admin = await t.setupAdmin();
    hostId = await addLabHost(t, admin, lab);
    operator = await t.userSession('operator', 'olga');
    const res = await t.call({
      method: 'POST',
      url: `/api/hosts/${hostId}/vms`,
      cookie: admin,
      payload: {
        name,
        memoryMiB: 128,
        vcpus: 1,
        domainType: 'qemu',
        start: false,
        disk: { kind: 'none' },
        install: { kind: 'kernel', kernel: lab.vmKit.kernel, initrd: lab.vmKit.initrd, cmdline: 'console=ttyS0' },
        network: { kind: 'none' },
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const until = Date.now() + 120_000;
    for (;;) {
      const task = (await t.call({ method: 'GET', url: `/api/tasks/${res.json().id}`, cookie: admin })).json();
      if (task.status === 'ok') break;
      if (task.status !== 'running') throw new Error(`create: ${task.status} ${task.error}`);
      if (Date.now() > until) throw new Error('create did not finish');
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  afterAll(async () => {
    try {
      virsh('destroy', name);
    } catch {}
    try {
      virsh('undefine', name);
    } catch {}
    await t?.close();
  });

  it('opens the persistent definition without the VNC password, with its hash and the define line', async () => {
    const secret = virsh('dumpxml', '--inactive', '--security-info', name);
    expect(passwdOf(secret)).toBeTruthy();
    const doc = await get(operator);
    expect(doc.xml).toBe(inactive());
    expect(doc.xml).not.toContain('passwd');
    expect(doc.xml).not.toContain(passwdOf(secret)!);
    expect(doc.hash).toBe(sha256(doc.xml));
    expect(doc.command).toBe(`virsh -c qemu:///system define ${name}.xml --validate`);
  });

  it('defines a valid edit, keeps the VNC password, and audits the diff', async () => {
    const before = virsh('dumpxml', '--inactive', '--security-info', name);
    const doc = await get();
    const edited = doc.xml
      .replace(/<memory unit='KiB'>\d+<\/memory>/, "<memory unit='KiB'>196608</memory>")
      .replace('</uuid>', '</uuid>\n  <description>edited by the XML editor</description>');
    const res = await put(edited, operator, doc.hash);
    expect(res.statusCode, res.body).toBe(200);
    const saved = res.json();
    expect(saved.changed).toBe(true);
    expect(saved.xml).toBe(inactive());
    expect(saved.xml).toContain('<description>edited by the XML editor</description>');
    expect(saved.xml).toContain("<memory unit='KiB'>196608</memory>");
    expect(saved.hash).toBe(sha256(saved.xml));
    expect(saved.diff).toContain("+  <memory unit='KiB'>196608</memory>");
    expect(passwdOf(virsh('dumpxml', '--inactive', '--security-info', name))).toBe(passwdOf(before));

    const audit = (await t.call({ method: 'GET', url: `/api/audit?action=vm.xml.define&targetId=${name}&limit=10`, cookie: admin })).json();
    const entry = audit.items.find((e: { result: string }) => e.result === 'ok');
    expect(entry.params.diff).toContain('+  <description>edited by the XML editor</description>');
    expect(entry.params.command).toContain('define');
    expect(JSON.stringify(audit)).not.toContain(passwdOf(before)!);
  });

  it('answers libvirt refusals with its message and where it points; nothing changes', async () => {
    const doc = await get();
    const bad = doc.xml.replace(/<vcpu[^>]*>1<\/vcpu>/, '<vcpu>abc</vcpu>');
    expect(bad).not.toBe(doc.xml);
    const res = await put(bad);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'libvirt_invalid', field: 'xml', element: 'vcpu' });
    expect(res.json().message).toMatch(/libvirt refused the definition: .*validate/i);
    expect(res.json().line).toBe(bad.split('\n').findIndex((l) => l.includes('<vcpu>')) + 1);
    expect(inactive()).toBe(doc.xml);

    const unknown = await put(doc.xml.replace('</devices>', '  <bogus/>\n  </devices>'));
    expect(unknown.statusCode, unknown.body).toBe(400);
    // libvirt's schema names the element whose content failed, here <devices>.
    expect(unknown.json()).toMatchObject({ element: 'devices', line: doc.xml.split('\n').findIndex((l) => l.includes('<devices>')) + 1 });
    expect(inactive()).toBe(doc.xml);

    const audit = (
      await t.call({ method: 'GET', url: `/api/audit?action=vm.xml.define&targetId=${name}&result=error&limit=10`, cookie: admin })
    ).json();
    expect(audit.items.some((e: { params: { diff?: string } }) => e.params.diff?.includes('+  <vcpu>abc</vcpu>'))).toBe(true);
  });

  it('refuses renames, new UUIDs, DTDs and a stale hash before libvirt sees them', async () => {
    const doc = await get();
    const renamed = await put(doc.xml.replace(`<name>${name}</name>`, '<name>mirador-test-other</name>'));
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().field).toBe('name');
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(doc.xml)![1]!;
    const reUuid = await put(doc.xml.replace(uuid, '00000000-0000-4000-8000-000000000001'));
    expect(reUuid.statusCode).toBe(400);
    expect(reUuid.json().field).toBe('uuid');
    const dtd = await put(
      `<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/shadow">]>\n${doc.xml.replace('</uuid>', '</uuid><description>&x;</description>')}`,
    );
    expect(dtd.statusCode).toBe(400);
    expect(dtd.json().message).toMatch(/DOCTYPE/);

    const stale = await put(doc.xml.replace('edited by the XML editor', 'second edit'), admin, sha256('something else'));
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json().current).toEqual({ xml: doc.xml, hash: doc.hash, command: doc.command });
    expect(inactive()).toBe(doc.xml);
  });

  it('holds operators to the pools for new disks (admins may, with a warning)', async () => {
    const doc = await get();
    const disk = `<disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n      <source file='/etc/shadow'/>\n      <target dev='vdb' bus='virtio'/>\n    </disk>\n  </devices>`;
    const withShadow = doc.xml.replace('</devices>', disk);
    const refused = await put(withShadow, operator, doc.hash);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().message).toMatch(/disk vdb: "\/etc\/shadow" is outside the host's storage pools/);
    expect(inactive()).toBe(doc.xml);

    const allowed = await put(withShadow, admin, doc.hash);
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.json().warnings.join(' ')).toMatch(/\/etc\/shadow.*allowed because you are an administrator/);
    expect(inactive()).toContain("<source file='/etc/shadow'/>");
    // Back as it was; the operator may now edit around the admin's disk without being refused for it.
    const now = await get();
    const around = await put(
      now.xml.replace('second', 'x').replace('edited by the XML editor', 'edited around the disk'),
      operator,
      now.hash,
    );
    expect(around.statusCode, around.body).toBe(200);
    const restored = await put(doc.xml, admin);
    expect(restored.statusCode, restored.body).toBe(200);
    expect(inactive()).not.toContain('/etc/shadow');
  });
});
