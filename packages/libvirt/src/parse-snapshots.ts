/** Reads `virsh snapshot-dumpxml` documents and puts them in a tree (parent → children). */
import { attr, child, children, makeParser, parseXmlRoot, text, toInt } from './xml.js';

export interface SnapshotInfo {
  name: string;
  description: string | null;
  /** ISO time, from libvirt's epoch seconds. */
  createdAt: string | null;
  /** The VM's state when the snapshot was taken: running, paused, shutoff, disk-snapshot… */
  state: string;
  parent: string | null;
  /** 'internal' | 'external' | 'no' (libvirt's <memory snapshot=…>). */
  memory: string;
  /** Each disk and how it was captured (internal, external, no). */
  disks: { target: string; snapshot: string }[];
}

export interface SnapshotTreeNode extends SnapshotInfo {
  children: string[];
  current: boolean;
  /** 0 for a root. */
  depth: number;
}

const parser = makeParser(['domainsnapshot.disks.disk']);

export function parseSnapshotXml(xml: string): SnapshotInfo {
  const root = parseXmlRoot(parser, xml, 'domainsnapshot');
  const name = text(root, 'name');
  if (!name) throw new Error('Snapshot XML has no <name>');
  const seconds = toInt(text(root, 'creationTime'));
  return {
    name,
    description: text(root, 'description') || null,
    createdAt: seconds === undefined ? null : new Date(seconds * 1000).toISOString(),
    state: text(root, 'state') ?? 'unknown',
    parent: text(child(root, 'parent'), 'name') || null,
    memory: attr(child(root, 'memory'), 'snapshot') ?? 'no',
    disks: children(child(root, 'disks'), 'disk').map((d) => ({ target: attr(d, 'name') ?? '', snapshot: attr(d, 'snapshot') ?? 'no' })),
  };
}

/**
 * Orders snapshots depth-first (parents before children, siblings oldest first), so a flat list
 * indented by `depth` draws the tree. A parent that is not in the list makes its child a root.
 */
export function snapshotTree(snapshots: readonly SnapshotInfo[], current: string | null): SnapshotTreeNode[] {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const kids = new Map<string, SnapshotInfo[]>();
  const roots: SnapshotInfo[] = [];
  for (const s of snapshots) {
    if (s.parent && byName.has(s.parent)) kids.set(s.parent, [...(kids.get(s.parent) ?? []), s]);
    else roots.push(s);
  }
  const oldestFirst = (a: SnapshotInfo, b: SnapshotInfo) =>
    (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.name.localeCompare(b.name);
  const out: SnapshotTreeNode[] = [];
  const seen = new Set<string>();
  const walk = (s: SnapshotInfo, depth: number) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    const mine = [...(kids.get(s.name) ?? [])].sort(oldestFirst);
    out.push({ ...s, children: mine.map((c) => c.name), current: s.name === current, depth });
    for (const c of mine) walk(c, depth + 1);
  };
  for (const r of [...roots].sort(oldestFirst)) walk(r, 0);
  // A parent cycle (corrupt metadata) would leave snapshots unreached: show them as roots rather than lose them.
  for (const s of snapshots) walk(s, 0);
  return out;
}
