import type { FastifyServerOptions } from 'fastify';
import { REDACTED, redact, redactText } from '../audit/redact.js';

type LoggerOption = FastifyServerOptions['logger'];
type LogObject = Record<string, unknown>;

const isPlain = (v: unknown): v is LogObject =>
  !!v && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactText(err) : err;
  const e = err as Error & { code?: unknown; statusCode?: unknown; field?: unknown };
  return {
    type: e.constructor?.name ?? 'Error',
    message: redactText(e.message),
    stack: e.stack ? redactText(e.stack) : undefined,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}),
    ...(e.field !== undefined ? { field: e.field } : {}),
    ...(e.cause !== undefined && depth < 3 ? { cause: serializeError(e.cause, depth + 1) } : {}),
  };
}

/**
 * The server log goes through the same redaction as the audit log: credentials in headers are
 * censored by path, and every message, error and plain logged object is redacted by name and by
 * value (a password inside an error message, a URL with userinfo, a token in a query string).
 */
export function withRedaction(logger: LoggerOption): LoggerOption {
  if (!logger) return logger;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  return {
    ...base,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'headers.authorization',
        'headers.cookie',
        'res.headers["set-cookie"]',
        'reply.headers["set-cookie"]',
      ],
      censor: REDACTED,
    },
    hooks: {
      logMethod(args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactText(a) : a)),
        );
      },
    },
    formatters: {
      // Runs before the serializers: only plain values are redacted here, errors and requests below.
      log(obj: LogObject) {
        const out: LogObject = {};
        for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' ? redactText(v) : isPlain(v) ? redact(v) : v;
        return out;
      },
    },
    serializers: {
      req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: req.method,
        url: req.url ? redactText(req.url) : req.url,
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
      err: (err: unknown) => serializeError(err),
      error: (err: unknown) => serializeError(err),
      ...((base.serializers as object | undefined) ?? {}),
    },
  } as LoggerOption;
}
