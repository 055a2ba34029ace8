-- CreateTable
CREATE TABLE "VmStat" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hostId" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "cpuPercent" REAL NOT NULL,
    "memoryUsedKiB" REAL NOT NULL,
    "memoryTotalKiB" REAL NOT NULL,
    "diskReadBps" REAL NOT NULL,
    "diskWriteBps" REAL NOT NULL,
    "netRxBps" REAL NOT NULL,
    "netTxBps" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "VmStat_hostId_vmName_at_idx" ON "VmStat"("hostId", "vmName", "at");

-- CreateIndex
CREATE INDEX "VmStat_at_idx" ON "VmStat"("at");
