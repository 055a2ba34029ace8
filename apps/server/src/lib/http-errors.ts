/**
 * Errors that services throw to produce a specific HTTP answer. The central error
 * handler turns them into ErrorResponse; anything else becomes a 500 with no internals.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** retryAfterSeconds becomes a Retry-After header (set by the central error handler). */
    readonly extra: { code?: string; field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, field?: string, code?: string) => new HttpError(400, message, { field, code });
export const unauthorized = (message = 'Log in first') => new HttpError(401, message, { code: 'unauthenticated' });
export const forbidden = (message = 'Your role does not allow this') => new HttpError(403, message, { code: 'forbidden' });
export const notFound = (what: string) => new HttpError(404, `${what} not found`, { code: 'not_found' });
export const conflict = (message: string, field?: string) => new HttpError(409, message, { field, code: 'conflict' });
export const tooManyRequests = (message: string, retryAfterSeconds?: number) =>
  new HttpError(429, message, { code: 'rate_limited', retryAfterSeconds });
