/**
 * A dry run must refuse exactly the rows the gateway refuses: every tricky row is both checked by the
 * tool and sent to the gateway (over the emulator), and the two verdicts are compared row by row.
 */
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRows, parseCsv } from '../../tools/invite-csv/csv-rows.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? { leaf: true } : { a: nested(depth - 1) });
/** A `{"x":"…"}` object of exactly `bytes` bytes serialized. */
const sized = (bytes: number) => ({ x: 'y'.repeat(bytes - '{"x":""}'.length) });

/** GraphQL input fields per row; the CSV cell is the same value written out. */
const CASES: Record<string, unknown>[] = [
  { emailAddress: 'x@foo-.com' },
  { emailAddress: 'x@-foo.com' },
  { emailAddress: 'x@foo_bar.com' },
  { emailAddress: 'a..b@example.com' },
  { emailAddress: '.a@example.com' },
  { emailAddress: 'a@example' },
  { emailAddress: 'a@example.123' },
  { emailAddress: 'ünï@example.com' },
  { emailAddress: '"quoted"@example.com' },
  { emailAddress: 'a@[127.0.0.1]' },
  { emailAddress: `${'l'.repeat(65)}@example.com` },
  { emailAddress: `${'l'.repeat(64)}@example.com` },
  { emailAddress: `x@${'d'.repeat(64)}.com` },
  { emailAddress: "o'brien+tag@sub.example.co.uk" },
  { emailAddress: 'plain@example.com' },
  { emailAddress: 'days0@example.com', expiresInDays: 0 },
  { emailAddress: 'days1@example.com', expiresInDays: 1 },
  { emailAddress: 'days365@example.com', expiresInDays: 365 },
  { emailAddress: 'days366@example.com', expiresInDays: 366 },
  { emailAddress: 'deep32@example.com', publicMetadata: nested(32) },
  { emailAddress: 'deep33@example.com', publicMetadata: nested(33) },
  { emailAddress: 'size8192@example.com', publicMetadata: sized(8192) },
  { emailAddress: 'size8193@example.com', publicMetadata: sized(8193) },
  { emailAddress: 'path@example.com', redirectUrl: '/welcome?x=%zz' },
  { emailAddress: 'slashes@example.com', redirectUrl: '//evil.example/' },
  { emailAddress: 'backslash@example.com', redirectUrl: '/\\evil.example/' },
  { emailAddress: 'escape@example.com', redirectUrl: 'https://app.example/%zz' },
  { emailAddress: 'js@example.com', redirectUrl: 'javascript:alert(1)' },
  { emailAddress: 'ftp@example.com', redirectUrl: 'ftp://files.example/' },
  { emailAddress: 'relative@example.com', redirectUrl: 'welcome' },
  { emailAddress: 'https@example.com', redirectUrl: 'https://app.example/welcome' },
  { emailAddress: 'waitlist@example.com', templateSlug: 'WAITLIST_INVITATION' },
];

const cellOf = (value: unknown) => (value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

describe('the dry run and the gateway agree on every row', () => {
  it('refuses x@foo-.com and each other row the gateway refuses, and passes each row it accepts', async () => {
    const columns = ['emailAddress', 'expiresInDays', 'publicMetadata', 'redirectUrl', 'templateSlug'];
    const csv = stringify(CASES.map((c) => columns.map((col) => cellOf(c[col]))), { header: true, columns });
    const { valid, invalid } = checkRows(parseCsv(csv));
    const toolRefuses = new Set(invalid.map((r) => r.line - 2));
    expect(valid.length + invalid.length).toBe(CASES.length);

    const payload = await stack.invite(CASES);
    const gatewayRefuses = new Set(payload.results.flatMap((r, i) => (r.__typename === 'InvitationFailed' && r.code === 'INVALID_INPUT' ? [i] : [])));
    const verdicts = CASES.map((c, i) => ({ row: c.emailAddress, tool: toolRefuses.has(i), gateway: gatewayRefuses.has(i) }));
    expect(verdicts.filter((v) => v.tool !== v.gateway)).toEqual([]);
    // The table must exercise both sides, or agreement proves nothing.
    expect(gatewayRefuses.size).toBeGreaterThan(10);
    expect(CASES.length - gatewayRefuses.size).toBeGreaterThan(8);
    expect(invalid.find((r) => r.emailAddress === 'x@foo-.com')?.problems).toEqual([
      'emailAddress: "x@foo-.com" is not a valid email address (has the domain label "foo-", which starts or ends with a hyphen)',
    ]);
  });
});
