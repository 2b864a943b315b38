import { afterEach, describe, expect, it } from 'vitest';
import { outcome, startStack, type Stack } from '../support/stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const item = (redirectUrl: string, i: number) => ({ emailAddress: `r${i}@example.com`, redirectUrl });

describe('redirectUrl against ALLOWED_REDIRECT_ORIGINS', () => {
  it('takes paths and URLs on a listed origin, and refuses every other origin', async () => {
    stack = await startStack({ env: { ALLOWED_REDIRECT_ORIGINS: 'https://app.example.com,http://localhost:3000' } });
    const urls = [
      'https://app.example.com/welcome?from=invite',
      'http://localhost:3000/sign-up',
      '/welcome',
      'https://evil.example/welcome',
      'https://app.example.com.evil.example/',
      'https://app.example.com:8443/welcome',
      'http://app.example.com/welcome',
      '//evil.example/welcome',
      'javascript:alert(1)',
    ];
    const payload = await stack.invite(urls.map(item));
    expect(payload.results.map(outcome)).toEqual(['CREATED', 'CREATED', 'CREATED', ...Array(6).fill('INVALID_INPUT')]);
    const failed = payload.results[3]!;
    expect(failed.__typename === 'InvitationFailed' && failed.message).toBe(
      'invitations[3].redirectUrl: origin https://evil.example is not in ALLOWED_REDIRECT_ORIGINS',
    );
    const sent = stack.emulator.invitations().map((i) => i.redirectUrl).sort();
    expect(sent).toEqual(['/welcome', 'http://localhost:3000/sign-up', 'https://app.example.com/welcome?from=invite']);
  });

  it('allows only paths while the list is empty', async () => {
    stack = await startStack();
    const payload = await stack.invite([item('/welcome', 0), item('https://app.example.com/welcome', 1)]);
    expect(payload.results.map(outcome)).toEqual(['CREATED', 'INVALID_INPUT']);
  });
});
