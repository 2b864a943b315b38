import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, parseCliArgs } from '../../tools/invite-csv/args.ts';
import { checkRows, CsvFileError, fingerprintOf, parseCsv } from '../../tools/invite-csv/csv-rows.ts';
import { planRun, UNKNOWN_NOT_RESENT } from '../../tools/invite-csv/plan.ts';
import { resultCsv, summarize } from '../../tools/invite-csv/results.ts';
import { parseState, type StateEntry, StateFileError, StateStore } from '../../tools/invite-csv/state-store.ts';
import type { ValidRow } from '../../tools/invite-csv/types.ts';

describe('parseCliArgs', () => {
  it('applies defaults, the environment and flags', () => {
    const parsed = parseCliArgs(['people.csv'], { GATEWAY_API_KEY: 'k1' });
    expect(parsed).toEqual({
      kind: 'run',
      options: expect.objectContaining({ file: 'people.csv', url: DEFAULT_URL, apiKey: 'k1', out: 'people.csv.results.csv', statePath: 'people.csv.state.json', chunkSize: 20, limit: undefined, dryRun: false }),
    });
    const flags = parseCliArgs(['--url', 'https://gw.example.com/graphql', '--key-file', 'k.txt', '--chunk-size', '50', '--limit', '7', '--dry-run', '--out', 'r.csv', 'p.csv'], { GATEWAY_API_KEY: 'k1', GATEWAY_URL: 'http://x' });
    // --key-file wins over the environment: the CLI reads it, so no key comes from here.
    expect(flags.kind === 'run' && flags.options).toMatchObject({ url: 'https://gw.example.com/graphql', apiKey: undefined, keyFile: 'k.txt', chunkSize: 50, limit: 7, dryRun: true, out: 'r.csv' });
    const origins = parseCliArgs(['--redirect-origins', 'https://a.example, https://b.example/', 'p.csv'], { ALLOWED_REDIRECT_ORIGINS: 'https://c.example' });
    expect(origins.kind === 'run' && origins.options.redirectOrigins).toEqual(['https://a.example', 'https://b.example']);
    const fromEnv = parseCliArgs(['p.csv'], { ALLOWED_REDIRECT_ORIGINS: 'https://c.example' });
    expect(fromEnv.kind === 'run' && fromEnv.options.redirectOrigins).toEqual(['https://c.example']);
  });

  it('rejects bad usage with a message', () => {
    const message = (argv: string[]) => {
      const parsed = parseCliArgs(argv, {});
      return parsed.kind === 'usage-error' ? parsed.message : parsed.kind;
    };
    expect(message([])).toBe('no CSV file given');
    expect(message(['a.csv', 'b.csv'])).toMatch(/one CSV file at a time/);
    expect(message(['--chunk-size', '101', 'a.csv'])).toMatch(/--chunk-size must be a whole number from 1 to 100/);
    expect(message(['--limit', '-3', 'a.csv'])).toMatch(/--limit/);
    expect(message(['--url', 'ftp://x', 'a.csv'])).toMatch(/--url must be an http\(s\) URL/);
    expect(message(['--bogus', 'a.csv'])).toMatch(/bogus/);
    expect(message(['-h'])).toBe('help');
    expect(message(['--redirect-origins', 'https://a.example/path', 'a.csv'])).toMatch(/is not an origin/);
  });

  it('refuses a key on the command line, in either spelling, without repeating it', () => {
    for (const argv of [['--key', 'gwk_secret123', 'a.csv'], ['--key=gwk_secret123', 'a.csv'], ['a.csv', '--key', 'gwk_secret123']]) {
      const parsed = parseCliArgs(argv, {});
      expect(parsed).toEqual({ kind: 'usage-error', message: expect.stringMatching(/--key is not accepted.*GATEWAY_API_KEY or pass --key-file/) });
      expect(JSON.stringify(parsed)).not.toContain('gwk_secret123');
    }
  });
});

