import { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface RequestBodyLimitOptions {
  /** The largest request body accepted, in bytes (MAX_REQUEST_BODY_BYTES). */
  maxBytes: number;
}

// yoga's own wording and codes, so answers are the same as with its limiter.
const tooLarge = () => createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
const badLength = () => createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });

// One non-negative integer; a list (a smuggling attempt) or a sign is refused, not skipped.
const CONTENT_LENGTH = /^\d+$/;

/**
 * Node's HTTP parser ends a request's body at its Content-Length: bytes past it are read as the next
 * request, and a body that stops short never completes. So a request that came through node:http
 * cannot carry more than it declared, and its declared length is all there is to check.
 */
const boundedByParser = (serverContext: unknown) => (serverContext as { req?: unknown } | undefined)?.req instanceof IncomingMessage;

/** Reads a body without a trusted length, refusing it as soon as it passes the limit. */
async function readCapped(request: Request, maxBytes: number, fetchAPI: { Request: typeof Request }): Promise<Request> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: Buffer.concat(chunks) });
}

/**
 * MAX_REQUEST_BODY_BYTES, in place of yoga's limiter, which passes every body through a
 * TransformStream and a stream pipeline (an AbortController and a DOMException per request). A
 * declared Content-Length over the limit is refused with 413 before any of the body is read; a body
 * the HTTP parser holds to its declared length is parsed as it is; only a body without a length
 * (chunked) or from elsewhere (in-process fetch) is read and counted. Runs after authentication,
 * as yoga's did, so a request without a credential is answered 401 whatever its size.
 */
export function useRequestBodyLimit({ maxBytes }: RequestBodyLimitOptions): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, serverContext, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!CONTENT_LENGTH.test(declared)) throw badLength();
        if (Number(declared) > maxBytes) throw tooLarge();
        if (boundedByParser(serverContext)) return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser(async (req) => requestParser(await readCapped(req, maxBytes, fetchAPI)));
    },
  };
}
