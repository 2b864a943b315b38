import { createHash } from 'node:crypto';
import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { InvitationInput, InvitationTemplateSlug } from '../../client/generated/graphql.js';
import type { ValidRow } from './types.ts';

export const COLUMNS = ['emailAddress', 'expiresInDays', 'ignoreExisting', 'notify', 'publicMetadata', 'redirectUrl', 'templateSlug'] as const;
export type Column = (typeof COLUMNS)[number];

/** The gateway's limit; checked here too so a bad row is reported before anything is sent. */
export const MAX_METADATA_BYTES = 8 * 1024;

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

const email = z.email();
const TEMPLATE_SLUGS: Record<string, InvitationTemplateSlug> = { invitation: 'INVITATION', waitlist_invitation: 'WAITLIST_INVITATION' };

function parseBoolean(raw: string): boolean | undefined {
  const value = raw.toLowerCase();
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  return undefined;
}

function checkRedirect(value: string): string | undefined {
  if (value.startsWith('/') && !value.startsWith('//')) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `must use http or https, not ${url.protocol}`;
  } catch {
    return 'must be an absolute http(s) URL or a path starting with "/"';
  }
}

/** Builds the GraphQL input of one row, collecting every problem instead of stopping at the first. */
function checkRecord(values: CsvRecord['values']): { input: InvitationInput; problems: string[] } {
  const problems: string[] = [];
  const emailAddress = (values.emailAddress ?? '').trim();
  const input: InvitationInput = { emailAddress };
  if (emailAddress === '') problems.push('emailAddress: is empty');
  else if (!email.safeParse(emailAddress).success) problems.push(`emailAddress: "${emailAddress}" is not a valid email address`);

  const cell = (column: Column) => {
    const value = values[column]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const days = cell('expiresInDays');
  if (days !== undefined) {
    if (/^\d+$/.test(days) && Number(days) >= 1 && Number(days) <= 365) input.expiresInDays = Number(days);
    else problems.push(`expiresInDays: must be a whole number from 1 to 365 (got "${days}")`);
  }
  for (const column of ['ignoreExisting', 'notify'] as const) {
    const raw = cell(column);
    if (raw === undefined) continue;
    const value = parseBoolean(raw);
    if (value === undefined) problems.push(`${column}: must be true or false (got "${raw}")`);
    else input[column] = value;
  }
  const metadata = cell('publicMetadata');
  if (metadata !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(metadata);
    } catch {
      problems.push('publicMetadata: is not valid JSON');
    }
    if (value !== undefined) {
      const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push('publicMetadata: must be a JSON object, like {"team":"research"}');
      else if (bytes > MAX_METADATA_BYTES) problems.push(`publicMetadata: is ${bytes} bytes, over the ${MAX_METADATA_BYTES}-byte limit`);
      else input.publicMetadata = value as Record<string, unknown>;
    }
  }
  const redirectUrl = cell('redirectUrl');
  if (redirectUrl !== undefined) {
    const reason = checkRedirect(redirectUrl);
    if (reason) problems.push(`redirectUrl: ${reason}`);
    else input.redirectUrl = redirectUrl;
  }
  const slug = cell('templateSlug');
  if (slug !== undefined) {
    const value = TEMPLATE_SLUGS[slug.toLowerCase()];
    if (value) input.templateSlug = value;
    else problems.push(`templateSlug: must be invitation or waitlist_invitation (got "${slug}")`);
  }
  return { input, problems };
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
export const emailKey = (address: string) => address.trim().toLowerCase();

/**
 * Checks every row. The same address twice fails the later row: a second invitation for the same
 * person in one file is almost always a copy-paste slip, and Clerk would refuse it anyway.
 */
export function checkRows(records: readonly CsvRecord[]): CheckedRows {
  const valid: ValidRow[] = [];
  const invalid: InvalidRow[] = [];
  const firstLine = new Map<string, number>();
  for (const record of records) {
    const { input, problems } = checkRecord(record.values);
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
