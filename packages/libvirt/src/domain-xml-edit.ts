/**
 * The XML editor's side of libvirt (`virsh edit`, done as dumpxml → edit → define): the argv, the
 * checks an edited document must pass before it is handed to libvirt, the VNC password carried over
 * from the secret definition, and where libvirt's refusal points in the document.
 *
 * The document is walked in document order (fast-xml-parser's preserveOrder form) so that a
 * rebuilt document keeps every element where the author put it.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { assertDomainName, LibvirtValidationError } from './names.js';
import { assertConnectionUri, XML_FROM_STDIN, type Argv } from './argv.js';
import { assertHostPath } from './names.js';

/** Far above any real domain definition; keeps a hostile upload from costing the parser much. */
export const DOMAIN_XML_MAX_BYTES = 1024 * 1024;
/** libvirt's namespace for raw QEMU arguments and capability overrides (what `<qemu:commandline>` uses). */
export const QEMU_XML_NAMESPACE = 'http://libvirt.org/schemas/domain/qemu/1.0';

/** The persistent definition as `virsh edit` opens it: no live state, no secrets. */
export function inactiveDumpxmlArgv(uri: string, name: string): Argv {
  assertConnectionUri(uri);
  assertDomainName(name);
  return ['virsh', '-c', uri, 'dumpxml', name, '--inactive'];
}
/** The persistent definition WITH secrets (the VNC password): read on the server to carry them over, never returned. */
export function securityInactiveDumpxmlArgv(uri: string, name: string): Argv {
  return [...inactiveDumpxmlArgv(uri, name), '--security-info'];
}
/** `virsh define --validate`: libvirt checks the document against its RNG schema before anything else. */
export function defineValidatedArgv(uri: string, file: string = XML_FROM_STDIN): Argv {
  assertConnectionUri(uri);
  assertHostPath(file, 'file');
  return ['virsh', '-c', uri, 'define', file, '--validate'];
}
/** The same command as people type it, with the XML in `<name>.xml` (shown; the server sends it on stdin). */
export function defineValidatedShownArgv(uri: string, name: string): Argv {
  assertConnectionUri(uri);
  assertDomainName(name);
  return ['virsh', '-c', uri, 'define', `${name}.xml`, '--validate'];
}

/** One node of a preserveOrder tree: `{ tag: children, ':@': attributes }` or `{ '#text': … }`. */
export type OrderedNode = Record<string, unknown>;

const ATTRS = ':@';
const TEXT = '#text';
const COMMENT = '#comment';

const orderedOptions = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: TEXT,
  commentPropName: COMMENT,
  cdataPropName: '#cdata',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Prefixes are kept: which namespace an element is in is decided here, not by its prefix.
  removeNSPrefix: false,
  // Text and attribute values stay exactly as written (&amp; stays &amp;), so a rebuild changes nothing else.
  processEntities: false,
  htmlEntities: false,
} as const;

function invalid(field: string, message: string): LibvirtValidationError {
  return new LibvirtValidationError('invalid-value', field, message);
}

/** The tag of an element node; undefined for text, comments and the XML declaration. */
export function tagOf(node: OrderedNode): string | undefined {
  const key = Object.keys(node).find((k) => k !== ATTRS);
  return key === undefined || key === TEXT || key === COMMENT || key.startsWith('?') ? undefined : key;
}
export function childrenOf(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  const v = tag === undefined ? undefined : node[tag];
  return Array.isArray(v) ? (v as OrderedNode[]) : [];
}
export function attrOf(node: OrderedNode, name: string): string | undefined {
  const v = (node[ATTRS] as Record<string, unknown> | undefined)?.[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}
function attrsOf(node: OrderedNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((node[ATTRS] as Record<string, unknown> | undefined) ?? {}))
    if (typeof v === 'string') out[k.slice(2)] = v;
  return out;
}
export function textOf(node: OrderedNode): string {
  return childrenOf(node)
    .map((c) => (typeof c[TEXT] === 'string' || typeof c[TEXT] === 'number' ? String(c[TEXT]) : ''))
    .join('')
    .trim();
}
export function elementsOf(node: OrderedNode, tag?: string): OrderedNode[] {
  return childrenOf(node).filter((c) => tagOf(c) !== undefined && (tag === undefined || tagOf(c) === tag));
}

/** An edited document's root, after the checks that need no host: size, no DTD, well-formed, one <domain>. */
export function parseEditedDomainXml(xml: string): OrderedNode {
  if (Buffer.byteLength(xml, 'utf8') > DOMAIN_XML_MAX_BYTES)
    throw invalid('xml', `The XML is larger than ${DOMAIN_XML_MAX_BYTES / 1024} KiB; a domain definition is far smaller`);
  // Entities are how "billion laughs" and external-entity reads (XXE) start; libvirt never writes them.
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml))
    throw invalid('xml', 'DOCTYPE and ENTITY declarations are not allowed in a domain definition');
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) {
    const { msg, line } = wellFormed.err;
    throw invalid('xml', `The XML is not well-formed (line ${line}): ${msg}`);
  }
  const top = (new XMLParser(orderedOptions).parse(xml) as OrderedNode[]).filter((n) => tagOf(n) !== undefined);
  if (top.length !== 1 || tagOf(top[0]!) !== 'domain') throw invalid('xml', 'The document must be exactly one <domain> element');
  return top[0]!;
}

const normalUuid = (u: string) => u.replace(/-/g, '').toLowerCase();

/**
 * The edited document must still describe this VM: renaming and a new UUID are other operations
 * (`virsh define` would create a second domain, or refuse, with a message about something else).
 */
