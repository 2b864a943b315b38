import type { Plugin } from 'graphql-yoga';
import { CSRF_HEADERS } from '../auth/credentials.ts';
import { RATE_LIMIT_HEADERS } from './use-rate-limit-headers.ts';

export interface CorsOptions {
  /**
   * CORS_ORIGINS: exact origins (scheme, host and port, compared as strings), or `*` for any origin
   * without cookies. Empty: same-origin only.
   */
  origins: readonly string[];
  /**
   * How long a browser may cache a preflight answer (`Access-Control-Max-Age`).
   * @default 600
   */
  maxAgeSeconds?: number;
}

const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'x-api-key', 'x-request-id', 'idempotency-key', ...CSRF_HEADERS].join(', ');

/**
 * Cross-origin access for an allowlist only: ends every OPTIONS request in `onRequest` with a 204
 * preflight answer, and adds the grant to every response in `onResponse` (`Vary: Origin` always).
 * Written here rather than taken from yoga's `cors` option,
 * which allows every origin with credentials when unconfigured and answers a non-listed origin with
 * `Access-Control-Allow-Origin: null`, a value sandboxed frames and file: pages match.
 */
export function useCors({ origins, maxAgeSeconds = 600 }: CorsOptions): Plugin {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  const allowedOrigin = (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && (anyOrigin || allowed.has(origin)) ? origin : undefined;
  };
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== 'OPTIONS') return;
      const headers = new fetchAPI.Headers({ 'Content-Length': '0' });
      if (allowedOrigin(request)) {
        headers.set('Access-Control-Allow-Methods', 'GET, POST');
        headers.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        headers.set('Access-Control-Max-Age', String(maxAgeSeconds));
      }
      endResponse(new fetchAPI.Response(null, { status: 204, headers }));
    },
    onResponse({ request, response }) {
      response.headers.append('Vary', 'Origin');
      const origin = allowedOrigin(request);
      if (!origin) return;
      response.headers.set('Access-Control-Allow-Origin', origin);
      // With `*` any site may call, so it must not ride on the user's cookies.
      if (!anyOrigin) response.headers.set('Access-Control-Allow-Credentials', 'true');
      response.headers.set('Access-Control-Expose-Headers', ['X-Request-Id', 'Retry-After', 'WWW-Authenticate', ...RATE_LIMIT_HEADERS].join(', '));
    },
  };
}
