import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

/**
 * Two answers end their connection. One written while the server drains (see `drain`). And one
 * written before its request's body has fully arrived (a 401 from authentication, a 413
 * from the body limit) leaves the rest of that body on the connection. Kept alive, the server reads
 * the client's next request as more body (a chunked body has no end until the client sends one), so
 * the next request is answered with a 400, or never. Such a response goes out with
 * `Connection: close` and the socket is closed after it, as HTTP/1.1 (RFC 9112 §9.6) allows.
 */
function closeWhenDue(req: IncomingMessage, res: ServerResponse, draining: () => boolean): void {
  const writeHead = res.writeHead;
  // Node's implicit headers (a first write() without writeHead) also go through res.writeHead.
  res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    // `complete` turns true once the parser has seen the end of the body, read by the handler or not.
    if (!req.complete || draining()) {
      this.setHeader('connection', 'close');
      this.shouldKeepAlive = false;
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

export interface GatewayNodeServer extends Server {
  /**
   * Stops taking connections and ends the open ones without racing a client: every answer from now on
   * says `Connection: close`, so no client sends another request on a connection the server is about
   * to close (which would end in a reset, the request maybe sent). Resolves once every connection is gone.
   */
  drain(): Promise<void>;
}

/** The gateway's HTTP/1.1 server around a request handler (the yoga instance). */
export function createGatewayNodeServer(handler: RequestListener): GatewayNodeServer {
  let draining = false;
  const server = createServer((req, res) => {
    closeWhenDue(req, res, () => draining);
    handler(req, res);
  }) as GatewayNodeServer;
  server.drain = () => {
    draining = true;
    // close() also ends the connections that are idle now; the busy ones end after their answer.
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return server;
}
