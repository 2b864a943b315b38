/** Environment settings of the standalone emulator (`npm run emulator`). */
import { MAX_CLOCK_OFFSET_MS } from './clerk-clock.ts';
import type { OrgDuplicateInvitation, OrgLimitScope } from './organization-types.ts';

export interface EmulatorEnvConfig {
  port: number;
  host: string;
  /** Empty when none were given; the caller generates one. */
  secretKeys: string[];
  bulkPerHour?: number;
  singlePerHour?: number;
  /** How far Clerk's clock runs ahead of real time (negative: behind), in ms. */
  clockOffsetMs: number;
  orgBulkPerHour?: number;
  orgSinglePerHour?: number;
  orgLimitScope?: OrgLimitScope;
  /** The window the `*_PER_HOUR` limits count over, in ms (EMULATOR_BUDGET_WINDOW). */
  windowMs?: number;
  orgDuplicateInvitation?: OrgDuplicateInvitation;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new RangeError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(env[name])}`);
  }
  return raw as T;
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A window in the gateway's notation (`500ms`, `30s`, `15m`, `1h`, `1d`), so both can be set alike. */
function window(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new RangeError(`${name} must be a number and a unit above zero, like 500ms, 30s, 15m, 1h or 1d, got ${JSON.stringify(raw)}`);
  }
  return ms;
}

/** Reads and checks the `EMULATOR_*` variables; throws a RangeError naming the variable and value. */
export function parseEmulatorEnv(env: NodeJS.ProcessEnv = process.env): EmulatorEnvConfig {
  const secretKeys = (env.EMULATOR_SECRET_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const bad = secretKeys.find((key) => /\s/.test(key));
  if (bad !== undefined) throw new RangeError(`EMULATOR_SECRET_KEYS entries cannot contain spaces, got ${JSON.stringify(bad)}`);
  if (new Set(secretKeys).size !== secretKeys.length) {
    throw new RangeError(`EMULATOR_SECRET_KEYS has a key twice, got ${JSON.stringify(env.EMULATOR_SECRET_KEYS)}`);
  }
  return {
    port: integer(env, 'EMULATOR_PORT', 0, 65_535) ?? 4010,
    host: env.EMULATOR_HOST?.trim() || '127.0.0.1',
    secretKeys,
    bulkPerHour: integer(env, 'EMULATOR_BULK_PER_HOUR', 1, 1_000_000),
    singlePerHour: integer(env, 'EMULATOR_SINGLE_PER_HOUR', 1, 1_000_000),
    clockOffsetMs: integer(env, 'EMULATOR_CLOCK_OFFSET_MS', -MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS) ?? 0,
    orgBulkPerHour: integer(env, 'EMULATOR_ORG_BULK_PER_HOUR', 1, 1_000_000),
    orgSinglePerHour: integer(env, 'EMULATOR_ORG_SINGLE_PER_HOUR', 1, 1_000_000),
    orgLimitScope: oneOf(env, 'EMULATOR_ORG_LIMIT_SCOPE', ['instance', 'organization'] as const),
    windowMs: window(env, 'EMULATOR_BUDGET_WINDOW'),
    orgDuplicateInvitation: oneOf(env, 'EMULATOR_ORG_DUPLICATE_INVITATION', ['refuse', 'reuse'] as const),
  };
}
