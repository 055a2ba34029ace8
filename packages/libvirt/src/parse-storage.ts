/**
 * Storage pool and volume documents: the `dir` pool XML Mirador defines, `pool-info` answers and
 * `vol-dumpxml`. The pool's own XML is read by `parsePoolXml` (parse-misc.ts).
 */
import { assertHostPath, assertPoolName } from './names.js';
import { attr, child, makeBuilder, makeParser, parseXmlRoot, scaledToBytes, text } from './xml.js';

/** A directory pool: the only kind Mirador creates (the lecture's `virsh pool-define-as … dir`). */
export function buildDirPoolXml(spec: { name: string; path: string }): string {
  assertPoolName(spec.name, 'name');
  assertHostPath(spec.path, 'path');
  const doc = { pool: { '@_type': 'dir', name: spec.name, target: { path: spec.path } } };
  return makeBuilder().build(doc) as string;
}

export type PoolState = 'running' | 'inactive' | 'building' | 'degraded' | 'inaccessible' | 'unknown';

export interface PoolInfo {
  state: PoolState;
  persistent: boolean;
  autostart: boolean;
}

const POOL_STATES = new Set<PoolState>(['running', 'inactive', 'building', 'degraded', 'inaccessible']);

/** `virsh pool-info NAME --bytes` (run with LC_ALL=C or in English: the keys are not translated, the values are). */
export function parsePoolInfo(out: string): PoolInfo {
  const fields = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([A-Za-z ]+):\s*(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!.trim().toLowerCase(), m[2]!.trim());
  }
  const state = (fields.get('state') ?? '') as PoolState;
  return {
    state: POOL_STATES.has(state) ? state : 'unknown',
    persistent: fields.get('persistent') === 'yes',
    autostart: fields.get('autostart') === 'yes',
  };
}

export interface VolumeInfo {
  name: string;
  /** 'file' | 'block' | 'dir' | … */
  type: string;
  path: string | null;
  /** 'qcow2' | 'raw' | 'iso' | …; null when libvirt does not say. */
  format: string | null;
  capacityBytes: number;
  allocationBytes: number;
}

const volParser = makeParser([]);

export function parseVolXml(xml: string): VolumeInfo {
  const vol = parseXmlRoot(volParser, xml, 'volume');
  const name = text(vol, 'name');
  if (!name) throw new Error('Volume XML has no <name>');
  const bytes = (el: string) => scaledToBytes(text(vol, el), attr(child(vol, el), 'unit'), 'bytes') ?? 0;
  const target = child(vol, 'target');
  return {
    name,
    type: attr(vol, 'type') ?? 'file',
    path: text(target, 'path') || null,
    format: attr(child(target, 'format'), 'type') ?? null,
    capacityBytes: bytes('capacity'),
    allocationBytes: bytes('allocation'),
  };
}
