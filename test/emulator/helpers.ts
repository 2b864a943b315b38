/** Shared setup for the emulator tests: the real SDK client and validators built from the vendored spec. */
import { type ClerkClient, createClerkClient } from '@clerk/backend';
import { type ClerkAPIResponseError, isClerkAPIResponseError } from '@clerk/backend/errors';
import { Ajv, type ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { expect } from 'vitest';
import { type WireInvitation, loadVendoredSpec } from '../../src/emulator/index.ts';

export function clientFor(url: string, secretKey: string): ClerkClient {
  return createClerkClient({ secretKey, apiUrl: url });
}

/** Awaits a call that must fail with a Clerk API error and returns that error. */
export async function clerkError(promise: Promise<unknown>): Promise<ClerkAPIResponseError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a Clerk API error, got ${JSON.stringify(value)}`);
    },
    (caught: unknown) => caught,
  );
  if (!isClerkAPIResponseError(error)) throw error;
  return error;
}

/**
 * OpenAPI 3.0 allows `nullable` beside `allOf` with no `type`, which ajv rejects; rewrite those spots
 * as "the schema or null" so the spec's response schemas compile unchanged otherwise.
 */
function normalizeNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalizeNullable);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, normalizeNullable(v)]));
  if (entries.nullable === true && entries.type === undefined) {
    const { nullable: _nullable, ...rest } = entries;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return entries;
}

const spec = normalizeNullable(loadVendoredSpec()) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('email', fullFormats.email as RegExp);
ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
ajv.addSchema({ ...spec, $id: 'clerk' });

/** Rebases the spec's local `$ref`s onto the schema registered above. */
const rebase = (schema: unknown) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"clerk#/components/'));

function responseSchema(name: string): unknown {
  const responses = (spec.components as Record<string, Record<string, any>>).responses as Record<string, any>;
  return rebase(responses[name].content['application/json'].schema);
}

export const specValidators: Record<string, ValidateFunction> = {
  invitation: ajv.compile({ $ref: 'clerk#/components/schemas/Invitation' }),
  invitationList: ajv.compile(responseSchema('Invitation.List') as object),
  invitationRevoked: ajv.compile(responseSchema('Invitation.Revoked') as object),
  userList: ajv.compile(responseSchema('User.List') as object),
  totalCount: ajv.compile({ $ref: 'clerk#/components/schemas/TotalCount' }),
  jwks: ajv.compile(responseSchema('WellKnown.JWKS') as object),
  clerkErrors: ajv.compile({ $ref: 'clerk#/components/schemas/ClerkErrors' }),
  orgInvitation: ajv.compile(responseSchema('OrganizationInvitation') as object),
  orgInvitationList: ajv.compile(responseSchema('OrganizationInvitations') as object),
};

/** Asserts that a response body satisfies one of the vendored spec's schemas. */
export function expectSpecValid(validator: keyof typeof specValidators, body: unknown): void {
  const validate = specValidators[validator] as ValidateFunction;
  const valid = validate(body);
  expect(validate.errors ?? [], `${validator}: ${JSON.stringify(body)}`).toEqual([]);
  expect(valid).toBe(true);
}

/** A raw request to the emulator with a secret key, for what the SDK cannot send or hides. */
export function rawFetch(url: string, path: string, secretKey: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json', ...init.headers },
  });
}

export const emails = (count: number, prefix = 'person') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}@example.com`);

/** The body the SDK decoded, typed as the emulator sent it (the SDK's type lacks `expires_at`). */
export const wireOf = (invitation: { raw: unknown }) => invitation.raw as WireInvitation;
