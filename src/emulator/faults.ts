/** Fault-injection rules shared by the in-process API and the `/__emulator/faults` control route. */
import { EDGE_STATUSES } from './edge-pages.ts';
import type { ActiveFaultRule, FaultController, FaultKind, FaultRoute, FaultRule, RouteKind } from './types.ts';

/** Every endpoint kind a fault rule can target; the control route and rule checks read this list. */
export const ROUTE_KINDS = [
  'single',
  'bulk',
  'list',
  'revoke',
  'delete',
  'users',
  'users-count',
  'jwks',
  'org-single',
  'org-bulk',
  'org-list',
  'org-get',
  'org-revoke',
] as const satisfies readonly RouteKind[];

// Fails to compile when RouteKind gains a member this list lacks.
type MissingRouteKind = Exclude<RouteKind, (typeof ROUTE_KINDS)[number]>;
const everyRouteKindListed: [MissingRouteKind] extends [never] ? true : never = true;
void everyRouteKindListed;

export const FAULT_ROUTES = [...ROUTE_KINDS, 'any'] as const satisfies readonly FaultRoute[];

export const FAULT_KINDS = [
  'latency',
  'hang',
  'error500-before-commit',
  'error500-after-commit',
  'reset-before-commit',
  'reset-after-commit',
  'rate-limit',
  'malformed-body',
  'edge-before-commit',
  'edge-after-commit',
  'edge-during-commit',
] as const satisfies readonly FaultKind[];

/** mulberry32: tiny, seedable and good enough to decide whether a fault fires. */
function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function checkRule(rule: FaultRule): void {
  if (!(FAULT_ROUTES as readonly string[]).includes(rule.route)) throw new TypeError(`unknown route ${String(rule.route)}`);
  if (!(FAULT_KINDS as readonly string[]).includes(rule.fault)) throw new TypeError(`unknown fault ${String(rule.fault)}`);
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new RangeError(`probability must be within 0..1, got ${rule.probability}`);
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1)) {
    throw new RangeError(`times must be a positive integer, got ${rule.times}`);
  }
  if (rule.edgeStatus !== undefined && !(EDGE_STATUSES as readonly number[]).includes(rule.edgeStatus)) {
    throw new RangeError(`edgeStatus must be one of ${EDGE_STATUSES.join(', ')}, got ${String(rule.edgeStatus)}`);
  }
  if (rule.commitDelayMs !== undefined && !(Number.isInteger(rule.commitDelayMs) && rule.commitDelayMs >= 0)) {
    throw new RangeError(`commitDelayMs must be a non-negative integer, got ${String(rule.commitDelayMs)}`);
  }
}

export interface FaultInjector extends FaultController {
  /** Picks the fault for a request, consuming one use of the rule that fired. */
  pick(route: RouteKind, secretKey: string): ActiveFaultRule | undefined;
}

export function createFaultInjector(initialSeed = 1): FaultInjector {
  let rules: ActiveFaultRule[] = [];
  let nextId = 1;
  let random = createRng(initialSeed);
  return {
    add(...newRules) {
      newRules.forEach(checkRule);
      const added = newRules.map((rule) => ({ ...rule, id: nextId++, applied: 0 }));
      rules.push(...added);
      return added.map((rule) => ({ ...rule }));
    },
    clear() {
      rules = [];
    },
    list() {
      return rules.map((rule) => ({ ...rule }));
    },
    seed(seed) {
      random = createRng(seed);
    },
    pick(route, secretKey) {
      const rule = rules.find(
        (r) =>
          (r.route === 'any' || r.route === route) &&
          (r.secretKey === undefined || r.secretKey === secretKey) &&
          (r.probability === undefined || random() < r.probability),
      );
      if (!rule) return undefined;
      rule.applied += 1;
      if (rule.times !== undefined && rule.applied >= rule.times) rules = rules.filter((r) => r !== rule);
      return { ...rule };
    },
  };
}
