-- CreateTable
CREATE TABLE "FindingAck" (
    "findingId" TEXT NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "targetKind" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "userId" TEXT,
    "userName" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "FindingAck_hostId_idx" ON "FindingAck"("hostId");
