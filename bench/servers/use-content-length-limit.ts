import { createGraphQLError } from '@graphql-tools/utils';
import type { Plugin } from 'graphql-yoga';

const tooLarge = () => createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
const CONTENT_LENGTH = /^\d+$/;

export interface ContentLengthLimitOptions {
  /**
   * Largest body accepted, in bytes.
   * @default 1048576 (the gateway's MAX_REQUEST_BODY_BYTES default)
   */
  maxBytes?: number;
}

/**
 * The comparison servers' body limit, written apart from the gateway's so the baseline does not move
 * with the code it measures: a declared `Content-Length` is checked before anything is read (413 when
 * over), and only a body without one (chunked) is streamed through a counter. Use with
 * `maxRequestBodySize: false`, which turns off yoga's own limiter that streams every body.
 */
export function useContentLengthLimit({ maxBytes = 1_048_576 }: ContentLengthLimitOptions = {}): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!CONTENT_LENGTH.test(declared)) throw createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        if (Number(declared) > maxBytes) throw tooLarge();
        // The HTTP parser never hands over more than the declared length.
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => {
        let seen = 0;
        const counted = req.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              seen += chunk.byteLength;
              if (seen > maxBytes) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, signal: req.signal, body: counted, duplex: 'half' } as RequestInit));
      });
    },
  };
}
