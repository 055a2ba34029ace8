import type { SecurityFinding } from '@mirador/contract';

/** Export columns; later additions go last so older exports keep their columns' places. */
export const FINDING_CSV_COLUMNS = [
  'id',
  'severity',
  'ruleId',
  'reference',
  'hostId',
  'hostName',
  'targetKind',
  'targetId',
  'targetName',
  'title',
  'evidence',
  'why',
  'fix',
  'acknowledgedBy',
  'acknowledgedAt',
  'acknowledgeReason',
  'detectedAt',
] as const;

/**
 * One CSV cell: quoted when it holds a separator, quote or line break; and, since spreadsheet apps
 * run cells that start with = + - @ (or a tab / carriage return) as formulas, those get a leading
 * apostrophe — evidence and reasons are text other people typed (container names, mount paths).
 */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function findingsCsv(items: readonly SecurityFinding[]): string {
  const rows = items.map((f) =>
    [
      f.id,
      f.severity,
      f.ruleId,
      f.reference,
      f.hostId,
      f.hostName,
      f.target.kind,
      f.target.id,
      f.target.name,
      f.title,
      f.evidence,
      f.why,
      f.fix,
      f.acknowledged?.by,
      f.acknowledged?.at,
      f.acknowledged?.reason,
      f.detectedAt,
    ]
      .map(csvCell)
      .join(','),
  );
  return [FINDING_CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
