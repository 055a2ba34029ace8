/**
 * Thrown for input that must never reach the Docker engine or a command line. `message` is written
 * for the person who typed the value and always starts with the field (`ports[1]: …`), so the
 * server can show it as is; `field` lets a form put it next to the right input.
 */
export class DockerValidationError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message.startsWith(`${field}:`) ? message : `${field}: ${message}`);
    this.name = 'DockerValidationError';
  }
}

/** Throws a DockerValidationError; `detail` is the sentence after `field: `. */
export function fail(field: string, detail: string): never {
  throw new DockerValidationError(field, `${field}: ${detail}`);
}

/** A value as it appears in a message: quoted, with invisible characters spelled out, shortened. */
export function show(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  const s = value.length > 80 ? `${value.slice(0, 77)}…` : value;
  return JSON.stringify(s);
}

/** One character as a message shows it: `a space`, `a line break`, `a NUL byte`, `";"`. */
export function describeChar(ch: string): string {
  if (ch === ' ') return 'a space';
  if (ch === '\n' || ch === '\r') return 'a line break';
  if (ch === '\t') return 'a tab';
  if (ch === '\0') return 'a NUL byte';
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
  return JSON.stringify(ch);
}

export function firstBadChar(value: string, allowed: RegExp): string | undefined {
  return [...value].find((ch) => !allowed.test(ch));
}

export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function requireString(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string') fail(field, `${what} must be text.`);
  return value;
}
