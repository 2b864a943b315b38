import { createServer, ServerResponse, type IncomingMessage, type RequestListener, type Server } from 'node:http';

export interface GatewayNodeServer extends Server {
  /**
   * Stops taking connections and ends the open ones without racing a client: every answer from now on
   * says `Connection: close`, so no client sends another request on a connection the server is about
   * to close (which would end in a reset, the request maybe sent). Resolves once every connection is gone.
   */
  drain(): Promise<void>;
}

/**
 * Two answers end their connection. One written while the server drains (see `drain`). And one
 * written before its request's body has fully arrived (a 401 from authentication, a 413
 * from the body limit) leaves the rest of that body on the connection. Kept alive, the server reads
 * the client's next request as more body (a chunked body has no end until the client sends one), so
 * the next request is answered with a 400, or never. Such a response goes out with
 * `Connection: close` and the socket is closed after it, as HTTP/1.1 (RFC 9112 §9.6) allows.
 *
 * The check lives on a ServerResponse subclass's prototype rather than in a closure put on each
 * response: a per-response closure holding the request made every request's objects survive young
 * collections until the next full one (5–6 KB promoted per request under load, measured).
 */
function responseClass(draining: () => boolean): typeof ServerResponse {
  class GatewayResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}
  const writeHead = ServerResponse.prototype.writeHead;
  // Node's implicit headers (a first write() without writeHead) also go through writeHead.
  GatewayResponse.prototype.writeHead = function (this: ServerResponse<IncomingMessage>, ...args: Parameters<typeof writeHead>) {
    // `complete` turns true once the parser has seen the end of the body, read by the handler or not.
    if (!this.req.complete || draining()) {
      this.setHeader('connection', 'close');
      this.shouldKeepAlive = false;
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
  return GatewayResponse;
}

/** The gateway's HTTP/1.1 server around a request handler (the yoga instance). */
export function createGatewayNodeServer(handler: RequestListener): GatewayNodeServer {
  let draining = false;
  const server = createServer({ ServerResponse: responseClass(() => draining) }, handler) as GatewayNodeServer;
  server.drain = () => {
    draining = true;
    // close() also ends the connections that are idle now; the busy ones end after their answer.
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return server;
}
