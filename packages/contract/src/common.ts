import { Type, type Static } from 'typebox';

/**
 * Values a server message fills into its translated text (`{port}`, `{field}`, `{limit}`): the UI looks up
 * `code` in its dictionary and substitutes these; `message` stays the English fallback.
 */
export const MessageParams = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]));
export type MessageParams = Static<typeof MessageParams>;

/**
 * Every non-2xx JSON answer has this shape; `field` names the offending input when there is one.
 * `code` is stable (`validation.maxLength`, `docker.portTaken`, `not_found`); `params` fill its translation.
 */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
  field: Type.Optional(Type.String()),
  params: Type.Optional(MessageParams),
});
export type ErrorResponse = Static<typeof ErrorResponse>;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

export const OkResponse = Type.Object({ ok: Type.Boolean() });
export type OkResponse = Static<typeof OkResponse>;

/** ISO-8601 timestamps travel as strings. */
export const Timestamp = Type.String({ format: 'date-time' });

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')]);
export type Role = Static<typeof Role>;
export const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];

/** Standard error responses, so every route documents them in OpenAPI. */
export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  429: ErrorResponse,
} as const;
