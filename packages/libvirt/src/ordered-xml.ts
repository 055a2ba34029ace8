/**
 * Order-preserving XML editing (fast-xml-parser's preserveOrder mode): a definition is changed in
 * place, element by element, so everything the edit does not touch goes back to libvirt exactly as
 * it came — same elements, same order, same attributes.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** One element: `{ tag: [children], ':@': { '@_attr': 'v' } }`, or a text node `{ '#text': 'v' }`. */
export type OrderedNode = Record<string, unknown>;

const ATTRS = ':@';
const TEXT = '#text';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  commentPropName: '#comment',
});

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  processEntities: true,
  commentPropName: '#comment',
});

export function parseOrdered(xml: string): OrderedNode[] {
  return parser.parse(xml) as OrderedNode[];
}
export function buildOrdered(nodes: OrderedNode[]): string {
  return builder.build(nodes) as string;
}

export function tagOf(node: OrderedNode | undefined): string | undefined {
  return node ? Object.keys(node).find((k) => k !== ATTRS) : undefined;
}
export function kids(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  const v = tag === undefined ? undefined : node[tag];
  return Array.isArray(v) ? (v as OrderedNode[]) : [];
}
export function findAll(nodes: OrderedNode[], tag: string): OrderedNode[] {
  return nodes.filter((n) => tagOf(n) === tag);
}
export function find(nodes: OrderedNode[], tag: string): OrderedNode | undefined {
  return nodes.find((n) => tagOf(n) === tag);
}
export function getAttr(node: OrderedNode | undefined, name: string): string | undefined {
  const v = (node?.[ATTRS] as Record<string, unknown> | undefined)?.[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}
export function setAttr(node: OrderedNode, name: string, value: string | undefined): void {
  const attrs = { ...((node[ATTRS] as Record<string, string> | undefined) ?? {}) };
  if (value === undefined) delete attrs[`@_${name}`];
  else attrs[`@_${name}`] = value;
  if (Object.keys(attrs).length === 0) delete node[ATTRS];
  else node[ATTRS] = attrs;
}
export function textOf(node: OrderedNode | undefined): string | undefined {
  if (!node) return undefined;
  const t = kids(node).find((k) => TEXT in k)?.[TEXT];
  return typeof t === 'string' || typeof t === 'number' ? String(t) : '';
}
export function setText(node: OrderedNode, value: string): void {
  const tag = tagOf(node)!;
  node[tag] = [...kids(node).filter((k) => !(TEXT in k)), { [TEXT]: value }];
}
export function element(tag: string, attrs: Record<string, string> = {}, content: OrderedNode[] | string = []): OrderedNode {
  const node: OrderedNode = { [tag]: typeof content === 'string' ? [{ [TEXT]: content }] : content };
  for (const [k, v] of Object.entries(attrs)) setAttr(node, k, v);
  return node;
}

/** The root element's children, e.g. everything inside <domain>. */
export function rootChildren(doc: OrderedNode[], root: string): OrderedNode[] {
  const node = find(doc, root);
  if (!node) throw new Error(`Expected a <${root}> document`);
  return kids(node);
}

/** Replaces the first `tag` child (or inserts `replacement` after the last of `after`, else at the end); undefined removes it. */
export function putChild(parent: OrderedNode[], tag: string, replacement: OrderedNode | undefined, after: readonly string[] = []): void {
  const i = parent.findIndex((n) => tagOf(n) === tag);
  if (i >= 0) {
    if (replacement) parent.splice(i, 1, replacement);
    else parent.splice(i, 1);
    return;
  }
  if (!replacement) return;
  let at = -1;
  parent.forEach((n, idx) => {
    if (after.includes(tagOf(n) ?? '')) at = idx;
  });
  parent.splice(at >= 0 ? at + 1 : parent.length, 0, replacement);
}

/** A stable text form of a subtree, for "did anything else change?" comparisons. */
export function canonical(nodes: OrderedNode[]): string {
  return JSON.stringify(nodes);
}
