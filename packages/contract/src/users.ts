import { Type, type Static } from 'typebox';
import { Role, Timestamp } from './common.js';
import { Password, Username } from './auth.js';

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Timestamp,
  lastLoginAt: Type.Union([Timestamp, Type.Null()]),
});
export type User = Static<typeof User>;

export const CreateUserBody = Type.Object({ username: Username, password: Password, role: Role });
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object({ role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) }, { minProperties: 1 });
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const ResetPasswordBody = Type.Object({ password: Password });
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

export const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  revoked: Type.Boolean(),
});
export type ApiToken = Static<typeof ApiToken>;

export const CreateTokenBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
});
export type CreateTokenBody = Static<typeof CreateTokenBody>;

/** The only response that ever carries the token itself. */
export const CreatedToken = Type.Object({ token: ApiToken, secret: Type.String() });
export type CreatedToken = Static<typeof CreatedToken>;