describe('parseCsv and checkRows', () => {
  it('numbers rows by the line they start on, across blank lines, CRLF, a BOM and quoted newlines', () => {
    const text = '\uFEFFemailAddress,publicMetadata\r\n\r\na@example.com,"{""note"":\r\n""two lines""}"\r\nb@example.com,\r\n\r\nc@example.com,\r\n';
    const records = parseCsv(text);
    expect(records.map((r) => [r.line, r.values.emailAddress])).toEqual([[3, 'a@example.com'], [5, 'b@example.com'], [7, 'c@example.com']]);
    expect(checkRows(records).valid[0]!.input.publicMetadata).toEqual({ note: 'two lines' });
  });

  it('turns cells into typed input and leaves empty cells to Clerk', () => {
    const text = 'EmailAddress,expiresInDays,ignoreExisting,notify,publicMetadata,redirectUrl,templateSlug\n' + ' Ada@Example.com ,7,yes,0,"{""a"":1}",/welcome,Waitlist_Invitation\nb@example.com,,,,,,\n';
    const { valid, invalid } = checkRows(parseCsv(text));
    expect(invalid).toEqual([]);
    expect(valid.map((r) => r.input)).toEqual([
      { emailAddress: 'Ada@Example.com', expiresInDays: 7, ignoreExisting: true, notify: false, publicMetadata: { a: 1 }, redirectUrl: '/welcome', templateSlug: 'WAITLIST_INVITATION' },
      { emailAddress: 'b@example.com' },
    ]);
    expect(valid[0]!.key).toBe('ada@example.com');
  });

  it('reports every problem of a row, duplicates and ragged rows', () => {
    const text = ['emailAddress,expiresInDays,notify,publicMetadata,redirectUrl', 'x,400,maybe,[1],//evil.example', 'a@example.com,,,,', 'A@EXAMPLE.COM,,,,', 'c@example.com,1', `d@example.com,,,"{""b"":""${'x'.repeat(9000)}""}",`].join('\n');
    const { valid, invalid } = checkRows(parseCsv(text));
    expect(valid.map((r) => r.line)).toEqual([3]);
    expect(invalid.map((r) => [r.line, r.problems])).toEqual([
      [2, [
        'emailAddress: "x" is not a valid email address (has no "@")',
        'expiresInDays: must be between 1 and 365 (got 400)',
        'notify: must be true or false (got "maybe")',
        'publicMetadata: must be a JSON object',
        'redirectUrl: must be an absolute http(s) URL or a path starting with "/"',
      ]],
      [4, ['emailAddress: duplicate of line 3']],
      [5, ['row has a different number of fields than the header (5)']],
      [6, [expect.stringMatching(/^publicMetadata: is 90\d\d bytes serialized, over the 8192-byte limit$/)]],
    ]);
  });

  it('refuses a file it cannot use as a whole', () => {
    expect(() => parseCsv('')).toThrow(CsvFileError);
    expect(() => parseCsv('email\na@example.com\n')).toThrow(/unknown column "email"/);
    expect(() => parseCsv('notify\ntrue\n')).toThrow(/no emailAddress column/);
    expect(() => parseCsv('emailAddress,emailaddress\n')).toThrow(/appears twice/);
    expect(() => parseCsv('emailAddress\n"a@example.com\n')).toThrow(/Quote Not Closed/);
  });

  it('fingerprints ignore key order in metadata but not values', () => {
    const a = fingerprintOf({ emailAddress: 'a@example.com', publicMetadata: { x: 1, y: 2 } });
    expect(fingerprintOf({ emailAddress: 'a@example.com', publicMetadata: { y: 2, x: 1 } })).toBe(a);
    expect(fingerprintOf({ emailAddress: 'a@example.com', publicMetadata: { x: 1, y: 3 } })).not.toBe(a);
  });
});

const row = (line: number, email: string, extra: Partial<ValidRow['input']> = {}): ValidRow => {
  const input = { emailAddress: email, ...extra };
  return { line, key: email.toLowerCase(), input, fingerprint: fingerprintOf(input) };
};
const entry = (r: ValidRow, outcome: StateEntry['outcome'], more: Partial<StateEntry> = {}): StateEntry => ({
  line: r.line, fingerprint: r.fingerprint, outcome, retryable: false, updatedAt: '2026-01-01T00:00:00.000Z', ...more,
});

