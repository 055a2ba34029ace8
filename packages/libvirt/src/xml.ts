/**
 * The single XML configuration for the package. Attributes are kept under '@_' because libvirt
 * reuses names for attributes and children (<graphics listen='…'><listen …/></graphics>), and
 * values stay strings so "0x0000" or "007" never get coerced into numbers behind our back.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type XmlNode = Record<string, unknown>;

const ATTR = '@_';
const TEXT = '#text';

/** Builds a parser that returns arrays for the listed element paths (dot-joined from the root). */
export function makeParser(arrayPaths: readonly string[]): XMLParser {
  const arrays = new Set(arrayPaths);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    textNodeName: TEXT,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    // Namespaced metadata (<libosinfo:os>) is looked up by local name; the prefix is the author's choice.
    removeNSPrefix: true,
    // No DOCTYPE games: libvirt never emits entities beyond the predefined five.
    processEntities: true,
    htmlEntities: false,
    isArray: (_name, jpath, _isLeaf, isAttribute) => !isAttribute && typeof jpath === 'string' && arrays.has(jpath),
  });
}

export function parseXmlRoot(parser: XMLParser, xml: string, root: string): XmlNode {
  if (typeof xml !== 'string' || xml.trim() === '') throw new Error(`Expected <${root}> XML, got empty input`);
  const doc = parser.parse(xml) as XmlNode;
  const node = doc[root];
  if (node === undefined) throw new Error(`Expected a <${root}> document`);
  return asNode(node);
}

/** Elements that are empty (<acpi/>) parse to '' rather than an object; treat both as nodes. */
export function asNode(value: unknown): XmlNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : {};
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (!node) return undefined;
  const v = node[name];
  if (v === undefined) return undefined;
  return asNode(Array.isArray(v) ? v[0] : v);
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!node) return [];
  const v = node[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(asNode);
}

/** Text of every repeated child element, e.g. each <machine> in capabilities. */
export function childTexts(node: XmlNode | undefined, name: string): string[] {
  if (!node) return [];
  const v = node[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .map((item: unknown) => text({ item }, 'item'))
    .filter((t): t is string => t !== undefined && t !== '');
}

export function has(node: XmlNode | undefined, name: string): boolean {
  return node !== undefined && node[name] !== undefined;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const v = node?.[ATTR + name];
  return typeof v === 'string' ? v : undefined;
}

/** Text content of a child element, whether or not that element also carries attributes. */
export function text(node: XmlNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  let v = node[name];
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v !== null && typeof v === 'object') {
    const t = (v as XmlNode)[TEXT];
    if (typeof t === 'string' || typeof t === 'number') return String(t);
    return '';
  }
  return undefined;
}

export function toInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

const UNIT_FACTORS: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
  p: 1024 ** 5,
  pib: 1024 ** 5,
  pb: 1000 ** 5,
  e: 1024 ** 6,
  eib: 1024 ** 6,
  eb: 1000 ** 6,
};

/** libvirt scaled integers: <memory unit='KiB'>…</memory>; a missing unit means `defaultUnit`. */
export function scaledToBytes(value: string | undefined, unit: string | undefined, defaultUnit: string): number | undefined {
  const n = toInt(value);
  if (n === undefined) return undefined;
  const factor = UNIT_FACTORS[(unit ?? defaultUnit).toLowerCase()];
  return factor === undefined ? undefined : n * factor;
}

export function makeBuilder(): XMLBuilder {
  return new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    textNodeName: TEXT,
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    // Escapes & < > " ' in text and attribute values: the only place user text becomes XML.
    processEntities: true,
  });
}
