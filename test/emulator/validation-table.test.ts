import type { ClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { type CaseItem, nested, paramName, VALIDATION_CASES } from '../fixtures/clerk-validation-cases.ts';
import { clerkError, clientFor } from './helpers.ts';

let emulator: Emulator;
let clerk: ClerkClient;

beforeAll(async () => {
  emulator = await startEmulator();
  clerk = clientFor(emulator.url, emulator.secretKeys[0] as string);
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

// The table holds values the SDK's types forbid (a list as metadata, an unknown template) on purpose.
const create = (item: CaseItem) => clerk.invitations.createInvitation(item as Parameters<ClerkClient['invitations']['createInvitation']>[0]);

describe("the emulator on the shared table of Clerk verdicts, through @clerk/backend", () => {
  it.each(VALIDATION_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.refused === undefined) {
      const invitation = await create(c.item);
      expect(invitation.emailAddress).toBe(c.item.emailAddress.toLowerCase());
      expect(emulator.invitations()).toHaveLength(1);
      return;
    }
    const error = await clerkError(create(c.item));
    expect(error.status).toBe(422);
    expect(error.errors.map((e) => e.meta?.paramName)).toEqual([paramName(c.refused)]);
    expect(emulator.invitations()).toHaveLength(0);
  });

  it('names the field once per bad item of a bulk call and creates none of it', async () => {
    const bad = VALIDATION_CASES.filter((c) => c.refused !== undefined).slice(0, 10);
    const items = [{ emailAddress: 'fine@example.com' }, ...bad.slice(0, 9).map((c) => c.item)];
    const error = await clerkError(clerk.invitations.createInvitationBulk(items as Parameters<ClerkClient['invitations']['createInvitationBulk']>[0]));
    expect(error.status).toBe(422);
    expect(error.errors.map((e) => e.meta?.paramName)).toEqual(bad.slice(0, 9).map((c) => paramName(c.refused!)));
    expect(emulator.invitations()).toHaveLength(0);
  });

  it('refuses metadata over 8 KB with form_param_exceeds_allowed_size', async () => {
    const error = await clerkError(create({ emailAddress: 'deep@example.com', publicMetadata: nested(1_700) }));
    expect(error.errors).toEqual([expect.objectContaining({ code: 'form_param_exceeds_allowed_size', meta: { paramName: 'public_metadata' } })]);
  });
});

describe('a body nested deeper than any client would send', () => {
  it('is judged, not answered 500, at 5,000 levels (sent as raw JSON, which Clerk decodes up to 10,000)', async () => {
    const text = `{"email_address":"deep@example.com","public_metadata":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    const response = await fetch(`${emulator.url}/v1/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.secretKeys[0]}`, 'content-type': 'application/json' },
      body: text,
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('form_param_exceeds_allowed_size');
    expect(emulator.invitations()).toHaveLength(0);
  });
});
