import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Snapshot names become virsh arguments and libvirt metadata file names; descriptions land in XML
 * (issue 11). Viewers read the tree and change nothing; hostile names and descriptions are refused
 * with a 400 naming the field before anything runs. Every attempt must leave the VM's snapshots,
 * its current snapshot and its definition as they were.
 */
const AREA = 'vm-snapshots';
const tag = randomBytes(3).toString('hex');
const VM = `mirador-test-secsnap-${tag}`;
const VOLUME = `${VM}.qcow2`;

let s: SecurityLab;
let dir: string;
const api = (rest = '') => `/api/hosts/${s.sshHostId}/vms/${VM}/snapshots${rest}`;

/** What a refused request could have changed. */
function state() {
  return JSON.stringify({
    names: virsh(s.lab, 'snapshot-list', VM, '--name').trim(),
    tree: virsh(s.lab, 'snapshot-list', VM, '--parent'),
    xml: virsh(s.lab, 'dumpxml', VM),
  });
}

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  const kit = (s.lab as unknown as { vmKit: { kernel: string } }).vmKit;
  virsh(s.lab, 'vol-create-as', s.lab.storagePool, VOLUME, '64M', '--format', 'qcow2');
  dir = mkdtempSync(join(tmpdir(), 'sec-snap-'));
  const file = join(dir, 'vm.xml');
  writeFileSync(
    file,
    `<domain type='qemu'><name>${VM}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
      `<os><type arch='x86_64'>hvm</type><kernel>${kit.kernel}</kernel></os><devices>` +
      `<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='${s.lab.storagePool}' volume='${VOLUME}'/><target dev='vda' bus='virtio'/></disk>` +
      `<serial type='pty'/></devices></domain>`,
  );
  virsh(s.lab, 'define', file);
  virsh(s.lab, 'snapshot-create-as', VM, '--name', 'base');
  virsh(s.lab, 'snapshot-create-as', VM, '--name', 'child');
  // The inventory hears the define; wait until the API knows the VM.
  const until = Date.now() + 30_000;
  while ((await s.live.request('GET', api(), { cookie: s.cookies.viewer })).status !== 200) {
    if (Date.now() > until) throw new Error('the VM never showed up in the inventory');
    await new Promise((r) => setTimeout(r, 300));
  }
});

afterAll(async () => {
  try {
    virsh(s.lab, 'undefine', VM, '--snapshots-metadata', '--remove-all-storage');
  } catch {
    /* already gone */
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  await s?.close();
});

describe('vm snapshots: roles', { timeout: 120_000 }, () => {
  it('a viewer reads the tree but is refused every mutation, the preview included', async () => {
    const list = await s.live.request('GET', api(), { cookie: s.cookies.viewer });
    expect(list.status).toBe(200);
    expect(list.json().items.map((i: { name: string }) => i.name)).toEqual(['base', 'child']);
    const mutations: Array<[string, string, unknown]> = [
      ['POST', api(), { name: 'v1' }],
      ['POST', api('/preview'), { name: 'v1' }],
      ['POST', api('/base/revert'), undefined],
      ['DELETE', api('/child'), undefined],
      ['DELETE', api('/base?children=true'), undefined],
    ];
    for (const [method, path, body] of mutations) {
      const before = state();
      const res = await s.live.request(method, path, { cookie: s.cookies.viewer, body });
      expect(tally(AREA, `viewer ${method} ${path.replace(s.sshHostId, ':hostId')}`, res.status === 403 && state() === before)).toBe(true);
    }
  });
});

describe('vm snapshots: hostile input (operator)', { timeout: 120_000 }, () => {
  const names: Array<[string, string]> = [
    ['an option', '--children'],
    ['a leading dash', '-rf'],
    ['a path', '../../etc/passwd'],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['shell', "x';reboot;'"],
    ['command substitution', '$(reboot)'],
    ['a virsh script separator', 'x;destroy'],
    ['XML', '<name>x</name>'],
    ['a newline', 'a\nb'],
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['a dot', '.'],
    ['dot-dot', '..'],
  ];
  it.each(names)('refuses a snapshot named with %s (create and preview) — 400 naming "name"', async (label, bad) => {
    for (const path of [api(), api('/preview')]) {
      const before = state();
      const res = await s.live.request('POST', path, { cookie: s.cookies.operator, body: { name: bad } });
      const ok = res.status === 400 && res.json().field === 'name' && state() === before;
      expect(tally(AREA, `operator POST ${path.endsWith('preview') ? 'preview' : 'create'} name ${label}`, ok), res.body).toBe(true);
    }
  });

  it.each(names.filter(([, n]) => n !== '' && n !== '.' && n !== '..'))(
    'refuses revert and delete of a snapshot named with %s in the path',
    async (label, bad) => {
      for (const [method, path] of [
        ['POST', api(`/${encodeURIComponent(bad)}/revert`)],
        ['DELETE', api(`/${encodeURIComponent(bad)}?children=true`)],
      ] as const) {
        const before = state();
        const res = await s.live.request(method, path, { cookie: s.cookies.operator });
        // 400 (the pattern) or 404 (a "/" makes it another route): either way nothing ran.
        const ok = (res.status === 400 || res.status === 404) && state() === before;
        expect(tally(AREA, `operator ${method} snapshot ${label}`, ok), `${res.status} ${res.body}`).toBe(true);
      }
    },
  );

  it('refuses descriptions with control characters or over 1000 characters — 400 naming "description"', async () => {
    for (const [label, description] of [
      ['an escape sequence', 'a\u001b[2Jb'],
      ['a NUL', 'a\u0000b'],
      ['too long', 'd'.repeat(1001)],
    ] as const) {
      const before = state();
      const res = await s.live.request('POST', api(), { cookie: s.cookies.operator, body: { name: 'd1', description } });
      const ok = res.status === 400 && res.json().field === 'description' && state() === before;
      expect(tally(AREA, `operator POST create description ${label}`, ok), res.body).toBe(true);
    }
  });

  it('keeps a description that looks like an option or markup as plain text', async () => {
    const res = await s.live.request('POST', api(), {
      cookie: s.cookies.operator,
      body: { name: 'odd-desc', description: '--children </description><x/> & $(reboot)' },
    });
    expect(res.status, res.body).toBe(202);
    const id = res.json().id as string;
    await expect
      .poll(async () => (await s.live.request('GET', `/api/tasks/${id}`, { cookie: s.cookies.operator })).json().status, {
        timeout: 60_000,
      })
      .toBe('ok');
    const xml = virsh(s.lab, 'snapshot-dumpxml', VM, 'odd-desc');
    expect(xml).toContain('<description>--children &lt;/description&gt;&lt;x/&gt; &amp; $(reboot)</description>');
    expect(virsh(s.lab, 'snapshot-list', VM, '--name').trim().split('\n')).toEqual(['base', 'child', 'odd-desc']);
  });
});
