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
    orgDuplicateInvitation: oneOf(env, 'EMULATOR_ORG_DUPLICATE_INVITATION', ['refuse', 'reuse'] as const),
  };
}
