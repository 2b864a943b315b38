/**
 * `/__emulator/…` routes (only with `control: true`), so a test in another process, such as one that
 * drives a gateway subprocess, can do what in-process tests do through the {@link Emulator} object.
 * They sit outside `/v1`, need no secret key and are not recorded in `calls`.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Emulator } from './types.ts';
import { FAULT_KINDS, FAULT_ROUTES } from './faults.ts';
import { sendJson } from './http-io.ts';

const faultRule = z
  .object({
    route: z.enum(FAULT_ROUTES),
    fault: z.enum(FAULT_KINDS),
    probability: z.number().min(0).max(1).optional(),
    times: z.number().int().positive().optional(),
    secretKey: z.string().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    variant: z.enum(['html-502', 'non-json-200', 'wrong-shape-200']).optional(),
    edgeStatus: z.union([z.literal(502), z.literal(504), z.literal(524)]).optional(),
    commitDelayMs: z.number().int().nonnegative().optional(),
  })
  .strict();

const schemas = {
  faults: z.array(faultRule),
  seed: z.object({ seed: z.number().int() }).strict(),
  users: z.object({ emails: z.array(z.string()), secretKey: z.string().optional() }).strict(),
  invitations: z
    .object({
      invitations: z.array(
        z
          .object({
            emailAddress: z.string(),
            status: z.enum(['pending', 'accepted', 'revoked']).optional(),
            publicMetadata: z.record(z.string(), z.unknown()).optional(),
            createdAt: z.number().int().optional(),
            expiresInDays: z.number().int().positive().optional(),
          })
          .strict(),
      ),
      secretKey: z.string().optional(),
    })
    .strict(),
  accept: z.object({ secretKey: z.string().optional() }).strict(),
  organizations: z
    .object({
      organizations: z.array(
        z
          .object({
            id: z.string().min(1).optional(),
            name: z.string().min(1),
            roles: z.array(z.string().min(1)).min(1).optional(),
            maxMemberships: z.number().int().nonnegative().optional(),
          })
          .strict(),
      ),
      secretKey: z.string().optional(),
    })
    .strict(),
  membership: z.object({ user: z.string().min(1), role: z.string().min(1), secretKey: z.string().optional() }).strict(),
  // Either move the clock (`advanceMs`, relative) or set how far Clerk's clock is off real time (`offsetMs`).
  clock: z
    .object({ advanceMs: z.number().int().optional(), offsetMs: z.number().int().optional() })
    .strict()
    .refine((body) => (body.advanceMs === undefined) !== (body.offsetMs === undefined), 'give exactly one of advanceMs and offsetMs'),
  token: z
    .object({
      claims: z.record(z.string(), z.unknown()),
      secretKey: z.string().optional(),
      expiresInSeconds: z.number().int().positive().optional(),
    })
    .strict(),
};

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new TypeError(z.prettifyError(result.error));
  return result.data;
}

/** `GET|POST /organizations/{id}/memberships` and `GET /organizations/{id}/invitations`. */
function organizationRoute(
  emulator: Emulator,
  [, method, id, what]: RegExpExecArray,
  body: unknown,
  secretKey: string | undefined,
): unknown {
  const organizationId = decodeURIComponent(id as string);
  if (what === 'invitations') {
    if (method !== 'GET') throw new TypeError('organization invitations are created through /v1; only GET is offered here');
    return emulator.organizationInvitations(organizationId, secretKey);
  }
  if (method === 'GET') return emulator.memberships(organizationId, secretKey);
  const { user, role, secretKey: key } = parse(schemas.membership, body);
  return emulator.seedMembership(organizationId, user, role, key);
}

/** Answers a control request; returns false when the path is not a control route. */
export async function handleControlRequest(
  emulator: Emulator,
  method: string,
  url: URL,
  body: unknown,
  res: ServerResponse,
): Promise<boolean> {
  const route = `${method} ${url.pathname.replace(/^\/__emulator/, '')}`;
  const secretKey = url.searchParams.get('secret_key') ?? undefined;
  const accept = /^POST \/invitations\/([^/]+)\/accept$/.exec(route);
  const org = /^(GET|POST) \/organizations\/([^/]+)\/(memberships|invitations)$/.exec(route);
  const orgAccept = /^POST \/organization-invitations\/([^/]+)\/accept$/.exec(route);
  try {
    let answer: unknown;
    if (route === 'GET /health') answer = { ok: true, url: emulator.url, secretKeys: emulator.secretKeys };
    else if (route === 'GET /calls') {
      const since = Number(url.searchParams.get('since') ?? 0);
      answer = emulator.calls.filter((call) => call.seq > since);
    } else if (route === 'POST /reset') {
      emulator.reset();
      answer = { ok: true };
    } else if (route === 'POST /users') {
      const { emails, secretKey: key } = parse(schemas.users, body);
      answer = emulator.seedUsers(emails, key);
    } else if (route === 'GET /users') answer = emulator.users(secretKey);
    else if (route === 'POST /invitations') {
      const { invitations, secretKey: key } = parse(schemas.invitations, body);
      answer = emulator.seedInvitations(invitations, key);
    } else if (route === 'GET /invitations') answer = emulator.invitations(secretKey);
    else if (accept) answer = emulator.acceptInvitation(accept[1] as string, parse(schemas.accept, body).secretKey);
    else if (route === 'POST /organizations') {
      const { organizations, secretKey: key } = parse(schemas.organizations, body);
      answer = organizations.map((organization) => emulator.seedOrganization(organization, key));
    } else if (route === 'GET /organizations') answer = emulator.organizations(secretKey);
    else if (org) answer = organizationRoute(emulator, org, body, secretKey);
    else if (orgAccept) {
      answer = emulator.acceptOrganizationInvitation(orgAccept[1] as string, parse(schemas.accept, body).secretKey);
    } else if (route === 'GET /faults') answer = emulator.faults.list();
    else if (route === 'POST /faults') {
      // One rule, an array of rules, or { rules: [...] }.
      const rules = Array.isArray(body) ? body : body && typeof body === 'object' && 'rules' in body ? body.rules : [body];
      answer = emulator.faults.add(...parse(schemas.faults, rules));
    } else if (route === 'DELETE /faults') {
      emulator.faults.clear();
      answer = { ok: true };
    } else if (route === 'POST /faults/seed') {
      emulator.faults.seed(parse(schemas.seed, body).seed);
      answer = { ok: true };
    } else if (route === 'POST /clock') {
      const { advanceMs, offsetMs } = parse(schemas.clock, body);
      if (advanceMs !== undefined) emulator.advanceClock(advanceMs);
      if (offsetMs !== undefined) emulator.setClockOffset(offsetMs);
      answer = { now: emulator.now(), offsetMs: emulator.clockOffsetMs() };
    } else if (route === 'GET /clock') {
      answer = { now: emulator.now(), offsetMs: emulator.clockOffsetMs() };
    } else if (route === 'POST /session-tokens') {
      const { claims, ...options } = parse(schemas.token, body);
      answer = { token: await emulator.signSessionToken(claims, options) };
    } else if (route === 'GET /signing-key') {
      const { kid, publicKeyPem } = await emulator.signingKey(secretKey);
      answer = { kid, publicKeyPem };
    } else return false;
    sendJson(res, 200, answer);
  } catch (error) {
    // Every failure here is a bad request from the test (invalid rule, unknown key or id, accepting a
    // revoked invitation); the message says which.
    sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
  return true;
}
