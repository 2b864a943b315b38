import { createClerkClient } from '@clerk/backend';
import type { ChannelPolicy } from '../../src/batcher/channel-policy.ts';
import { BatchDispatcher } from '../../src/batcher/dispatcher.ts';
import { MemoryBudget } from '../../src/budget/index.ts';
import { ClerkUpstream } from '../../src/clerk/upstream.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { validateItems } from '../../src/invitations/validate-item.ts';
import type { Cell, ScenarioOutput } from '../support/report.ts';
import { round } from '../support/stats.ts';
import { CLERK_LIMITS } from './budget-sim.ts';

const BATCH = 10;
const BAD_COUNTS = [1, 2, 5];

interface BadKind {
  name: string;
  /** Makes `email` bad on the emulator and returns the address to send. */
  prepare(emulator: Emulator, email: string): string;
  expectedCode: string;
  /** A rule of Clerk's the gateway does not know: its own validation is bypassed to send the item. */
  unknownToGateway?: boolean;
}

const KINDS: BadKind[] = [
  {
    name: 'duplicate invitation',
    prepare: (emulator, email) => (emulator.seedInvitations([{ emailAddress: email }]), email),
    expectedCode: 'ALREADY_INVITED',
  },
  { name: 'existing user', prepare: (emulator, email) => (emulator.seedUsers([email]), email), expectedCode: 'USER_EXISTS' },
  {
    // A rule of Clerk's the gateway does not know (here a domain label ending in '-', which the gateway
    // does check, so its validation is bypassed); Clerk names only the parameter.
    name: 'unattributable error',
    prepare: (_emulator, email) => email.replace('@', '@bad-.'),
    expectedCode: 'INVALID_INPUT',
    unknownToGateway: true,
  },
];

interface Cost {
  bulk: number;
  single: number;
  delivered: number;
  /** Good items answered retryable without being sent (isolation stopped early). */
  heldBack: number;
  badCodes: string[];
}

/** Bad items spread through the batch, the harder case for bisection: [0], [0, 5], [0, 2, 4, 6, 8]. */
const badPositions = (k: number) => new Set(Array.from({ length: k }, (_, j) => Math.floor((j * BATCH) / k)));

function batchFor(emulator: Emulator, kind: BadKind, k: number, tag: string): { emails: string[]; bad: Set<number> } {
  emulator.reset();
  const bad = badPositions(k);
  const emails = Array.from({ length: BATCH }, (_, i) => {
    const email = `${tag}-${i}@example.com`;
    return bad.has(i) ? kind.prepare(emulator, email) : email;
  });
  return { emails, bad };
}

function count(emulator: Emulator): Pick<Cost, 'bulk' | 'single'> {
  return {
    bulk: emulator.calls.filter((c) => c.route === 'bulk').length,
    single: emulator.calls.filter((c) => c.route === 'single').length,
  };
}

async function gatewayCost(emulator: Emulator, policy: ChannelPolicy, kind: BadKind, k: number): Promise<Cost> {
  const { emails, bad } = batchFor(emulator, kind, k, `gw-${policy}`);
  const items = kind.unknownToGateway
    ? emails.map((emailAddress) => ({ ok: true as const, params: { emailAddress } }))
    : validateItems(emails.map((emailAddress) => ({ emailAddress })));
  if (!items.every((i) => i.ok)) throw new Error(`${kind.name}: the gateway would not send every item, so Clerk never sees them`);
  const dispatcher = new BatchDispatcher({
    upstream: new ClerkUpstream({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url, timeoutMs: 10_000 }),
    budget: new MemoryBudget(CLERK_LIMITS),
    policy,
    ...CLERK_LIMITS,
    upstreamTimeoutMs: 10_000,
  });
  const outcomes = await dispatcher.send(items.map((i) => (i.ok ? i.params : { emailAddress: '' })));
  return {
    ...count(emulator),
    delivered: outcomes.filter((o) => o.kind === 'created').length,
    heldBack: outcomes.filter((o, i) => !bad.has(i) && o.kind === 'failed' && o.code === 'UPSTREAM_ERROR' && o.retryable).length,
    badCodes: outcomes.filter((_, i) => bad.has(i)).map((o) => (o.kind === 'failed' ? o.code : 'CREATED')),
  };
}

/** The naive strategy: one bulk call of the 10; when Clerk refuses it, one createInvitation per item. */
async function naiveCost(emulator: Emulator, kind: BadKind, k: number): Promise<Cost> {
  const { emails } = batchFor(emulator, kind, k, 'naive');
  const clerk = createClerkClient({ secretKey: emulator.secretKeys[0]!, apiUrl: emulator.url });
  let delivered = 0;
  try {
    delivered = (await clerk.invitations.createInvitationBulk(emails.map((emailAddress) => ({ emailAddress })))).length;
  } catch {
    for (const emailAddress of emails) {
      delivered += await clerk.invitations.createInvitation({ emailAddress }).then(() => 1, () => 0);
    }
  }
  return { ...count(emulator), delivered, heldBack: 0, badCodes: [] };
}

