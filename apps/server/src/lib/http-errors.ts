import type { MessageParams } from '@mirador/contract';

/**
 * Errors that services throw to produce a specific HTTP answer. The central error
 * handler turns them into ErrorResponse; anything else becomes a 500 with no internals.
 * `code` + `params` let the UI say the same thing in its own language; `message` stays the English fallback.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** retryAfterSeconds becomes a Retry-After header (set by the central error handler). */
    readonly extra: { code?: string; field?: string; params?: MessageParams; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, field?: string, code?: string, params?: MessageParams) =>
  new HttpError(400, message, { field, code, params });
export const unauthorized = (message = 'Log in first') => new HttpError(401, message, { code: 'unauthenticated' });
export const forbidden = (message = 'Your role does not allow this', code = 'forbidden', params?: MessageParams) =>
  new HttpError(403, message, { code, params });
/**
 * The call sites name what is missing in English ("Host", `VM "web"`): read the usual shapes into a
 * code the UI translates (`notFound.vm` + { name }); anything else keeps the generic `not_found`.
 */
const NOT_FOUND_SHAPES: [RegExp, string][] = [
  [/^(?:Destination )?[Hh]ost$/, 'notFound.host'],
  [/^Host (?<name>\S+) with libvirt$/, 'notFound.libvirtHost'],
  [/^Registry$/, 'notFound.registry'],
  [/^Task$/, 'notFound.task'],
  [/^User$/, 'notFound.user'],
  [/^Token$/, 'notFound.token'],
  [/^Session$/, 'notFound.session'],
  [/^Container$/, 'notFound.container'],
  [/^VM "(?<name>.+)"$/, 'notFound.vm'],
  [/^Storage pool "(?<name>.+)"$/, 'notFound.pool'],
  [/^Network "(?<name>.+)"$/, 'notFound.network'],
  [/^Snapshot "(?<name>.+)" of VM "(?<vm>.+)"$/, 'notFound.snapshot'],
  [/^NIC (?<name>\S+) of "(?<vm>.+)"$/, 'notFound.nic'],
  [/^Disk (?<name>\S+) of "(?<vm>.+)"$/, 'notFound.disk'],
];

export function notFound(what: string, code?: string, params?: MessageParams): HttpError {
  if (code) return new HttpError(404, `${what} not found`, { code, params });
  for (const [shape, shapeCode] of NOT_FOUND_SHAPES) {
    const m = shape.exec(what);
    if (m) return new HttpError(404, `${what} not found`, { code: shapeCode, params: { ...m.groups } });
  }
  return new HttpError(404, `${what} not found`, { code: 'not_found', params: { what } });
}
export const conflict = (message: string, field?: string, code = 'conflict', params?: MessageParams) =>
  new HttpError(409, message, { field, code, params });
export const tooManyRequests = (message: string, retryAfterSeconds?: number) =>
  new HttpError(429, message, {
    code: 'rate_limited',
    retryAfterSeconds,
    params: retryAfterSeconds ? { seconds: retryAfterSeconds } : undefined,
  });
