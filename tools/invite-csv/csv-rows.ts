import { createHash } from 'node:crypto';
import { CsvError, parse } from 'csv-parse/sync';
import type { InvitationInput, InvitationTemplateSlug } from '../../client/generated/graphql.js';
import type { TemplateSlug } from '../../src/invitations/types.ts';
import { emailKey, type InvitationInput as GatewayInput, validateItems } from '../../src/invitations/validate-item.ts';
import type { ValidRow } from './types.ts';

export const COLUMNS = ['emailAddress', 'expiresInDays', 'ignoreExisting', 'notify', 'publicMetadata', 'redirectUrl', 'templateSlug'] as const;
export type Column = (typeof COLUMNS)[number];

/** The file cannot be used at all (exit 2), as opposed to a bad row, which is reported and skipped. */
export class CsvFileError extends Error {
  override name = 'CsvFileError';
}

export interface CsvRecord {
  line: number;
  values: Partial<Record<Column, string>>;
  /** Set when the row has a different number of fields than the header. */
  shapeProblem?: string;
}

export interface InvalidRow {
  line: number;
  emailAddress: string;
  problems: string[];
}

export interface CheckedRows {
  valid: ValidRow[];
  invalid: InvalidRow[];
}

const byLowerName = new Map(COLUMNS.map((c) => [c.toLowerCase(), c]));

function headerToColumns(header: string[]): Column[] {
  const columns = header.map((raw) => {
    const name = byLowerName.get(raw.trim().toLowerCase());
    if (!name) throw new CsvFileError(`line 1: unknown column "${raw.trim()}"; the columns are ${COLUMNS.join(', ')}`);
    return name;
  });
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice) throw new CsvFileError(`line 1: column "${twice}" appears twice`);
  if (!columns.includes('emailAddress')) throw new CsvFileError('line 1: the header has no emailAddress column');
  return columns;
}

/** Skipped blank lines come at the start of `raw`, and its last newline ends the record. */
function startLine(endLine: number, raw: string): number {
  const body = raw.replace(/^\n+/, '').replace(/\n$/, '');
  return endLine - (body.match(/\n/g)?.length ?? 0);
}

