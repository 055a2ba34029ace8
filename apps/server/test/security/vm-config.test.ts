import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * A VM's settings, pinning and tuning (issue #11) end up as virsh arguments and in the persistent
 * definition. Hostile CPU lists and values are refused with a 400 naming the field, viewers change
 * nothing, and in every refused case `virsh dumpxml --inactive` of the domain is byte for byte the same.
 */
const AREA = 'vm-config';
let s: SecurityLab;

const api = (rest = '') => `/api/hosts/${s.sshHostId}/vms/${s.vmName}/config${rest}`;
const definition = () => virsh(s.lab, 'dumpxml', '--inactive', '--security-info', s.vmName);

beforeAll(async () => {
  s = await startSecurityLab(AREA);
  // The inventory learns of the fixture's domain on its first load.
  const until = Date.now() + 30_000;
  while ((await s.live.request('GET', api(), { cookie: s.cookies.viewer })).status !== 200) {
    if (Date.now() > until) throw new Error('the fixture VM never appeared');
    await new Promise((r) => setTimeout(r, 300));
  }
});
afterAll(async () => {
  await s?.close();
});

describe('vm-config: roles', { timeout: 60_000 }, () => {
  it('a viewer reads the settings but is refused every change', async () => {
    expect((await s.live.request('GET', api(), { cookie: s.cookies.viewer })).status).toBe(200);
    const mutations: Array<[string, string, unknown]> = [
      ['PATCH', api(), { vcpus: 1, title: 'viewer was here' }],
      ['PATCH', api(), { autostart: true }],
      ['PUT', api('/pinning'), { vcpus: [{ vcpu: 0, cpuset: '0' }], emulator: '0' }],
      ['PATCH', api('/tuning'), { shares: 512 }],
    ];
    for (const [method, path, body] of mutations) {
      const before = definition();
      const res = await s.live.request(method, path, { cookie: s.cookies.viewer, body });
      expect(tally(AREA, `viewer ${method} ${path.replace(s.sshHostId, ':hostId')}`, res.status === 403 && definition() === before)).toBe(
        true,
      );
    }
  });
});

describe('vm-config: hostile input (operator)', { timeout: 120_000 }, () => {
  const cases: Array<[string, string, string, unknown, string]> = [
    ['cpuset past the host', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: '0-999' }] }, 'vcpus[0].cpuset'],
    ['cpuset letters', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: 'a' }] }, 'vcpus[0].cpuset'],
    ['cpuset with a shell separator', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: '1;reboot' }] }, 'vcpus[0].cpuset'],
    ['cpuset as an option', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: '--live' }] }, 'vcpus[0].cpuset'],
    ['cpuset that excludes everything', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: '0,^0' }] }, 'vcpus[0].cpuset'],
    ['cpuset with $()', 'PUT', '/pinning', { vcpus: [{ vcpu: 0, cpuset: '$(reboot)' }] }, 'vcpus[0].cpuset'],
    ['a vCPU the VM lacks', 'PUT', '/pinning', { vcpus: [{ vcpu: 7, cpuset: '0' }] }, 'vcpus[0].vcpu'],
    ['emulator cpuset with a newline', 'PUT', '/pinning', { vcpus: [], emulator: '0\n1' }, 'emulator'],
    ['zero vCPUs', 'PATCH', '', { vcpus: 0 }, 'vcpus'],
    ['more vCPUs than the maximum', 'PATCH', '', { vcpus: 9 }, 'vcpus'],
    ['memory beyond the host', 'PATCH', '', { maxMemoryMiB: 1024 * 1024 * 1024, memoryMiB: 64 }, 'maxMemoryMiB'],
    ['memory above the maximum', 'PATCH', '', { memoryMiB: 4096 }, 'memoryMiB'],
    ['a boot device outside the list', 'PATCH', '', { boot: ['hd', 'usb'] }, 'boot[1]'],
    ['a lifecycle action outside libvirt', 'PATCH', '', { onCrash: 'reboot;rm -rf /' }, 'onCrash'],
    ['a CPU mode outside the list', 'PATCH', '', { cpuMode: 'host-passthrough --live' }, 'cpuMode'],
    ['a CPU model with XML', 'PATCH', '', { cpuMode: 'custom', cpuModel: '<x/>' }, 'cpuModel'],
    ['a title with a newline', 'PATCH', '', { title: 'a\nb' }, 'title'],
    ['schedinfo shares out of range', 'PATCH', '/tuning', { shares: -5 }, 'shares'],
    ['blkio weight out of range', 'PATCH', '/tuning', { blkioWeight: 5 }, 'blkioWeight'],
  ];
  for (const [label, method, rest, body, field] of cases) {
    it(`refuses ${label} with a 400 naming ${field}, the definition unchanged`, async () => {
      const before = definition();
      const res = await s.live.request(method, api(rest), { cookie: s.cookies.operator, body });
      const refused = res.status === 400 && res.json<{ field?: string }>().field === field && definition() === before;
      expect(tally(AREA, `${method} ${rest || '/config'} ${label}`, refused), res.body).toBe(true);
    });
  }

  it('an XML-looking description is stored as text, not markup', async () => {
    const res = await s.live.request('PATCH', api(), {
      cookie: s.cookies.operator,
      body: { description: '</description><on_crash>preserve</on_crash>' },
    });
    expect(res.status, res.body).toBe(200);
    const xml = definition();
    expect(tally(AREA, 'description with markup', !xml.includes('<on_crash>preserve') && xml.includes('&lt;/description&gt;'))).toBe(true);
  });
});
