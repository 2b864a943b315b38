import { createHash, randomBytes } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';

/** What the tool should end up reporting for one line of the fixture. */
export interface ExpectedRow {
  line: number;
  emailAddress: string;
  outcome: 'CREATED' | 'INVALID_INPUT' | 'ALREADY_INVITED' | 'USER_EXISTS';
  /** A fragment of the message, for rows that fail before anything is sent. */
  problem?: string;
  expiresInDays?: number;
  publicMetadata?: Record<string, unknown>;
  notify?: boolean;
  waitlist?: boolean;
}

export const PRE_INVITED = 'pending@example.com';
export const EXISTING_USER = 'taken@example.com';

const BAD_ROWS: Record<number, { cells: Record<string, string>; problem: string }> = {
  7: { cells: { emailAddress: 'not-an-email' }, problem: 'is not a valid email address' },
  23: { cells: { emailAddress: 'days@example.com', expiresInDays: '0' }, problem: 'expiresInDays: must be between 1 and 365 (got 0)' },
  41: { cells: { emailAddress: 'notify@example.com', notify: 'maybe' }, problem: 'notify: must be true or false' },
  66: { cells: { emailAddress: 'meta@example.com', publicMetadata: '{"team":' }, problem: 'publicMetadata: is not valid JSON' },
  90: { cells: { emailAddress: 'slug@example.com', templateSlug: 'bogus' }, problem: 'templateSlug: must be one of invitation, waitlist_invitation (got bogus)' },
  117: { cells: { emailAddress: 'url@example.com', redirectUrl: 'javascript:alert(1)' }, problem: 'redirectUrl: must use http or https' },
  133: { cells: { emailAddress: '' }, problem: 'emailAddress: is empty' },
};
/** Line 101 repeats line 12's address in other capitals. */
const DUPLICATE = { line: 101, of: 12 };

/**
 * 150 data rows (lines 2..151): 7 bad rows, one in-file duplicate, an address with a pending
 * invitation and an existing user; the rest valid, some with params.
 */
export function buildFixture(): { csv: string; expected: ExpectedRow[] } {
  const columns = ['emailAddress', 'expiresInDays', 'ignoreExisting', 'notify', 'publicMetadata', 'redirectUrl', 'templateSlug'];
  const records: Record<string, string>[] = [];
  const expected: ExpectedRow[] = [];
  for (let line = 2; line <= 151; line += 1) {
    const bad = BAD_ROWS[line];
    if (bad) {
      records.push(bad.cells);
      expected.push({ line, emailAddress: bad.cells.emailAddress ?? '', outcome: 'INVALID_INPUT', problem: bad.problem });
      continue;
    }
    if (line === DUPLICATE.line) {
      const emailAddress = `Person${DUPLICATE.of}@Example.com`;
      records.push({ emailAddress });
      expected.push({ line, emailAddress, outcome: 'INVALID_INPUT', problem: `duplicate of line ${DUPLICATE.of}` });
      continue;
    }
    if (line === 55) {
      records.push({ emailAddress: PRE_INVITED });
      expected.push({ line, emailAddress: PRE_INVITED, outcome: 'ALREADY_INVITED' });
      continue;
    }
    if (line === 78) {
      records.push({ emailAddress: EXISTING_USER });
      expected.push({ line, emailAddress: EXISTING_USER, outcome: 'USER_EXISTS' });
      continue;
    }
    const row: ExpectedRow = { line, emailAddress: `person${line}@example.com`, outcome: 'CREATED' };
    const cells: Record<string, string> = { emailAddress: row.emailAddress };
    if (line % 5 === 0) cells.expiresInDays = String((row.expiresInDays = 7));
    if (line % 7 === 0) cells.publicMetadata = JSON.stringify((row.publicMetadata = { team: 'research', row: line }));
    if (line % 11 === 0) cells.notify = String((row.notify = false));
    if (line % 13 === 0) (cells.templateSlug = 'waitlist_invitation'), (row.waitlist = true);
    records.push(cells);
    expected.push(row);
  }
  return { csv: stringify(records, { header: true, columns }), expected };
}

export interface ResultLine {
  line: string;
  emailAddress: string;
  outcome: string;
  invitationId: string;
  message: string;
}

export const readResultCsv = (text: string) => parse(text, { columns: true }) as ResultLine[];

/** A test API key and the GATEWAY_API_KEYS entry that accepts it. */
export function testApiKey(name = 'csv-test') {
  const key = `gk_test_${randomBytes(24).toString('hex')}`;
  return { key, entry: `${name}:${createHash('sha256').update(key).digest('hex')}` };
}
