/** Where a credential came from. Only a cookie is attached by the browser without the page asking. */
export type CredentialSource = 'authorization' | 'x-api-key' | 'cookie';

export type Credential =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: string; source: CredentialSource }
  | { kind: 'present'; source: CredentialSource; value: string };

/** Clerk's session cookie, set by Clerk's frontend SDKs on the application's domain. */
export const SESSION_COOKIE = '__session';

// Far above any Clerk token or sensible key; a longer value is an attack on the hashing or parsing.
const MAX_CREDENTIAL_LENGTH = 8192;

/** Values of every cookie called `name`; more than one means another (sub)domain also set it. */
function cookieValues(header: string | null, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

function checked(source: CredentialSource, value: string): Credential {
  if (value === '') return { kind: 'malformed', reason: 'empty-credential', source };
  if (value.length > MAX_CREDENTIAL_LENGTH) return { kind: 'malformed', reason: 'credential-too-long', source };
  return { kind: 'present', source, value };
}

/**
 * The one credential a request carries: `Authorization: Bearer …`, `X-API-Key`, or the `__session`
 * cookie. A header wins over the cookie, as in Clerk's SDK. Two headers, or two session cookies (a
 * sibling subdomain can plant one), are refused rather than guessed between.
 */
export function readCredential(request: Request): Credential {
  // CSRF prevention and authentication both ask; the headers are read once per request.
  let credential = credentials.get(request);
  if (!credential) credentials.set(request, (credential = parseCredential(request)));
  return credential;
}

const credentials = new WeakMap<Request, Credential>();

function parseCredential(request: Request): Credential {
  const authorization = request.headers.get('authorization');
  const apiKey = request.headers.get('x-api-key');
  if (authorization !== null && apiKey !== null) return { kind: 'malformed', reason: 'two-credentials', source: 'authorization' };
  if (authorization !== null) {
    const match = /^Bearer +(\S*) *$/i.exec(authorization);
    if (!match) return { kind: 'malformed', reason: 'authorization-not-bearer', source: 'authorization' };
    return checked('authorization', match[1] as string);
  }
  if (apiKey !== null) return checked('x-api-key', apiKey.trim());
  const cookies = cookieValues(request.headers.get('cookie'), SESSION_COOKIE);
  if (cookies.length > 1) return { kind: 'malformed', reason: 'duplicate-session-cookie', source: 'cookie' };
  if (cookies.length === 1) return checked('cookie', cookies[0] as string);
  return { kind: 'none' };
}

/** Headers that make a browser preflight the request; either one satisfies the CSRF check. */
export const CSRF_HEADERS = ['graphql-require-preflight', 'x-graphql-csrf'] as const;

// The content types an HTML form or a no-cors fetch may send without a CORS preflight.
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * Whether a browser would have asked this server (CORS preflight) before sending the request: it has
 * a non-simple content type such as `application/json`, or one of {@link CSRF_HEADERS}. Another site
 * can make the browser send a simple request with the user's cookies, but never a preflighted one
 * unless CORS_ORIGINS lets that site in.
 */
export function isPreflighted(request: Request): boolean {
  if (CSRF_HEADERS.some((name) => request.headers.has(name))) return true;
  const type = request.headers.get('content-type');
  const essence = type?.split(';')[0]?.trim().toLowerCase();
  return !!essence && !SIMPLE_CONTENT_TYPES.has(essence);
}
