import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityLab, virsh, type SecurityLab } from './fixtures.js';
import { tally } from './tally.js';

/**
 * Live migration (issue #11) opens a qemu+ssh:// connection FROM a host, with that host's own SSH
 * login: a URI chosen by a caller could name files and programs there (?keyfile=, ?command=). The
 * destination is therefore only ever an inventory host id; everything else is refused before
 * anything runs. A viewer may neither run the pre-flight nor migrate.
 */
const AREA = 'vm-migrate';

let s: SecurityLab;
let destId: string;
const migrationUri = () => s.lab.secondLibvirt.migrationUri;

/** What must not change: the VM still defined on the source, nothing of that name on the destination. */
function state(): string {
  const source = virsh(s.lab, 'list', '--all', '--name');
  let dest: string;
  try {
    dest = execFileSync('virsh', ['-c', migrationUri(), 'list', '--all', '--name'], { encoding: 'utf8', timeout: 60_000 });
  } catch (err) {
    dest = `unreachable: ${String(err)}`;
  }
  return `${source.includes(s.vmName)}|${dest.includes(s.vmName)}`;
}

beforeAll(async () => {
  s = await startSecurityLab('migrate');
  const second = s.lab.secondLibvirt;
  const res = await s.live.request('POST', '/api/hosts', {
    cookie: s.cookies.admin,
    body: {
      name: 'sec-migrate-session',
      address: second.ssh.host,
      port: second.ssh.port,
      username: second.ssh.user,
      authMethod: 'key',
      privateKey: readFileSync(second.ssh.privateKeyPath, 'utf8'),
      libvirtUri: second.uri,
    },
  });
  if (res.status !== 201) throw new Error(`could not add the second libvirt: ${res.body}`);
  destId = res.json().id as string;
  const tested = await s.live.request('POST', `/api/hosts/${destId}/test`, { cookie: s.cookies.admin });
  if (!tested.json().ok) throw new Error(`the second libvirt does not answer: ${tested.body}`);
}, 180_000);

afterAll(async () => {
  await s?.close();
});

describe('vm-migrate: roles and hostile input', { timeout: 180_000 }, () => {
  const url = (what: '' | '/preflight', host = s.sshHostId, name = s.vmName) => `/api/hosts/${host}/vms/${name}/migrate${what}`;

  it('a viewer is refused the pre-flight and the migration', async () => {
    for (const what of ['', '/preflight'] as const) {
      const before = state();
      const res = await s.live.request('POST', url(what), { cookie: s.cookies.viewer, body: { destinationHostId: destId } });
      expect(tally(AREA, `viewer POST migrate${what}`, res.status === 403 && state() === before), res.body).toBe(true);
    }
  });

  it('no typed URI is accepted, in any field; hostile destination ids are 400 or 404', async () => {
    const bodies: Array<[string, unknown, number[]]> = [
      ['a URI as destinationHostId', { destinationHostId: migrationUri() }, [400]],
      ['a URI with ?command=', { destinationHostId: 'qemu+ext:///system?command=/bin/sh' }, [400]],
      ['a path traversal id', { destinationHostId: '../../etc/passwd' }, [400]],
      ['a shell id', { destinationHostId: '$(id)' }, [400]],
      ['an option-like id', { destinationHostId: '-oProxyCommand=sh' }, [400, 404]],
      ['an over-long id', { destinationHostId: 'a'.repeat(65) }, [400]],
      ['an empty id', { destinationHostId: '' }, [400]],
      ['a number', { destinationHostId: 42 }, [400]],
      ['no destination', {}, [400]],
      ['an unknown host id', { destinationHostId: 'no-such-host' }, [404]],
      ['the source itself', { destinationHostId: '__source__' }, [400]],
    ];
    for (const what of ['', '/preflight'] as const) {
      for (const [label, raw, codes] of bodies) {
        const body =
          raw && typeof raw === 'object' && (raw as { destinationHostId?: unknown }).destinationHostId === '__source__'
            ? { destinationHostId: s.sshHostId }
            : raw;
        const before = state();
        const res = await s.live.request('POST', url(what), { cookie: s.cookies.operator, body });
        expect(
          tally(AREA, `migrate${what}: ${label}`, codes.includes(res.status) && state() === before),
          `${label}: ${res.status} ${res.body}`,
        ).toBe(true);
      }
    }
  });

  it('a URI smuggled in an extra field is dropped by the schema: the destination stays the inventory one', async () => {
    const extras: Array<[string, Record<string, unknown>]> = [
      ['destinationUri', { destinationUri: `${migrationUri()}?keyfile=/etc/shadow` }],
      ['uri', { uri: 'qemu+ssh://root@evil.example:22/system' }],
      ['migrateUri', { migrateUri: 'tcp://evil.example' }],
    ];
    for (const [field, extra] of extras) {
      const before = state();
      const res = await s.live.request('POST', url('/preflight'), {
        cookie: s.cookies.operator,
        body: { destinationHostId: destId, ...extra },
      });
      const used = res.status === 200 ? (res.json() as { destinationUri: string | null; command: string | null }) : null;
      const refused =
        (res.status === 400 || (used?.destinationUri === migrationUri() && !/evil|keyfile/.test(used.command ?? ''))) && state() === before;
      expect(tally(AREA, `preflight with a ${field} field`, refused), `${field}: ${res.status} ${res.body}`).toBe(true);
    }
  });

  it('hostile VM names and source hosts are refused before anything runs', async () => {
    const cases: Array<[string, string, string, number[]]> = [
      ['option-like VM name', s.sshHostId, '-x', [400]],
      ['VM name with a quote', s.sshHostId, "a'b", [400]],
      ['encoded traversal', s.sshHostId, '..%2f..%2fetc', [400, 404]],
      ['unknown VM', s.sshHostId, 'mirador-test-nope', [404]],
      ['unknown source host', 'no-such-host', s.vmName, [404]],
    ];
    for (const [label, host, name, codes] of cases) {
      const before = state();
      const res = await s.live.request('POST', url('/preflight', host, name), {
        cookie: s.cookies.operator,
        body: { destinationHostId: destId },
      });
      expect(
        tally(AREA, `preflight: ${label}`, codes.includes(res.status) && state() === before),
        `${label}: ${res.status} ${res.body}`,
      ).toBe(true);
    }
  });
});