describe('planRun', () => {
  const rows = [row(2, 'a@x.io'), row(3, 'b@x.io'), row(4, 'c@x.io'), row(5, 'd@x.io'), row(6, 'e@x.io'), row(7, 'f@x.io'), row(8, 'g@x.io', { ignoreExisting: true })];
  const state = new Map<string, StateEntry>([
    ['a@x.io', entry(rows[0]!, 'CREATED', { invitationId: 'inv_a' })],
    ['b@x.io', entry(rows[1]!, 'USER_EXISTS', { message: 'is a user' })],
    ['c@x.io', { ...entry(rows[2]!, 'ALREADY_INVITED'), fingerprint: 'edited-since' }],
    ['d@x.io', entry(rows[3]!, 'RATE_LIMITED', { retryable: true })],
    ['e@x.io', entry(rows[4]!, 'SENDING')],
    ['g@x.io', entry(rows[6]!, 'OUTCOME_UNKNOWN')],
  ]);

  it('never resends created rows or unknown outcomes, keeps unchanged final failures, resends the rest', () => {
    const plan = planRun(rows, state, { retryUnknown: false });
    expect(plan.send.map((r) => r.line)).toEqual([4, 5, 7]);
    expect(plan.unknown.map((r) => r.line)).toEqual([6, 8]);
    expect(plan.settled).toEqual([
      { line: 2, emailAddress: 'a@x.io', outcome: 'CREATED', invitationId: 'inv_a', message: 'created in an earlier run' },
      { line: 3, emailAddress: 'b@x.io', outcome: 'USER_EXISTS', invitationId: '', message: 'is a user (earlier run; the row is unchanged, so it was not resent)' },
      { line: 6, emailAddress: 'e@x.io', outcome: 'OUTCOME_UNKNOWN', invitationId: '', message: UNKNOWN_NOT_RESENT },
      { line: 8, emailAddress: 'g@x.io', outcome: 'OUTCOME_UNKNOWN', invitationId: '', message: UNKNOWN_NOT_RESENT },
    ]);
  });

  it('with --retry-unknown resends unknown rows with ignoreExisting off; --limit leaves the rest for later', () => {
    const plan = planRun(rows, state, { retryUnknown: true, limit: 4 });
    expect(plan.send.map((r) => [r.line, r.recheck, r.input.ignoreExisting])).toEqual([[4, false, undefined], [5, false, undefined], [6, true, false], [7, false, undefined]]);
    expect(plan.later.map((r) => r.line)).toEqual([8]);
    expect(plan.send.find((r) => r.line === 6)!.fingerprint).toBe(rows[4]!.fingerprint);
  });
});

describe('state file', () => {
  it('round-trips through disk and refuses a file from another gateway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'invite-state-'));
    const path = join(dir, 'p.csv.state.json');
    try {
      const store = await StateStore.open(path, 'http://a/graphql', () => Date.UTC(2026, 0, 1));
      store.set('a@x.io', { line: 2, fingerprint: 'f', outcome: 'CREATED', invitationId: 'inv_1', retryable: false });
      await store.save();
      const again = await StateStore.open(path, 'http://a/graphql');
      expect(again.get('a@x.io')).toEqual({ line: 2, fingerprint: 'f', outcome: 'CREATED', invitationId: 'inv_1', retryable: false, updatedAt: '2026-01-01T00:00:00.000Z' });
      again.restore('a@x.io', undefined);
      expect(again.get('a@x.io')).toBeUndefined();
      await expect(StateStore.open(path, 'http://b/graphql')).rejects.toThrow(/records a run against http:\/\/a\/graphql/);
      await writeFile(path, '{"version":1,');
      await expect(StateStore.open(path, 'http://a/graphql')).rejects.toThrow(StateFileError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => parseState('{"version":2,"rows":{}}', 'x', 'u')).toThrow(/not a state file/);
  });
});

describe('result CSV', () => {
  it('writes one quoted line per row in file order and summarises by outcome', () => {
    const rows = [
      { line: 3, emailAddress: 'b@x.io', outcome: 'USER_EXISTS' as const, invitationId: '', message: 'is a user, "really"' },
      { line: 2, emailAddress: 'a@x.io', outcome: 'CREATED' as const, invitationId: 'inv_1', message: '' },
    ];
    expect(resultCsv(rows)).toBe('line,emailAddress,outcome,invitationId,message\n2,a@x.io,CREATED,inv_1,\n3,b@x.io,USER_EXISTS,,"is a user, ""really"""\n');
    expect(summarize(rows)).toBe('2 rows: 1 created, 1 not created (1 USER_EXISTS)');
  });
});
