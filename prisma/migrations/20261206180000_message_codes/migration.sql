-- Outcomes keep a stable code and its values beside the English text, so the UI can show them in the
-- reader's language after a restart too. Audit records written from now on ("hmac-sha256-v2") cover
-- the two new columns in their MAC; older records keep their scheme and stay verifiable.
ALTER TABLE "AuditLog" ADD COLUMN "errorCode" TEXT;
ALTER TABLE "AuditLog" ADD COLUMN "errorParams" TEXT;
ALTER TABLE "Task" ADD COLUMN "codes" TEXT;
