import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningStack, startListeningStack } from '../support/listening-stack.ts';

// The gateway's own node server (as src/main.ts builds it), spoken to over a raw socket so the test
// controls exactly how much of a request body has been sent when the answer comes.
let listening: ListeningStack;
let port: number;

beforeAll(async () => {
  listening = await startListeningStack({ MAX_REQUEST_BODY_BYTES: '2048' });
  port = listening.port;
});
afterAll(() => listening.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One TCP connection; answers are read off it in order, `closed` settles when the server ends it. */
async function openConnection() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffer = '';
  let wake: () => void = () => {};
  const closed = new Promise<void>((resolve) => socket.once('end', resolve));
  socket.on('data', (data) => {
    buffer += String(data);
    wake();
  });
  socket.on('error', () => {});

  function take(): RawResponse | undefined {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = buffer.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) return undefined;
    const body = buffer.slice(end + 4, end + 4 + length);
    buffer = buffer.slice(end + 4 + length);
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  }

  return {
    socket,
    closed,
    write: (text: string) => socket.write(text),
    async response(): Promise<RawResponse> {
      for (;;) {
        const response = take();
        if (response) return response;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const head = (authorization: string, extra = 'Transfer-Encoding: chunked') =>
  `POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\n${extra}\r\n\r\n`;
const query = JSON.stringify({ query: '{ __typename }' });

describe('an answer sent before the request body was read', () => {
  it('401 to a chunked POST still sending its body: Connection: close, and the server closes the socket', async () => {
    const connection = await openConnection();
    connection.write(head('Bearer not-a-key') + chunk('{"query":'));
    const response = await connection.response();
    expect(response.status).toBe(401);
    expect(response.headers['connection']).toBe('close');
    // A request sent now would be read as more body; the server must not leave the client waiting.
    connection.write(chunk(' "{ __typename }"}'));
    await connection.closed;
  });

  it('413 to a chunked POST larger than MAX_REQUEST_BODY_BYTES: Connection: close, and the server closes the socket', async () => {
    const connection = await openConnection();
    connection.write(head(`Bearer ${listening.stack.apiKey}`));
    for (let i = 0; i < 4; i++) connection.write(chunk(' '.repeat(1000)));
    const response = await connection.response();
    expect(response.status).toBe(413);
    expect(response.headers['connection']).toBe('close');
    await connection.closed;
  });

  it('413 to a declared Content-Length over the limit, before any body: Connection: close, and the server closes', async () => {
    const connection = await openConnection();
    connection.write(head(`Bearer ${listening.stack.apiKey}`, 'Content-Length: 100000'));
    const response = await connection.response();
    expect(response.status).toBe(413);
    expect(response.headers['connection']).toBe('close');
    await connection.closed;
  });
});

describe('requests whose bodies were read', () => {
  it('a keep-alive pair of chunked POSTs on one connection are both answered, and the connection stays open', async () => {
    const connection = await openConnection();
    for (let i = 0; i < 2; i++) {
      connection.write(head(`Bearer ${listening.stack.apiKey}`) + chunk(query) + '0\r\n\r\n');
      const response = await connection.response();
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ data: { __typename: 'Query' } });
      expect(response.headers['connection']).toBe('keep-alive');
    }
    expect(connection.socket.readyState).toBe('open');
    connection.socket.destroy();
  });
});
