import { Type, type Static } from 'typebox';
import { MessageParams, Timestamp } from './common.js';

/**
 * How a recorded action turned out. `accepted`: a request the server took on and handed to a task
 * (HTTP 202) — it says nothing about the task's own outcome, which a `task.<kind>` record carries
 * (`ok`, `error` or `cancelled`) under the same task id.
 */
export const AuditResult = Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('accepted'), Type.Literal('cancelled')]);
export type AuditResult = Static<typeof AuditResult>;

/** An id as Mirador issues them (task ids are UUIDs): safe to search for inside a record's parameters. */
const TaskIdFilter = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });

/** A stable code and values the UI translates `errorMessage` with (which stays the English fallback); absent on older records. */
const OutcomeCodes = {
  errorCode: Type.Optional(Type.String()),
  errorParams: Type.Optional(MessageParams),
};

/** The task's end, as an accepted request sees it (the `task.<kind>` record with the same task id). */
export const AuditTaskOutcome = Type.Object({
  seq: Type.Integer(),
  at: Timestamp,
  action: Type.String(),
  result: AuditResult,
  errorMessage: Type.Union([Type.String(), Type.Null()]),
  ...OutcomeCodes,
});
export type AuditTaskOutcome = Static<typeof AuditTaskOutcome>;

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
  ...OutcomeCodes,
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  prevHash: Type.String(),
  hash: Type.String({ description: 'HMAC-SHA256 link under a key outside the database (plain SHA-256 for records older than keyed MACs)' }),
  taskId: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'The task this record started (an accepted request) or ended (a `task.<kind>` record)',
    }),
  ),
  outcome: Type.Optional(
    Type.Union([AuditTaskOutcome, Type.Null()], {
      description: "On an accepted request, read from the log: its task's outcome record, or null while none is written",
    }),
  ),
  requestSeq: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: 'On a task outcome, read from the log: the request record that started it' }),
  ),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 64 })),
  action: Type.Optional(Type.String({ maxLength: 64, description: 'Exact action, or a prefix ending in "." (e.g. "host.")' })),
  targetType: Type.Optional(Type.String({ maxLength: 32 })),
  targetId: Type.Optional(Type.String({ maxLength: 64 })),
  hostId: Type.Optional(Type.String({ maxLength: 64 })),
  result: Type.Optional(AuditResult),
  taskId: Type.Optional(TaskIdFilter),
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

/**
 * An action the server can record: a request declared on a route (`startsTask`: it answers 202 with a
 * task, recorded as `accepted`), a task's end (`task.<kind>`), a stream's open/close/revocation, or a
 * record the server writes by itself.
 */
export const AuditActionInfo = Type.Object({
  action: Type.String(),
  kind: Type.Union([
    Type.Literal('request'),
    Type.Literal('task-request'),
    Type.Literal('task-outcome'),
    Type.Literal('stream'),
    Type.Literal('system'),
  ]),
});
export type AuditActionInfo = Static<typeof AuditActionInfo>;
