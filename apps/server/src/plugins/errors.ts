import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { MessageParams } from '@mirador/contract';
import { HttpError } from '../lib/http-errors.js';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Turns an Ajv issue into a sentence a person understands, plus the field it is about and a stable
 * code (`validation.<keyword>`) with the values the UI's translation fills in.
 */
export function describeValidation(
  issue: AjvIssue,
  context: string | undefined,
): { field: string; message: string; code: string; params: MessageParams } {
  const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const p = issue.params;
  const field = issue.keyword === 'required' ? [path, p.missingProperty].filter(Boolean).join('.') : path || (context ?? 'request');
  const what: Record<string, () => string> = {
    required: () => 'is required',
    pattern: () => 'contains characters that are not allowed or is not in the expected format',
    minLength: () => (p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters`),
    maxLength: () => `must be at most ${p.limit} characters`,
    minimum: () => `must be at least ${p.limit}`,
    maximum: () => `must be at most ${p.limit}`,
    type: () => `must be a ${p.type}`,
    format: () => `must be a valid ${p.format}`,
    anyOf: () => 'is not one of the accepted values',
    const: () => `must be ${JSON.stringify(p.allowedValue)}`,
    enum: () => `must be one of ${(p.allowedValues as unknown[]).join(', ')}`,
    minProperties: () => 'must contain at least one field to change',
    maxItems: () => `must have at most ${p.limit} items`,
    uniqueItems: () => 'must not contain duplicates',
    additionalProperties: () => `has an unknown field "${p.additionalProperty}"`,
    not: () => 'is not allowed',
  };
  const known = Object.hasOwn(what, issue.keyword);
  const message = `${field} ${known ? what[issue.keyword]!() : (issue.message ?? 'is invalid')}`;
  const params: MessageParams = { field };
  for (const name of ['limit', 'type', 'format', 'additionalProperty'] as const) {
    const v = p[name];
    if (typeof v === 'string' || typeof v === 'number') params[name] = v;
  }
  if (issue.keyword === 'enum' && Array.isArray(p.allowedValues)) params.allowed = p.allowedValues.join(', ');
  if (issue.keyword === 'const') params.allowed = JSON.stringify(p.allowedValue);
  // minLength 1 reads "must not be empty", a different sentence: its own code.
  const keyword = issue.keyword === 'minLength' && p.limit === 1 ? 'empty' : issue.keyword;
  return { field, message, code: known ? `validation.${keyword}` : 'validation.invalid', params };
}

/** One error handler for the whole API: clear 4xx messages, no internals in 5xx. */
export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof HttpError) {
        if (err.extra.retryAfterSeconds) reply.header('retry-after', String(err.extra.retryAfterSeconds));
        return reply.status(err.statusCode).send({
          statusCode: err.statusCode,
          error: httpReason(err.statusCode),
          message: err.message,
          ...(err.extra.code ? { code: err.extra.code } : {}),
          ...(err.extra.field ? { field: err.extra.field } : {}),
          ...(err.extra.params ? { params: err.extra.params } : {}),
        });
      }
      // Thrown by @mirador/libvirt / @mirador/docker for input that must never reach virsh or the engine.
      if (err.name === 'LibvirtValidationError' || err.name === 'DockerValidationError') {
        const field = (err as unknown as { field: string }).field;
        return reply.status(400).send({ statusCode: 400, error: 'Bad Request', code: 'invalid_input', message: err.message, field });
      }
      if (err.validation && err.validation.length > 0) {
        const { field, message, code, params } = describeValidation(err.validation[0] as AjvIssue, err.validationContext);
        return reply.status(400).send({ statusCode: 400, error: 'Bad Request', code, message, field, params });
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status >= 500) {
        req.log.error({ err }, 'request failed');
        return reply.status(500).send({
          statusCode: 500,
          error: 'Internal Server Error',
          code: 'internal',
          message: 'Something went wrong on the server; the details are in its log',
        });
      }
      // Fastify's own 4xx (bad JSON, body too large, unsupported media type) are safe to show.
      return reply.status(status).send({ statusCode: status, error: httpReason(status), code: err.code, message: err.message });
    });
  },
  { name: 'errors' },
);

function httpReason(status: number): string {
  return (
    (
      {
        400: 'Bad Request',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'Not Found',
        409: 'Conflict',
        413: 'Payload Too Large',
        415: 'Unsupported Media Type',
        429: 'Too Many Requests',
      } as Record<number, string>
    )[status] ?? 'Error'
  );
}
