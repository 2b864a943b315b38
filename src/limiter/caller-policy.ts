import type { Caller } from '../auth/caller.ts';
import type { ApiKeyEntry, CallerLimitDefault } from '../config.ts';
import type { RateLimitOverride } from './apply-rate-limits.ts';

export interface CallerPolicyOptions {
  /** GATEWAY_API_KEYS: an entry with a limit of its own is held to it. */
  apiKeys: readonly ApiKeyEntry[];
  /** RATE_LIMIT_SESSION_*: Clerk users. */
  session: CallerLimitDefault;
  /** RATE_LIMIT_MACHINE_*: Clerk machines (M2M tokens). */
  machine: CallerLimitDefault;
}

/**
 * Which values replace RATE_LIMIT_MAX / RATE_LIMIT_WINDOW for a caller. An API key's own limit is whole
 * (both parts); a session or machine default may set one part and leave the other to the overall default.
 * The answer depends on the caller's kind and key name only, so one caller is always judged by one limit.
 */
export function callerLimitPolicy({ apiKeys, session, machine }: CallerPolicyOptions): (caller: Caller) => RateLimitOverride | undefined {
  const byKey = new Map<string, RateLimitOverride>();
  for (const entry of apiKeys) if (entry.limit) byKey.set(`apikey:${entry.name}`, { ...entry.limit });
  const own = (values: CallerLimitDefault) => (values.max === undefined && values.window === undefined ? undefined : { ...values });
  const sessions = own(session);
  const machines = own(machine);
  return (caller) => {
    switch (caller.kind) {
      case 'apikey':
        return byKey.get(caller.id);
      case 'user':
        return sessions;
      case 'machine':
        return machines;
      default:
        return undefined;
    }
  };
}
