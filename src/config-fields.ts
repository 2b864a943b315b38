import { createPublicKey } from 'node:crypto';
import { z } from 'zod';

// The value shapes config.ts reads variables as; each parser's messages name what it expects.

/** A gateway API key as configured: the caller's name and the SHA-256 of the key, never the key. */
export interface ApiKeyEntry {
  name: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
  /** This key's own createInvitations limit; absent: RATE_LIMIT_MAX / RATE_LIMIT_WINDOW. */
  limit?: { max: number; window: string };
}

/** Parts of a caller limit that replace the overall default; an absent part falls back to it. */
export interface CallerLimitDefault {
  max?: number;
  /** In the directive's notation: `500ms`, `30s`, `15m`, `1h`, `1d`. */
  window?: string;
}


export const positiveInt = z.coerce.number().int().positive();
const windowPattern = /^\d+(ms|s|m|h|d)$/;
const WINDOW_FORM = 'a number and a unit: 500ms, 30s, 15m, 1h, 1d';
/** A caller limit's window: the directive's `ms` notation, never zero. */
export const rateLimitWindow = z
  .string()
  .regex(windowPattern, `must be ${WINDOW_FORM}`)
  .refine((v) => Number.parseInt(v, 10) > 0, 'must be longer than zero');
export const MAX_RATE_LIMIT = 1_000_000_000;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A window that `rateLimitWindow` accepted, in ms. */
export const windowMs = (window: string): number => {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(window) as RegExpExecArray;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
};
/** BATCH_WINDOW_MAX_MS's default for Clerk's hour. */
const HOUR_BATCH_WINDOW_MAX_MS = 10_000;

/**
 * BATCH_WINDOW_MAX_MS when unset: 10 s for an hour-long budget window, and the same share of a shorter
 * one (28 ms of a 10 s window), never below BATCH_WINDOW_MS. A batch of single creates waits up to
 * this for company once the bulk calls are spent; 10 s of a 10 s "hour" would be the whole hour.
 */
export const defaultBatchWindowMaxMs = (budgetWindowMs: number, batchWindowMs: number): number =>
  Math.max(batchWindowMs, Math.round((HOUR_BATCH_WINDOW_MAX_MS * Math.min(budgetWindowMs, 3_600_000)) / 3_600_000));

export const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** A comma list whose items each pass `check` (which returns the problem, or undefined). */
export const commaList = (check: (item: string) => string | undefined) =>
  z.string().transform((value, ctx) => {
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    for (const item of items) {
      const problem = check(item);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: value });
    }
    return items;
  });

const originProblem = (item: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return `"${item}" is not an origin like https://app.example.com`;
  }
  const bare = item.replace(/\/$/, '');
  if (!/^https?:$/.test(url.protocol) || url.origin !== bare) {
    return `"${item}" is not an origin like https://app.example.com (scheme, host and port only)`;
  }
  return undefined;
};
export const origins = commaList(originProblem).transform((items) => items.map((item) => new URL(item).origin));

/** Clerk's PEM public key, given with real newlines or `\n` escapes (one-line env files). */
export const jwtKey = z.string().transform((value, ctx) => {
  const pem = value.replace(/\\n/g, '\n').trim();
  try {
    const key = createPublicKey(pem);
    const details = key.asymmetricKeyDetails;
    // The SDK reads the modulus straight out of the PEM text, which only works for this key shape.
    if (key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== 2048 || details.publicExponent !== 65537n) {
      throw new Error('not RSA-2048');
    }
    return key.export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    ctx.issues.push({ code: 'custom', message: 'not an RSA-2048 public key in PEM form', input: value });
    return z.NEVER;
  }
});

export const roleKeys = commaList((item) => (/^org:[\w:-]+$/.test(item) ? undefined : `"${item}" is not a Clerk role key like org:admin`));
export const permissionKeys = commaList((item) =>
  /^org:[\w-]+:[\w-]+$/.test(item) ? undefined : `"${item}" is not a Clerk permission key like org:invitations:manage`,
);

const apiKeyName = /^[A-Za-z0-9._-]{1,64}$/;
const apiKeyEntry = /^([A-Za-z0-9._-]{1,64}):([0-9a-fA-F]{64})(?::(.*))?$/;
const apiKeyLimit = /^(\d+)\/(\d+(?:ms|s|m|h|d))$/;
const API_KEY_FORM = 'name:sha256-hex or name:sha256-hex:max/window (printf %s "$KEY" | sha256sum; e.g. import:<hex>:5000/1d)';

/** Why an entry's limit part is wrong, or undefined. Only a value that cannot be key material is echoed. */
const apiKeyLimitProblem = (name: string, limit: string): string | undefined => {
  const shown = /^[0-9a-z/]{1,24}$/.test(limit) ? ` "${limit}"` : '';
  const match = apiKeyLimit.exec(limit);
  const form = `max/window, max a whole number from 1 to ${MAX_RATE_LIMIT} and window ${WINDOW_FORM} (e.g. ${name}:<hex>:5000/1d)`;
  if (!match) return `entry "${name}": limit${shown} must be ${form}`;
  const max = Number(match[1]);
  if (max < 1 || max > MAX_RATE_LIMIT) return `entry "${name}": limit${shown} has max ${max}; it must be ${form}`;
  if (Number.parseInt(match[2] as string, 10) === 0) return `entry "${name}": limit${shown} has a zero window; it must be ${form}`;
  return undefined;
};

export const apiKeys = commaList((item) => {
  const match = apiKeyEntry.exec(item);
  const name = item.split(':')[0] ?? '';
  if (!match) return `entry "${apiKeyName.test(name) ? name : '?'}:…" must be ${API_KEY_FORM}`;
  return match[3] === undefined ? undefined : apiKeyLimitProblem(name, match[3]);
}).transform((items, ctx) => {
  const entries = items.map((item): ApiKeyEntry => {
    const [, name, hash, limit] = apiKeyEntry.exec(item) as RegExpExecArray;
    const entry: ApiKeyEntry = { name: name as string, sha256: (hash as string).toLowerCase() };
    const parts = limit === undefined ? null : apiKeyLimit.exec(limit);
    if (parts) entry.limit = { max: Number(parts[1]), window: parts[2] as string };
    return entry;
  });
  const names = entries.map((e) => e.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) ctx.issues.push({ code: 'custom', message: `names must be unique (repeated: ${repeated.join(', ')})`, input: '' });
  return entries;
});
