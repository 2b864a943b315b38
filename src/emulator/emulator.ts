/** Starts the emulator's HTTP server and exposes its state to tests and to the control routes. */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { checkClockOffset, clockedResponseClass } from './clerk-clock.ts';
import { clerkErrors } from './clerk-errors.ts';
import { handleControlRequest } from './control-routes.ts';
import { createFaultInjector } from './faults.ts';
import { queryObject, readBody, sendClerkError, sendJson } from './http-io.ts';
import { generateSecretKey } from './ids.ts';
import { InstanceStore } from './instance-store.ts';
import { resolveLimits } from './rate-limiter.ts';
import { handleApiRequest } from './request-pipeline.ts';
import { type SessionTokenOptions, SigningKeys } from './session-keys.ts';
import { createSpecValidator } from './spec-validator.ts';
import type { CallRecord, Emulator, EmulatorOptions, SeededUser } from './types.ts';


const copy = <T>(value: T): T => structuredClone(value);

/** Starts an emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const secretKeys = options.secretKeys?.length ? [...options.secretKeys] : [generateSecretKey()];
  if (new Set(secretKeys).size !== secretKeys.length) throw new RangeError('secretKeys must be distinct');
  const limits = resolveLimits(options.limits);
  const baseNow = options.now ?? Date.now;
  const initialOffset = checkClockOffset(options.clockOffsetMs ?? 0);
  let clockOffset = initialOffset;
  let advanced = 0;
  const now = () => baseNow() + clockOffset + advanced;
  const faultSeed = options.faultSeed ?? 1;
  const orgDuplicateInvitation = options.orgDuplicateInvitation ?? 'refuse';
  if (orgDuplicateInvitation !== 'refuse' && orgDuplicateInvitation !== 'reuse') {
    throw new RangeError(`orgDuplicateInvitation must be refuse or reuse, got ${String(orgDuplicateInvitation)}`);
  }
  const faults = createFaultInjector(faultSeed);
  const validator = await createSpecValidator();
  const signingKeys = new SigningKeys();
  const calls: CallRecord[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const instances = new Map<string, InstanceStore>();
  let emulator: Emulator | undefined;
  // A delayed commit belongs to the data it was sent to; after reset() it must not land in new data.
  let generation = 0;
  const delayedCommits = new Set<Promise<void>>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const later = (ms: number, commit: () => Promise<void>) => {
    const started = generation;
    const run: Promise<void> = sleep(ms)
      .then(() => (started === generation ? commit() : undefined))
      .catch((error: unknown) => process.emitWarning(`Clerk emulator: delayed commit failed: ${String(error)}`))
      .finally(() => delayedCommits.delete(run));
    delayedCommits.add(run);
  };

  const instanceFor = (secretKey = secretKeys[0] as string) => {
    const instance = instances.get(secretKey);
    if (!instance) throw new RangeError(`unknown secret key ${secretKey}`);
    return instance;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/__emulator/') && options.control && emulator) {
      if (await handleControlRequest(emulator, method, url, body.json, res)) return;
    }
    const record: CallRecord = {
      seq: calls.length > 0 ? (calls.at(-1) as CallRecord).seq + 1 : 1,
      time: now(),
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      body: body.unparsable ? body.text : body.json,
      status: null,
      instance: null,
      route: null,
      fault: null,
      committed: false,
      invitationIds: [],
      errorCodes: [],
      traceId: null,
    };
    calls.push(record);
    if (!url.pathname.startsWith('/v1/')) {
      record.status = 404;
      record.errorCodes = ['resource_not_found'];
      record.traceId = sendClerkError(res, clerkErrors.resourceNotFound());
      return;
    }
    if (method === 'GET' && url.pathname === '/v1/tickets/accept') return acceptTicket(url, res, record);
    await handleApiRequest(
      { instances, validator, faults, signingKeys, orgDuplicateInvitation, now, sleep, later },
      { req, res, url, body, record },
    );
  }

  /**
   * The ticket link in `url` accepts the invitation at once (Clerk would start a sign-up instead),
   * then redirects to the invitation's `redirect_url` when it had one.
   */
  function acceptTicket(url: URL, res: ServerResponse, record: CallRecord): void {
    const ticket = url.searchParams.get('ticket') ?? '';
    if (acceptOrgTicket(ticket, res, record)) return;
    const instance = [...instances.values()].find((i) => i.findByTicketUrl(ticket));
    const invitation = instance?.findByTicketUrl(ticket);
    if (!instance || !invitation || instance.statusOf(invitation, now()) !== 'pending') {
      record.status = 404;
      record.errorCodes = ['resource_not_found'];
      record.traceId = sendClerkError(res, clerkErrors.resourceNotFound());
      return;
    }
    instance.accept(invitation.id, now());
    Object.assign(record, { instance: instance.secretKey, committed: true, invitationIds: [invitation.id] });
    if (invitation.redirectUrl) {
      record.status = 303;
      res.writeHead(303, { Location: invitation.redirectUrl }).end();
      return;
    }
    record.status = 200;
    sendJson(res, 200, instance.toWire(invitation, now()));
  }

  /** An organization invitation's link: accepts it, then redirects like an instance invitation's. */
  function acceptOrgTicket(ticket: string, res: ServerResponse, record: CallRecord): boolean {
    const instance = [...instances.values()].find((i) => i.orgs.findByTicket(ticket));
    const invitation = instance?.orgs.findByTicket(ticket);
    if (!instance || !invitation) return false;
    if (instance.orgs.statusOf(invitation, now()) !== 'pending') {
      record.status = 404;
      record.errorCodes = ['resource_not_found'];
      record.traceId = sendClerkError(res, clerkErrors.resourceNotFound());
      return true;
    }
    instance.acceptOrgInvitation(invitation.id, now());
    Object.assign(record, { instance: instance.secretKey, committed: true, invitationIds: [invitation.id] });
    record.status = invitation.redirectUrl ? 303 : 200;
    if (invitation.redirectUrl) res.writeHead(303, { Location: invitation.redirectUrl }).end();
    else sendJson(res, 200, instance.orgs.toWire(invitation, now(), instance.users.values()));
    return true;
  }

  const server = createServer({ ServerResponse: clockedResponseClass(now) }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.emitWarning(`Clerk emulator: ${String(error)}`);
      if (!res.headersSent) sendClerkError(res, clerkErrors.internal());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  for (const key of secretKeys) instances.set(key, new InstanceStore(key, limits, url));

  let closing: Promise<void> | undefined;
  emulator = {
    url,
    port,
    secretKeys,
    calls,
    faults,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        // Their timers are gone, so they never settle; forgetting them keeps settleDelayedCommits() from hanging.
        delayedCommits.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    reset() {
      for (const instance of instances.values()) instance.reset();
      calls.length = 0;
      faults.clear();
      faults.seed(faultSeed);
      clockOffset = initialOffset;
      advanced = 0;
      generation += 1;
    },
    seedUsers: (emails, secretKey) => emails.map((email) => copy(instanceFor(secretKey).seedUser(email, now()))),
    users: (secretKey) => [...instanceFor(secretKey).users.values()].map(copy),
    seedInvitations: (seeds, secretKey) => seeds.map((seed) => copy(instanceFor(secretKey).seedInvitation(seed, now()))),
    acceptInvitation(id, secretKey) {
      const invitation = instanceFor(secretKey).accept(id, now());
      if (!invitation) throw new RangeError(`unknown invitation ${id}`);
      return copy(invitation);
    },
    invitations(secretKey) {
      const instance = instanceFor(secretKey);
      return [...instance.invitations.values()].map((invitation) => ({
        ...copy(invitation),
        status: instance.statusOf(invitation, now()),
      }));
    },
    seedOrganization: (organization, secretKey) => copy(instanceFor(secretKey).orgs.seedOrganization(organization, now())),
    organizations: (secretKey) => [...instanceFor(secretKey).orgs.organizations.values()].map(copy),
    seedMembership: (organizationId, user, role, secretKey) =>
      copy(instanceFor(secretKey).seedMembership(organizationId, user, role, now())),
    memberships(organizationId, secretKey) {
      const { orgs } = instanceFor(secretKey);
      orgs.organization(organizationId);
      return [...(orgs.memberships.get(organizationId)?.values() ?? [])].map(copy);
    },
    organizationInvitations(organizationId, secretKey) {
      const { orgs } = instanceFor(secretKey);
      orgs.organization(organizationId);
      return [...orgs.invitations.values()]
        .filter((invitation) => invitation.organizationId === organizationId)
        .map((invitation) => ({ ...copy(invitation), status: orgs.statusOf(invitation, now()) }));
    },
    acceptOrganizationInvitation: (id, secretKey) => copy(instanceFor(secretKey).acceptOrgInvitation(id, now())),
    now,
    advanceClock(ms) {
      advanced += ms;
    },
    clockOffsetMs: () => clockOffset,
    setClockOffset(ms) {
      clockOffset = checkClockOffset(ms);
    },
    async settleDelayedCommits() {
      while (delayedCommits.size > 0) await Promise.all([...delayedCommits]);
    },
    signSessionToken: (claims, tokenOptions = {}) =>
      signingKeys.sign(
        instanceFor(tokenOptions.secretKey).secretKey,
        claims,
        url,
        tokenOptions.expiresInSeconds,
        Date.now() + clockOffset,
      ),
    async signingKey(secretKey) {
      const { kid, publicKeyPem } = await signingKeys.get(instanceFor(secretKey).secretKey);
      return { kid, publicKeyPem };
    },
  };
  return emulator;
}
