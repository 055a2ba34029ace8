-- Audit records say how they are linked: existing rows keep the plain SHA-256 chain ("sha256"),
-- new rows carry an HMAC under a key kept outside the database ("hmac-sha256-v1").
ALTER TABLE "AuditLog" ADD COLUMN "scheme" TEXT NOT NULL DEFAULT 'sha256';
