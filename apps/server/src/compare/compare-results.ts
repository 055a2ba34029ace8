import { Compile } from 'typebox/compile';
import { CompareMeasurement } from '@mirador/contract';
import type { PrismaClient } from '../db/client.js';

/** The last measurement lives in one Setting row: the page shows it until someone measures again. */
const KEY = 'compare.lastMeasurement';
const check = Compile(CompareMeasurement);

export function createCompareResults(db: PrismaClient) {
  return {
    async last(): Promise<CompareMeasurement | null> {
      const row = await db.setting.findUnique({ where: { key: KEY } });
      if (!row) return null;
      try {
        const parsed: unknown = JSON.parse(row.value);
        // A row from an older shape is treated as "never measured" rather than served half-filled.
        return check.Check(parsed) ? parsed : null;
      } catch {
        return null;
      }
    },
    async save(m: CompareMeasurement): Promise<void> {
      const value = JSON.stringify(m);
      await db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
    },
  };
}

export type CompareResults = ReturnType<typeof createCompareResults>;
