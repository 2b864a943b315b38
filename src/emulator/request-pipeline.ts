/**
 * One `/v1` request from authentication to response, with faults injected at fixed points:
 *
 *   auth (401) → version header (400) → route (404) → `rate-limit` fault → `latency` fault →
 *   rate limiter (429, counts the call) → `hang` / `reset-before-commit` / `error500-before-commit` /
 *   `edge-before-commit` → (`edge-during-commit`: the edge answers, the rest runs later) →
 *   body checks → handler (commits) → `error500-after-commit` / `reset-after-commit` /
 *   `malformed-body` / `edge-after-commit`
 *
 * Authentication comes first so that only authenticated calls count against an instance's limits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClerkApiError, clerkErrors } from './clerk-errors.ts';
import { type ReadBody, sendClerkError, sendJson, sendRaw } from './http-io.ts';
import type { InstanceStore } from './instance-store.ts';
import {
  type RouteContext,
  type RouteResult,
  createInvitation,
  createInvitationBulk,
  deleteInvitation,
  listInvitations,
  revokeInvitation,
} from './invitation-routes.ts';
import { DEFAULT_COMMIT_DELAY_MS, sendEdgePage } from './edge-pages.ts';
import type { FaultInjector } from './faults.ts';
import {
  createOrgInvitation,
  createOrgInvitationBulk,
  getOrgInvitation,
  listOrgInvitations,
  revokeOrgInvitation,
} from './organization-routes.ts';
import type { OrgDuplicateInvitation } from './organization-types.ts';
import type { SigningKeys } from './session-keys.ts';
import type { SpecRequest, SpecValidator } from './spec-validator.ts';
import type { ActiveFaultRule, CallRecord, MalformedBodyVariant, RouteKind } from './types.ts';
import { countUsers, listUsers } from './user-routes.ts';

export interface PipelineDeps {
  instances: ReadonlyMap<string, InstanceStore>;
  validator: SpecValidator;
  faults: FaultInjector;
  signingKeys: SigningKeys;
  orgDuplicateInvitation: OrgDuplicateInvitation;
  now(): number;
  /** A delay the emulator cancels on close, so a pending latency fault never keeps a test alive. */
  sleep(ms: number): Promise<void>;
  /** Runs `commit` after `ms`, unless the emulator is reset or closed first. */
  later(ms: number, commit: () => Promise<void>): void;
}

export interface PipelineRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: ReadBody;
  record: CallRecord;
}

const OPERATION_ROUTES: Record<string, RouteKind> = {
  CreateInvitation: 'single',
  CreateBulkInvitations: 'bulk',
  ListInvitations: 'list',
  RevokeInvitation: 'revoke',
  GetJWKS: 'jwks',
  GetUserList: 'users',
  GetUsersCount: 'users-count',
  CreateOrganizationInvitation: 'org-single',
  CreateOrganizationInvitationBulk: 'org-bulk',
  ListOrganizationInvitations: 'org-list',
  GetOrganizationInvitation: 'org-get',
  RevokeOrganizationInvitation: 'org-revoke',
};

type Handler = (ctx: RouteContext, deps: PipelineDeps) => RouteResult | Promise<RouteResult>;

const HANDLERS: Record<RouteKind, Handler> = {
  single: createInvitation,
  bulk: createInvitationBulk,
  list: listInvitations,
  revoke: revokeInvitation,
  delete: deleteInvitation,
  users: listUsers,
  'users-count': countUsers,
  'org-single': createOrgInvitation,
  'org-bulk': createOrgInvitationBulk,
  'org-list': listOrgInvitations,
  'org-get': getOrgInvitation,
  'org-revoke': revokeOrgInvitation,
  jwks: async (ctx, deps) => ({
    status: 200,
    body: { keys: [(await deps.signingKeys.get(ctx.store.secretKey)).jwk] },
    committed: false,
    invitationIds: [],
  }),
};

function authenticate(header: string | undefined, instances: ReadonlyMap<string, InstanceStore>): InstanceStore {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match) throw clerkErrors.authorizationHeaderFormatInvalid();
  const instance = instances.get(match[1] as string);
  if (!instance) throw clerkErrors.clerkKeyInvalid();
  return instance;
}

interface Route {
  kind: RouteKind;
  operationId: string | undefined;
  pathParams: Record<string, string>;
}

function matchRoute(validator: SpecValidator, req: SpecRequest): Route {
  const matched = validator.match(req);
  const kind = matched && OPERATION_ROUTES[matched.operationId];
  if (matched && kind) return { kind, operationId: matched.operationId, pathParams: matched.pathParams };
  // DELETE is served because the SDK has deleteInvitation, but it is not in the spec to match against.
  const deletion = req.method === 'DELETE' ? /^\/v1\/invitations\/([^/]+)$/.exec(req.path) : null;
  if (deletion) return { kind: 'delete', operationId: undefined, pathParams: { invitation_id: decodeURIComponent(deletion[1] as string) } };
  throw clerkErrors.resourceNotFound();
}

const MALFORMED: Record<MalformedBodyVariant, { status: number; type: string; text: string }> = {
  'html-502': {
    status: 502,
    type: 'text/html',
    text: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
  },
  'non-json-200': { status: 200, type: 'text/plain', text: 'OK' },
  'wrong-shape-200': { status: 200, type: 'application/json', text: '{"object":"unexpected","data":"not the documented shape"}' },
};

interface Outcome {
  result?: RouteResult;
  refusal?: ClerkApiError;
}

