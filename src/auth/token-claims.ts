import { z } from 'zod';

/**
 * Shapes of the claims the gateway (and the SDK's claim parser) reads from a Clerk token. The SDK
 * trusts a signed payload: `org_permissions: "x"` reaches `.some()` as a string, and a non-string
 * `scopes` makes its M2M parser throw, both of which ended as a 500. Checking the shape first turns
 * any of them into a 401 that names the claim.
 *
 * `null` counts as absent for optional claims: a Go server serialises an empty slice or pointer as
 * null, and refusing that would lock out real sessions for no gain. Length caps keep a signed but
 * absurd claim out of logs, rate-limit keys and the SDK's bit parser (`fpm` is decoded digit by digit
 * in quadratic time).
 */

// Clerk ids (user_…, org_…, mch_…, sess_…) are about 30 characters; keys and slugs are short too.
const MAX_ID = 256;
const MAX_TEXT = 1024;
const MAX_LIST = 500;

const id = z.string().min(1).max(MAX_ID);
const text = z.string().max(MAX_TEXT);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();
const numericDate = z.number().finite();

const registered = {
  exp: numericDate,
  iat: optional(numericDate),
  nbf: optional(numericDate),
  iss: optional(text),
  sid: optional(id),
};

const sessionCommon = {
  ...registered,
  sub: id,
  azp: optional(text),
  sts: optional(z.string().max(64)),
  // Absent in v1 tokens; the SDK switches on `v === 2` and reads anything else as v1.
  v: optional(z.number().int().positive()),
};

const v1Claims = z.object({
  ...sessionCommon,
  org_id: optional(id),
  org_role: optional(text),
  org_slug: optional(text),
  org_permissions: optional(z.array(text).max(MAX_LIST)),
});

// `fpm`: one decimal bit mask per feature; 40 digits is over 130 permission bits per feature.
const featurePermissionMap = z.string().regex(/^(\d{1,40}(,\d{1,40})*)?$/, 'expected comma-separated decimal numbers');

const v2Claims = z.object({
  ...sessionCommon,
  fea: optional(z.string().max(4096)),
  o: optional(
    z.object({
      id: optional(id),
      rol: optional(text),
      slg: optional(text),
      per: optional(z.string().max(4096)),
      fpm: optional(featurePermissionMap),
    }),
  ),
});

const machineClaims = z.object({
  ...registered,
  sub: id.regex(/^mch_/, 'expected a machine id (mch_…)'),
  scopes: optional(z.string().max(4096)),
  aud: optional(z.union([z.string().min(1).max(MAX_TEXT), z.array(z.string().min(1).max(MAX_TEXT)).max(MAX_LIST)])),
});

export type SessionClaims = z.infer<typeof v1Claims> & z.infer<typeof v2Claims>;
export type MachineClaims = z.infer<typeof machineClaims>;

export type ClaimsCheck<T> = { ok: true; claims: T } | { ok: false; message: string };

function check<T>(schema: z.ZodType<T>, payload: unknown, kind: string): ClaimsCheck<T> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, claims: parsed.data };
  const [issue] = parsed.error.issues;
  const claim = issue?.path.length ? issue.path.map(String).join('.') : '(payload)';
  return { ok: false, message: `the ${kind} token's claim "${claim}" is malformed: ${issue?.message ?? 'unexpected value'}` };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether the payload is a machine (M2M) token: its subject is a machine id. */
export const isMachinePayload = (payload: unknown): boolean =>
  isObject(payload) && typeof payload['sub'] === 'string' && payload['sub'].startsWith('mch_');

/** Checks a session token's payload against the claims of its version (v1 `org_*`, v2 `o`/`fea`). */
export function checkSessionClaims(payload: unknown): ClaimsCheck<Record<string, unknown>> {
  if (!isObject(payload)) return { ok: false, message: 'the token payload is not a JSON object' };
  const result = check(payload['v'] === 2 ? v2Claims : v1Claims, payload, 'session');
  // The SDK's parser gets the original payload (it reads further claims such as `act` and `fva`),
  // now known to hold well-formed values wherever it looks.
  return result.ok ? { ok: true, claims: payload } : result;
}

export function checkMachineClaims(payload: unknown): ClaimsCheck<MachineClaims> {
  if (!isObject(payload)) return { ok: false, message: 'the token payload is not a JSON object' };
  return check(machineClaims, payload, 'machine');
}
