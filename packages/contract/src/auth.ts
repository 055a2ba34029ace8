import { Type, type Static } from 'typebox';
import { Role, Timestamp } from './common.js';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_PATTERN } from './names.js';

export const Username = Type.String({ pattern: USERNAME_PATTERN, minLength: 2, maxLength: 32 });
export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
});
export type LoginBody = Static<typeof LoginBody>;

export const SetupBody = Type.Object({ username: Username, password: Password });
export type SetupBody = Static<typeof SetupBody>;

export const SetupStatus = Type.Object({ needsSetup: Type.Boolean(), version: Type.String() });
export type SetupStatus = Static<typeof SetupStatus>;

export const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Role,
  authVia: Type.Union([Type.Literal('session'), Type.Literal('token')]),
});
export type Me = Static<typeof Me>;

export const SessionInfo = Type.Object({
  id: Type.String({ description: 'Opaque handle (not the cookie value)' }),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  expiresAt: Timestamp,
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});
export type SessionInfo = Static<typeof SessionInfo>;

export const ChangePasswordBody = Type.Object({ currentPassword: Type.String({ maxLength: PASSWORD_MAX }), newPassword: Password });
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
