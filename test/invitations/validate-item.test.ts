import { describe, expect, it } from 'vitest';
import { validateItems } from '../../src/invitations/validate-item.ts';

const problem = (result: ReturnType<typeof validateItems>[number]) => (result.ok ? undefined : result.failure.message);

describe('validateItems', () => {
  it('keeps unset fields off the wire so Clerk applies its defaults', () => {
    const [item] = validateItems([{ emailAddress: ' ada@example.com ', notify: null, expiresInDays: 14 }]);
    expect(item).toEqual({ ok: true, params: { emailAddress: 'ada@example.com', expiresInDays: 14 } });
  });

  it.each<[Record<string, unknown> & { emailAddress: string }, string]>([
    [{ emailAddress: 'nope' }, 'invitations[0].emailAddress: is not a valid email address'],
    [{ emailAddress: 'a@example.com', expiresInDays: 366 }, 'invitations[0].expiresInDays: must be between 1 and 365 (got 366)'],
    [{ emailAddress: 'a@example.com', redirectUrl: 'ftp://x.example.com' }, 'invitations[0].redirectUrl: must use http or https, not ftp:'],
    [{ emailAddress: 'a@example.com', redirectUrl: '//evil.example.com' }, 'invitations[0].redirectUrl: must be an absolute http(s) URL or a path starting with "/"'],
    [{ emailAddress: 'a@example.com', redirectUrl: '/\\evil.example.com' }, 'invitations[0].redirectUrl: must be an absolute http(s) URL or a path starting with "/"'],
    [{ emailAddress: 'a@example.com', publicMetadata: { k: 'é'.repeat(4100) } }, 'invitations[0].publicMetadata: is 8208 bytes serialized, over the 8192-byte limit'],
  ])('names the field and the item (%#)', (input, message) => {
    expect(problem(validateItems([input])[0]!)).toBe(message);
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
