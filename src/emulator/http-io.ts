/** Reading requests and writing Clerk-shaped responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClerkApiError } from './clerk-errors.ts';
import { traceId } from './ids.ts';

const MAX_BODY_BYTES = 1_048_576;

export interface ReadBody {
  /** The raw text, empty when there was no body. */
  text: string;
  /** Parsed JSON; undefined when empty or unparsable. */
  json: unknown;
  /** True when there was text but it was not JSON. */
  unparsable: boolean;
  tooLarge: boolean;
}

export async function readBody(req: IncomingMessage): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining so the client is not left writing into a closed socket.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (size > MAX_BODY_BYTES) return { text: '', json: undefined, unparsable: false, tooLarge: true };
  if (text.trim() === '') return { text, json: undefined, unparsable: false, tooLarge: false };
  try {
    return { text, json: JSON.parse(text) as unknown, unparsable: false, tooLarge: false };
  } catch {
    return { text, json: undefined, unparsable: true, tooLarge: false };
  }
}

/** Repeated keys become arrays, as Clerk reads `?email_address=a&email_address=b`. */
export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

/**
 * `Content-Type` must be exactly `application/json`: @clerk/backend parses a body only on that exact
 * value, and a `; charset=utf-8` suffix would turn every answer into a string.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, 'application/json', JSON.stringify(body), headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** Writes Clerk's error envelope with a fresh trace id, and returns that id. */
export function sendClerkError(res: ServerResponse, error: ClerkApiError): string {
  const id = traceId();
  sendJson(res, error.status, { errors: error.errors, clerk_trace_id: id }, error.headers);
  return id;
}