/** Parses CSV text with a header row; throws CsvFileError when the file as a whole is unusable. */
export function parseCsv(text: string): CsvRecord[] {
  // csv-parse counts lines wrongly across CRLF records; quoted CRLFs become LF, which no field here minds.
  const normalised = text.replace(/\r\n?/g, '\n');
  let columns: Column[] | undefined;
  let parsed: { record: Record<string, string>; info: { lines: number; error?: unknown; invalid_field_length: number }; raw: string }[];
  try {
    parsed = parse(normalised, {
      bom: true,
      columns: (header: string[]) => (columns = headerToColumns(header)),
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    if (error instanceof CsvFileError) throw error;
    if (error instanceof CsvError) throw new CsvFileError(`line ${(error as CsvError & { lines?: number }).lines ?? '?'}: ${error.message}`);
    throw error;
  }
  if (!columns) throw new CsvFileError('the file is empty: expected a header line with an emailAddress column');
  const width = columns.length;
  return parsed.map(({ record, info, raw }) => {
    const values: Partial<Record<Column, string>> = {};
    for (const column of COLUMNS) if (record[column] !== undefined) values[column] = record[column];
    const line = startLine(info.lines, raw);
    return info.error ? { line, values, shapeProblem: `has a different number of fields than the header (${width})` } : { line, values };
  });
}

const TEMPLATE_SLUGS: Record<TemplateSlug, InvitationTemplateSlug> = { invitation: 'INVITATION', waitlist_invitation: 'WAITLIST_INVITATION' };

function parseBoolean(raw: string): boolean | undefined {
  const value = raw.toLowerCase();
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  return undefined;
}

export interface RowOptions {
  /**
   * The gateway's ALLOWED_REDIRECT_ORIGINS, which it does not publish. Empty, like the gateway's
   * default, allows paths only.
   */
  allowedRedirectOrigins?: readonly string[];
}

/** Stands in for a bad address while the row's other fields are checked, so each field's problem is reported. */
const PLACEHOLDER_ADDRESS = 'row@example.com';

/** The gateway's own verdict on one item, as `field: reason` without the `invitations[0].` prefix. */
function gatewayProblem(item: GatewayInput, options: RowOptions): { field: string; problem: string } | undefined {
  const [verdict] = validateItems([item], { allowedRedirectOrigins: options.allowedRedirectOrigins ?? [] });
  if (!verdict || verdict.ok) return undefined;
  const problem = verdict.failure.message.replace(/^invitations\[0\]\./, '');
  const field = problem.slice(0, problem.indexOf(':'));
  // The gateway leaves the address out of its message (it logs messages); a row report is clearer with it.
  if (field === 'emailAddress') return { field, problem: problem.replace(/^emailAddress: /, `emailAddress: ${JSON.stringify(item.emailAddress)} `) };
  return { field, problem: problem.endsWith('ALLOWED_REDIRECT_ORIGINS') ? `${problem} (the gateway's list: pass it with --redirect-origins)` : problem };
}

/**
 * Every problem the gateway's validator finds in the item. The first call judges the row exactly as
 * the gateway will; the field it names is then taken out and the rest checked again, so one run of
 * the tool reports all of a row's problems rather than one per rerun.
 */
function gatewayProblems(item: GatewayInput, options: RowOptions): string[] {
  const problems: string[] = [];
  let rest: GatewayInput = { ...item };
  for (let i = 0; i < COLUMNS.length; i += 1) {
    const found = gatewayProblem(rest, options);
    if (!found) break;
    problems.push(found.problem);
    if (found.field === 'emailAddress') rest = { ...rest, emailAddress: PLACEHOLDER_ADDRESS };
    else if (found.field in rest) rest = Object.fromEntries(Object.entries(rest).filter(([key]) => key !== found.field)) as unknown as GatewayInput;
    else break;
  }
  return problems;
}

/**
 * Builds the GraphQL input of one row. The cells are read here (numbers, booleans, JSON, the template
 * name); whether the values are acceptable is decided by the gateway's own validator, so a dry run
 * refuses exactly what the gateway would.
 */
function checkRecord(values: CsvRecord['values'], options: RowOptions): { input: InvitationInput; problems: string[] } {
  const problems: string[] = [];
  const emailAddress = (values.emailAddress ?? '').trim();
  const input: InvitationInput = { emailAddress };
  const item: GatewayInput = { emailAddress };
  if (emailAddress === '') problems.push('emailAddress: is empty');

  const cell = (column: Column) => {
    const value = values[column]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const days = cell('expiresInDays');
  if (days !== undefined) {
    if (/^[+-]?\d+$/.test(days)) item.expiresInDays = input.expiresInDays = Number(days);
    else problems.push(`expiresInDays: must be a whole number (got "${days}")`);
  }
  for (const column of ['ignoreExisting', 'notify'] as const) {
    const raw = cell(column);
    if (raw === undefined) continue;
    const value = parseBoolean(raw);
    if (value === undefined) problems.push(`${column}: must be true or false (got "${raw}")`);
    else item[column] = input[column] = value;
  }
  const metadata = cell('publicMetadata');
  if (metadata !== undefined) {
    try {
      item.publicMetadata = input.publicMetadata = JSON.parse(metadata) as Record<string, unknown>;
    } catch {
      problems.push('publicMetadata: is not valid JSON');
    }
  }
  const redirectUrl = cell('redirectUrl');
  if (redirectUrl !== undefined) item.redirectUrl = input.redirectUrl = redirectUrl;
  const slug = cell('templateSlug');
  if (slug !== undefined) {
    // The gateway's validator reports an unknown name; the GraphQL enum could not even carry one.
    item.templateSlug = slug.toLowerCase() as TemplateSlug;
    const value = TEMPLATE_SLUGS[slug.toLowerCase() as TemplateSlug];
    if (value) input.templateSlug = value;
  }
  const found = gatewayProblems(item, options);
  // An empty address is already reported in plainer words.
  problems.push(...(emailAddress === '' ? found.filter((p) => !p.startsWith('emailAddress:')) : found));
  return { input, problems: sortByColumn(problems) };
}

/** Problems in the order of COLUMNS, so a row's report reads left to right whichever check found them. */
function sortByColumn(problems: string[]): string[] {
  const rank = (p: string) => {
    const i = COLUMNS.indexOf(p.slice(0, p.indexOf(':')) as Column);
    return i < 0 ? COLUMNS.length : i;
  };
  return problems.map((p, i) => [p, i] as const).sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j).map(([p]) => p);
}

/** JSON with sorted keys, so the same row hashes the same however its metadata was written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const fingerprintOf = (input: InvitationInput) => createHash('sha256').update(canonical(input)).digest('hex').slice(0, 16);
/** The gateway's key for an address, so the tool's duplicates are the gateway's duplicates. */
export { emailKey };

/**
 * Checks every row. The same address twice fails the later row: a second invitation for the same
 * person in one file is almost always a copy-paste slip, and Clerk would refuse it anyway.
 */
export function checkRows(records: readonly CsvRecord[], options: RowOptions = {}): CheckedRows {
  const valid: ValidRow[] = [];
  const invalid: InvalidRow[] = [];
  const firstLine = new Map<string, number>();
  for (const record of records) {
    const { input, problems } = checkRecord(record.values, options);
    if (record.shapeProblem) problems.unshift(`row ${record.shapeProblem}`);
    const key = emailKey(input.emailAddress);
    const first = key ? firstLine.get(key) : undefined;
    if (first !== undefined) problems.push(`emailAddress: duplicate of line ${first}`);
    else if (key) firstLine.set(key, record.line);
    if (problems.length > 0) invalid.push({ line: record.line, emailAddress: input.emailAddress, problems });
    else valid.push({ line: record.line, key, input, fingerprint: fingerprintOf(input) });
  }
  return { valid, invalid };
}