/**
 * Body checks and the handler. A body-check failure is thrown (it answers at once, whatever fault is
 * pending); a refusal by the handler is returned, so an after-commit fault can still replace it.
 */
async function runHandler(
  deps: PipelineDeps,
  { req, body, record }: PipelineRequest,
  instance: InstanceStore,
  route: Route,
  specReq: SpecRequest,
): Promise<Outcome> {
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (body.text.trim() !== '' && contentType !== 'application/json') {
    throw clerkErrors.unsupportedContentType(contentType || 'none');
  }
  if (body.tooLarge || body.unparsable) throw clerkErrors.requestBodyInvalid();
  const validation = route.operationId ? deps.validator.validate(route.operationId, specReq) : { errors: [], query: {} };
  const ctx: RouteContext = {
    store: instance,
    now: deps.now(),
    body: specReq.body,
    rawQuery: record.query,
    query: validation.query,
    pathParams: route.pathParams,
    schemaErrors: validation.errors,
    orgDuplicateInvitation: deps.orgDuplicateInvitation,
  };
  try {
    const result = await HANDLERS[route.kind](ctx, deps);
    record.committed = result.committed;
    record.invitationIds = result.invitationIds;
    return { result };
  } catch (error) {
    if (!(error instanceof ClerkApiError)) throw error;
    return { refusal: error };
  }
}

/**
 * The edge gave up while Clerk kept working: the caller already holds the edge's page when the
 * invitations appear, so "Clerk answered, so it has finished" is exactly the wrong conclusion.
 */
function commitAfterEdgeAnswer(deps: PipelineDeps, request: PipelineRequest, fault: ActiveFaultRule, commit: () => Promise<Outcome>) {
  sendEdgeAnswer(request, fault);
  deps.later(fault.commitDelayMs ?? DEFAULT_COMMIT_DELAY_MS, async () => {
    // Whatever Clerk would have said (a refusal, a bad body) never reaches the caller: the edge answered.
    await commit().catch((error: unknown) => {
      if (!(error instanceof ClerkApiError)) throw error;
    });
  });
}

function sendEdgeAnswer({ res, record }: PipelineRequest, fault: ActiveFaultRule): void {
  const status = fault.edgeStatus ?? 502;
  record.status = status;
  record.traceId = sendEdgePage(res, status);
}

export async function handleApiRequest(deps: PipelineDeps, request: PipelineRequest): Promise<void> {
  const { req, res, url, body, record } = request;
  const respondError = (error: ClerkApiError) => {
    record.status = error.status;
    record.errorCodes = error.errors.map((e) => e.code);
    record.traceId = sendClerkError(res, error);
  };
  try {
    const instance = authenticate(req.headers.authorization, deps.instances);
    record.instance = instance.secretKey;
    const version = req.headers['clerk-api-version'];
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(version as string)) {
      throw clerkErrors.apiVersionInvalid(`${String(version)} is not a valid version`);
    }
    // Validation may fill in spec defaults, so it works on a copy and the record keeps what was sent.
    const specReq: SpecRequest = {
      method: record.method,
      path: url.pathname,
      query: record.query,
      headers: req.headers as Record<string, string | string[]>,
      // JSON.parse of the text again is the copy: structuredClone recurses, and a body nested a few
      // thousand levels deep (which Clerk's decoder takes, up to 10,000) would overflow the stack.
      body: body.json === undefined ? undefined : (JSON.parse(body.text) as unknown),
    };
    const route = matchRoute(deps.validator, specReq);
    record.route = route.kind;

    const fault = deps.faults.pick(route.kind, instance.secretKey);
    record.fault = fault?.fault ?? null;
    if (fault?.fault === 'rate-limit') throw clerkErrors.tooManyRequests(fault.retryAfterSeconds ?? 60);
    if (fault?.fault === 'latency') await deps.sleep(fault.latencyMs ?? 1000);
    const decision = instance.limiter.admit(route.kind, deps.now(), route.pathParams.organization_id);
    if (!decision.admitted) throw clerkErrors.tooManyRequests(decision.retryAfterSeconds);
    if (fault?.fault === 'hang') return; // close() destroys the socket
    if (fault?.fault === 'reset-before-commit') return void req.socket.destroy();
    if (fault?.fault === 'error500-before-commit') throw clerkErrors.internal();
    if (fault?.fault === 'edge-before-commit') return sendEdgeAnswer(request, fault);

    const commit = () => runHandler(deps, request, instance, route, specReq);
    if (fault?.fault === 'edge-during-commit') return commitAfterEdgeAnswer(deps, request, fault, commit);
    const { result, refusal } = await commit();

    if (fault?.fault === 'error500-after-commit') throw clerkErrors.internal();
    if (fault?.fault === 'reset-after-commit') return void req.socket.destroy();
    if (fault?.fault === 'malformed-body') {
      const malformed = MALFORMED[fault.variant ?? 'html-502'];
      record.status = malformed.status;
      return sendRaw(res, malformed.status, malformed.type, malformed.text);
    }
    if (fault?.fault === 'edge-after-commit') return sendEdgeAnswer(request, fault);
    if (refusal) return respondError(refusal);
    record.status = result?.status ?? 200;
    sendJson(res, record.status, result?.body);
  } catch (error) {
    if (error instanceof ClerkApiError) return respondError(error);
    process.emitWarning(`Clerk emulator: unexpected error on ${record.method} ${record.path}: ${String(error)}`);
    respondError(clerkErrors.internal());
  }
}
