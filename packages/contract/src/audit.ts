import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

export const AuditResult = Type.Union([Type.Literal('ok'), Type.Literal('error')]);
export type AuditResult = Static<typeof AuditResult>;

export const AuditEntry = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  at: Timestamp,
  actor: Type.Object({
    type: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('anonymous'), Type.Literal('system')]),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
  }),
  sourceIp: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.Object({
    type: Type.Union([Type.String(), Type.Null()]),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    hostId: Type.Union([Type.String(), Type.Null()]),
  }),
  params: Type.Union([Type.Unknown(), Type.Null()]),
  result: AuditResult,
  errorMessage: Type.Union([Type.String(), Type.Null()]),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  prevHash: Type.String(),
  hash: Type.String({ description: 'HMAC-SHA256 link under a key outside the database (plain SHA-256 for records older than keyed MACs)' }),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 64 })),
  action: Type.Optional(Type.String({ maxLength: 64, description: 'Exact action, or a prefix ending in "." (e.g. "host.")' })),
  targetType: Type.Optional(Type.String({ maxLength: 32 })),
  targetId: Type.Optional(Type.String({ maxLength: 64 })),
  hostId: Type.Optional(Type.String({ maxLength: 64 })),
  result: Type.Optional(AuditResult),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Return entries with seq lower than this (paging cursor)' })),
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPage = Type.Object({
  items: Type.Array(AuditEntry),
  total: Type.Integer(),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
export type AuditPage = Static<typeof AuditPage>;

const { limit: _limit, before: _before, ...auditFilters } = AuditQuery.properties;
export const AuditExportQuery = Type.Object({
  ...auditFilters,
  format: Type.Union([Type.Literal('csv'), Type.Literal('json')]),
});
export type AuditExportQuery = Static<typeof AuditExportQuery>;

export const AuditVerify = Type.Object({
  intact: Type.Boolean(),
  checked: Type.Integer(),
  firstBrokenSeq: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  legacyChecked: Type.Integer({
    description: 'How many of the checked records predate keyed MACs and were checked with the weaker plain hash',
  }),
  headSeq: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The head kept outside the database: note it elsewhere to detect a rollback of both',
  }),
  headMac: Type.Union([Type.String(), Type.Null()]),
});
export type AuditVerify = Static<typeof AuditVerify>;