const calls = (c: Cost) => c.bulk + c.single;
/** Capacity used out of the 350-an-hour ceiling: a bulk call could have carried 10, a single carries 1. */
const slots = (c: Cost) => c.bulk * 10 + c.single;
const show = (c: Cost) => `${calls(c)} (${c.bulk}b + ${c.single}s)`;
const perBad = (c: Cost, k: number) => round((calls(c) - 1) / k, 1);

export async function runFailureCost(): Promise<ScenarioOutput> {
  const emulator = await startEmulator({ port: 0, limits: CLERK_LIMITS });
  const rows: Cell[][] = [];
  const data: Record<string, unknown>[] = [];
  const problems: string[] = [];
  try {
    for (const kind of KINDS) {
      for (const k of BAD_COUNTS) {
        const auto = await gatewayCost(emulator, 'auto', kind, k);
        const bulk = await gatewayCost(emulator, 'bulk', kind, k);
        const naive = await naiveCost(emulator, kind, k);
        for (const [name, cost] of [['auto', auto], ['bulk', bulk], ['naive', naive]] as const) {
          if (cost.delivered + cost.heldBack !== BATCH - k) {
            problems.push(`${kind.name}, ${k} bad, ${name}: delivered ${cost.delivered} and held back ${cost.heldBack} of ${BATCH - k} good items`);
          }
        }
        for (const [name, cost] of [['auto', auto], ['bulk', bulk]] as const) {
          // Once isolation stops, the bad items not yet tried are held back like the good ones.
          const heldBackCode = kind.unknownToGateway ? 'UPSTREAM_ERROR' : kind.expectedCode;
          if (cost.badCodes.some((c) => c !== kind.expectedCode && c !== heldBackCode)) problems.push(`${kind.name}, ${k} bad, ${name}: bad items answered ${cost.badCodes.join(', ')}`);
        }
        data.push({ kind: kind.name, bad: k, gatewayAuto: auto, gatewayBulk: bulk, naive });
        rows.push([
          kind.name,
          `${k} of ${BATCH}`,
          show(auto) + (auto.heldBack ? `, ${auto.heldBack} held back` : ''),
          show(bulk) + (bulk.heldBack ? `, ${bulk.heldBack} held back` : ''),
          show(naive),
          `${perBad(auto, k)} / ${perBad(bulk, k)} / ${perBad(naive, k)}`,
          `${slots(auto)} / ${slots(bulk)} / ${slots(naive)}`,
        ]);
      }
    }
  } finally {
    await emulator.close();
  }
  return {
    key: 'failureCost',
    title: '5. Failure cost: bad items in a batch of 10',
    intro:
      'One batch of 10 with 1, 2 or 5 bad items (spread through the batch), sent by the real BatchDispatcher with the ' +
      '`auto` and `bulk` policies, and by the naive approach, against the emulator with Clerk\'s limits (25/100). ' +
      '**Naive strategy:** one `createInvitationBulk` of all 10; Clerk refuses the whole call, so the caller retries ' +
      'each of the 10 with `createInvitation`. A clean batch costs 1 call (10 slots) everywhere.',
    tables: [
      {
        columns: ['bad item', 'bad', 'gateway auto calls', 'gateway bulk calls', 'naive calls', 'extra calls per bad item (auto / bulk / naive)', 'slots of the 350/h ceiling (auto / bulk / naive)'],
        rows,
      },
    ],
    notes: [
      '`b` = bulk calls (25 an hour), `s` = single creates (100 an hour). A slot is one invitation of the hourly ceiling: a bulk call uses 10 whatever it carries, a single 1.',
      'Duplicates are named by address in Clerk\'s error (`meta.email_addresses`), so the gateway drops them and resends the rest once: 2 bulk calls whatever the count.',
      'An existing user (`form_identifier_exists`) names no address; the gateway asks Clerk\'s user list (general allowance, not counted here) which addresses are taken and resends the rest in one bulk call. An error that names nothing at all (a rule of Clerk\'s the gateway does not check) is isolated: `auto` with single creates in waves of two (exact, 1 slot each) that stop once Clerk refuses two items the same way, answering the rest retryable ("held back") instead of spending the single hour on them; `bulk` by bisecting with bulk calls.',
      problems.length === 0
        ? `Every run delivered all ${BATCH} − k good invitations or held them back retryable, and the gateway answered each bad item with its own code (ALREADY_INVITED, USER_EXISTS, INVALID_INPUT) or held it back.`
        : `Problems: ${problems.join('; ')}`,
    ],
    data: { batch: BATCH, naiveStrategy: 'one createInvitationBulk of the 10; on any error, one createInvitation per item', cases: data, problems },
  };
}