export function assertSameDomain(domain: OrderedNode, own: { name: string; uuid: string }): void {
  const names = elementsOf(domain, 'name');
  if (names.length !== 1 || textOf(names[0]!) !== own.name)
    throw invalid('name', `<name> must stay "${own.name}": renaming is a separate operation, not an XML edit`);
  const uuids = elementsOf(domain, 'uuid');
  if (uuids.length !== 1 || normalUuid(textOf(uuids[0]!)) !== normalUuid(own.uuid))
    throw invalid('uuid', `<uuid> must stay ${own.uuid}: the UUID identifies this VM and cannot be changed by an edit`);
}

/** Every element below `node` with the namespaces in scope, depth first in document order. */
export function walkElements(node: OrderedNode, visit: (el: OrderedNode, path: string[], ns: Map<string, string>) => void): void {
  const go = (el: OrderedNode, path: string[], scope: Map<string, string>) => {
    const attrs = attrsOf(el);
    let ns = scope;
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (ns === scope) ns = new Map(scope);
        ns.set(k === 'xmlns' ? '' : k.slice(6), v);
      }
    }
    const here = [...path, tagOf(el)!];
    visit(el, here, ns);
    for (const c of elementsOf(el)) go(c, here, ns);
  };
  go(node, [], new Map());
}

/** The namespace URI an element is in ('' for libvirt's own, unqualified elements). */
export function namespaceOf(el: OrderedNode, ns: Map<string, string>): string {
  const tag = tagOf(el) ?? '';
  const colon = tag.indexOf(':');
  return colon < 0 ? (ns.get('') ?? '') : (ns.get(tag.slice(0, colon)) ?? `undeclared:${tag.slice(0, colon)}`);
}

/** Serialises a subtree canonically (for "was this already in the definition?" comparisons). */
export function canonicalOf(el: OrderedNode): string {
  const attrs = attrsOf(el);
  const keys = Object.keys(attrs).sort();
  const inner = childrenOf(el)
    .map((c) => (tagOf(c) !== undefined ? canonicalOf(c) : typeof c[TEXT] === 'string' ? String(c[TEXT]).trim() : ''))
    .join('');
  return `<${tagOf(el)}${keys.map((k) => ` ${k}="${attrs[k]}"`).join('')}>${inner}</${tagOf(el)}>`;
}

function vncGraphics(domain: OrderedNode): OrderedNode[] {
  return elementsOf(domain, 'devices').flatMap((d) => elementsOf(d, 'graphics').filter((g) => attrOf(g, 'type') === 'vnc'));
}

/**
 * The editor's document never holds the VNC password (it is read without --security-info), so a
 * define of it would drop the password. Each <graphics type='vnc'> of the edit that has no passwd
 * gets the one the VM's definition has at the same position among its VNC displays.
 * Returns the XML unchanged when there is nothing to carry.
 */
export function carryVncPasswords(editedXml: string, secretXml: string): { xml: string; carried: number } {
  const secret = vncGraphics(parseEditedDomainXml(secretXml)).map((g) => attrOf(g, 'passwd'));
  if (!secret.some((p) => p !== undefined)) return { xml: editedXml, carried: 0 };
  const doc = new XMLParser(orderedOptions).parse(editedXml) as OrderedNode[];
  const domain = doc.find((n) => tagOf(n) === 'domain');
  if (!domain) return { xml: editedXml, carried: 0 };
  let carried = 0;
  vncGraphics(domain).forEach((g, i) => {
    const passwd = secret[i];
    if (passwd === undefined || attrOf(g, 'passwd') !== undefined) return;
    g[ATTRS] = { ...((g[ATTRS] as Record<string, unknown> | undefined) ?? {}), '@_passwd': passwd };
    carried++;
  });
  if (carried === 0) return { xml: editedXml, carried };
  // The builder writes attributes in double quotes: a '"' kept raw from a single-quoted value must be escaped.
  walkElements(domain, (el) => {
    const attrs = el[ATTRS] as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(attrs ?? {})) if (typeof v === 'string' && v.includes('"')) attrs![k] = v.replace(/"/g, '&quot;');
  });
  const builder = new XMLBuilder({ ...orderedOptions, format: false, suppressEmptyNode: true });
  return { xml: builder.build(doc) as string, carried };
}

/** Where libvirt's refusal points in the submitted document, when it says. */
export interface XmlErrorLocation {
  line?: number;
  element?: string;
}

/**
 * libvirt names a line for parse errors ("(domain_definition):6: Opening and ending tag mismatch")
 * and an element for schema and value errors ("Element domain has extra content: bogus", "Extra
 * element vcpu in interleave", "Invalid value 'lots' for element or attribute './memory[1]'").
 * For an element, the line is its first opening tag in the document.
 */
export function locateLibvirtError(message: string, xml: string): XmlErrorLocation {
  const line = /\([^)\n]*\):(\d+):/.exec(message)?.[1];
  if (line) return { line: Number(line) };
  const element =
    /extra content: ([A-Za-z][\w:.-]*)/.exec(message)?.[1] ??
    /Extra element ([A-Za-z][\w:.-]*)/.exec(message)?.[1] ??
    /'\.\/(?:[\w:.-]+\[\d+\]\/)*([A-Za-z][\w:.-]*)(?:\[\d+\])?'/.exec(message)?.[1] ??
    [...message.matchAll(/Element ([A-Za-z][\w:.-]*)/g)].map((m) => m[1]).find((e) => e !== 'domain');
  if (!element) return {};
  const escaped = element.replace(/[.]/g, '\\.');
  const idx = xml.split('\n').findIndex((l) => new RegExp(`<${escaped}[\\s/>]`).test(l));
  return idx >= 0 ? { element, line: idx + 1 } : { element };
}
