import { describe, expect, it } from 'vitest';
import { MAX_METADATA_DEPTH, validateItems, type InvitationInput } from '../../src/invitations/validate-item.ts';
import { gatewayVerdict, nested, TABLE_ALLOWED_ORIGINS, VALIDATION_CASES } from '../fixtures/clerk-validation-cases.ts';

const problem = (result: ReturnType<typeof validateItems>[number]) => (result.ok ? undefined : result.failure.message);
const asInput = (item: unknown) => item as InvitationInput;

describe('validateItems on the shared table of Clerk verdicts', () => {
  it.each(VALIDATION_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Second place in the call, so the index in the message is checked too.
    const [, result] = validateItems([{ emailAddress: 'first@example.com' }, asInput(c.item)], {
      allowedRedirectOrigins: TABLE_ALLOWED_ORIGINS,
    });
    const field = gatewayVerdict(c);
    if (field === undefined) {
      expect(problem(result!)).toBeUndefined();
    } else {
      expect(result).toMatchObject({ ok: false, failure: { code: 'INVALID_INPUT', emailAddress: c.item.emailAddress } });
      expect(problem(result!)).toMatch(new RegExp(`^invitations\\[1\\]\\.${field}: `));
    }
  });
});

describe('validateItems', () => {
  it('keeps unset fields off the wire so Clerk applies its defaults', () => {
    const [item] = validateItems([{ emailAddress: ' ada@example.com ', notify: null, expiresInDays: 14 }]);
    expect(item).toEqual({ ok: true, params: { emailAddress: 'ada@example.com', expiresInDays: 14 } });
  });

  it.each<[Record<string, unknown> & { emailAddress: string }, string]>([
    [{ emailAddress: 'nope' }, 'invitations[0].emailAddress: is not a valid email address (has no "@")'],
    [{ emailAddress: 'x@foo-.com' }, 'invitations[0].emailAddress: is not a valid email address (has the domain label "foo-", which starts or ends with a hyphen)'],
    [{ emailAddress: 'a@example.com', expiresInDays: 366 }, 'invitations[0].expiresInDays: must be between 1 and 365 (got 366)'],
    [{ emailAddress: 'a@example.com', expiresInDays: 2.5 }, 'invitations[0].expiresInDays: must be a whole number (got 2.5)'],
    [{ emailAddress: 'a@example.com', redirectUrl: 'ftp://x.example.com' }, 'invitations[0].redirectUrl: must use http or https, not ftp:'],
    [{ emailAddress: 'a@example.com', redirectUrl: '//evil.example.com' }, 'invitations[0].redirectUrl: must be an absolute http(s) URL or a path starting with "/"'],
    [{ emailAddress: 'a@example.com', redirectUrl: '/\\evil.example.com' }, 'invitations[0].redirectUrl: must be an absolute http(s) URL or a path starting with "/"'],
    [{ emailAddress: 'a@example.com', redirectUrl: '/%zz' }, 'invitations[0].redirectUrl: has a "%" that is not followed by two hex digits'],
    [{ emailAddress: 'a@example.com', publicMetadata: { k: 'é'.repeat(4100) } }, 'invitations[0].publicMetadata: is 8208 bytes serialized, over the 8192-byte limit'],
    [{ emailAddress: 'a@example.com', publicMetadata: nested(33) }, 'invitations[0].publicMetadata: nests deeper than 32 levels'],
    [{ emailAddress: 'a@example.com', publicMetadata: { a: [1, { b: undefined }] } }, 'invitations[0].publicMetadata: holds a value that is not JSON at a[1].b'],
    [{ emailAddress: 'a@example.com', templateSlug: 'welcome' }, 'invitations[0].templateSlug: must be one of invitation, waitlist_invitation (got welcome)'],
  ])('names the field, the item and the reason (%#)', (input, message) => {
    expect(problem(validateItems([asInput(input)])[0]!)).toBe(message);
  });

  it.each([5_000, 100_000, 1_000_000])('measures metadata %i levels deep without overflowing the stack', (levels) => {
    const [deep, plain] = validateItems([{ emailAddress: 'a@example.com', publicMetadata: nested(levels) }, { emailAddress: 'b@example.com' }]);
    expect(problem(deep!)).toBe(`invitations[0].publicMetadata: nests deeper than ${MAX_METADATA_DEPTH} levels`);
    expect(plain!.ok).toBe(true);
  });

  it('measures depth through lists as well as objects', () => {
    let value: unknown = 1;
    for (let i = 0; i < 40; i++) value = [value];
    expect(problem(validateItems([{ emailAddress: 'a@example.com', publicMetadata: { list: value } }])[0]!)).toMatch(/nests deeper than 32/);
  });

  it('accepts paths and, with an allowlist, only allowed origins', () => {
    const options = { allowedRedirectOrigins: ['https://app.example.com'] };
    const results = validateItems(
      [
        { emailAddress: 'a@example.com', redirectUrl: '/welcome' },
        { emailAddress: 'b@example.com', redirectUrl: 'https://app.example.com/accept' },
        { emailAddress: 'c@example.com', redirectUrl: 'https://evil.example.com/accept' },
      ],
      options,
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(problem(results[2]!)).toMatch(/origin https:\/\/evil\.example\.com is not in ALLOWED_REDIRECT_ORIGINS/);
  });

  it('fails a repeated address (in any case) as a duplicate of the first, which stays valid', () => {
    const results = validateItems([{ emailAddress: 'a@example.com' }, { emailAddress: 'b@example.com' }, { emailAddress: 'A@Example.com' }]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(problem(results[2]!)).toBe('invitations[2].emailAddress: duplicate in the request (same address as invitations[0])');
  });
});
