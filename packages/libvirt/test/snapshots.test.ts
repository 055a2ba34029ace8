import { describe, expect, it } from 'vitest';
import {
  LibvirtValidationError,
  commandLineOf,
  parseSnapshotXml,
  snapshotCreateAsArgv,
  snapshotDeleteArgv,
  snapshotDumpxmlArgv,
  snapshotRevertArgv,
  snapshotTree,
} from '../src/index.js';

const URI = 'qemu:///system';
const xml = (name: string, parent: string | null, created: number, extra = '') =>
  `<domainsnapshot><name>${name}</name>${extra}<state>running</state>${parent ? `<parent><name>${parent}</name></parent>` : ''}` +
  `<creationTime>${created}</creationTime><memory snapshot='internal'/><disks><disk name='vda' snapshot='internal'/></disks>` +
  `<domain type='qemu'><name>vm</name><description>not the snapshot's</description></domain></domainsnapshot>`;

describe('snapshot argv', () => {
  it('builds the lines people type, the description as one --description= argument', () => {
    expect(commandLineOf(snapshotCreateAsArgv(URI, 'vm1', { name: 's1', description: "-x it's" }))).toBe(
      `virsh -c qemu:///system snapshot-create-as vm1 --name s1 '--description=-x it'\\''s' --atomic`,
    );
    expect(snapshotRevertArgv(URI, 'vm1', 's1', { running: true }).slice(3)).toEqual(['snapshot-revert', 'vm1', 's1', '--running']);
    expect(snapshotDeleteArgv(URI, 'vm1', 's1', { children: true }).slice(3)).toEqual(['snapshot-delete', 'vm1', 's1', '--children']);
    expect(snapshotDumpxmlArgv(URI, 'vm1', 'made elsewhere').slice(3)).toEqual([
      'snapshot-dumpxml',
      'vm1',
      '--snapshotname=made elsewhere',
    ]);
  });

  it('refuses hostile names and descriptions, naming the field', () => {
    for (const bad of ['-rf', '--children', 'a b', '../x', '', 'x'.repeat(65), 'a;b']) {
      expect(() => snapshotCreateAsArgv(URI, 'vm1', { name: bad }), bad).toThrow(LibvirtValidationError);
      expect(() => snapshotRevertArgv(URI, 'vm1', bad), bad).toThrow(LibvirtValidationError);
    }
    expect(() => snapshotCreateAsArgv(URI, 'vm1', { name: 's', description: 'a\u001bb' })).toThrow(/control characters/);
    expect(() => snapshotDumpxmlArgv(URI, 'vm1', 'a\nb')).toThrow(LibvirtValidationError);
  });
});

describe('parseSnapshotXml / snapshotTree', () => {
  it('reads the snapshot, not the domain inside it', () => {
    expect(parseSnapshotXml(xml('s1', null, 1796547558, '<description>x &lt;y</description>'))).toEqual({
      name: 's1',
      description: 'x <y',
      createdAt: '2026-12-06T08:59:18.000Z',
      state: 'running',
      parent: null,
      memory: 'internal',
      disks: [{ target: 'vda', snapshot: 'internal' }],
    });
  });

  it('orders parents before children, oldest sibling first, and marks the current one', () => {
    const infos = [xml('c', 'a', 3), xml('b', 'a', 2), xml('a', null, 1), xml('d', 'b', 4), xml('orphan', 'gone', 5)].map(parseSnapshotXml);
    expect(snapshotTree(infos, 'd').map((s) => [s.name, s.depth, s.children, s.current])).toEqual([
      ['a', 0, ['b', 'c'], false],
      ['b', 1, ['d'], false],
      ['d', 2, [], true],
      ['c', 1, [], false],
      ['orphan', 0, [], false],
    ]);
  });
});
