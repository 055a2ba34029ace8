import { Type, type Static } from 'typebox';
import { ErrorResponse } from './common.js';

/** The VM's persistent definition as the XML editor opens it (`virsh dumpxml --inactive`, never with secrets). */
export const VmXml = Type.Object({
  xml: Type.String(),
  /** sha256 of `xml`: send it back as `expectedHash` so a definition changed meanwhile is not overwritten. */
  hash: Type.String(),
  /** The command the save runs (teaching aid): `virsh define <name>.xml --validate`. */
  command: Type.String(),
});
export type VmXml = Static<typeof VmXml>;

export const VmXmlBody = Type.Object({
  /** The whole edited <domain> document (1 MiB at most). */
  xml: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
  /** The `hash` of the XML the edit started from. */
  expectedHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
});
export type VmXmlBody = Static<typeof VmXmlBody>;

export const VmXmlSaved = Type.Object({
  ...VmXml.properties,
  /** Unified diff old → new of the definition (what the audit records). */
  diff: Type.String(),
  /** False when libvirt stored the same definition (nothing to change). */
  changed: Type.Boolean(),
  /** A running VM keeps its live configuration until it is shut down and started again. */
  restartNeeded: Type.Boolean(),
  /** For admins: what an operator would have been refused. */
  warnings: Type.Array(Type.String()),
});
export type VmXmlSaved = Static<typeof VmXmlSaved>;

/**
 * A refused save: libvirt's message with where it points (`line` in the submitted document,
 * `element` when libvirt names one), or on 409 the definition as it is now.
 */
export const VmXmlError = Type.Object({
  ...ErrorResponse.properties,
  line: Type.Optional(Type.Integer({ minimum: 1 })),
  element: Type.Optional(Type.String()),
  current: Type.Optional(VmXml),
});
export type VmXmlError = Static<typeof VmXmlError>;
