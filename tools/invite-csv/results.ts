import { rename, writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import type { InvalidRow } from './csv-rows.ts';
import type { OutcomeCode, ResultRow } from './types.ts';

export const RESULT_COLUMNS = ['line', 'emailAddress', 'outcome', 'invitationId', 'message'] as const;

export const invalidResult = (row: InvalidRow): ResultRow => ({
  line: row.line,
  emailAddress: row.emailAddress,
  outcome: 'INVALID_INPUT',
  invitationId: '',
  message: `not sent: ${row.problems.join('; ')}`,
});

/** One line per input row, in file order. */
export function resultCsv(rows: readonly ResultRow[]): string {
  const sorted = [...rows].sort((a, b) => a.line - b.line);
  return stringify(sorted, { header: true, columns: [...RESULT_COLUMNS] });
}

export async function writeResults(path: string, rows: readonly ResultRow[]): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, resultCsv(rows));
  await rename(temporary, path);
}

/** Counts per outcome, CREATED first, for the closing summary. */
export function tally(rows: readonly ResultRow[]): Map<OutcomeCode, number> {
  const counts = new Map<OutcomeCode, number>([['CREATED', 0]]);
  for (const row of rows) counts.set(row.outcome, (counts.get(row.outcome) ?? 0) + 1);
  return counts;
}

export function summarize(rows: readonly ResultRow[]): string {
  const counts = tally(rows);
  const created = counts.get('CREATED') ?? 0;
  const others = [...counts]
    .filter(([code, n]) => code !== 'CREATED' && n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${n} ${code}`);
  const notCreated = rows.length - created;
  return `${rows.length} row${rows.length === 1 ? '' : 's'}: ${created} created` + (notCreated > 0 ? `, ${notCreated} not created (${others.join(', ')})` : '');
}
