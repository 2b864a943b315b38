import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningStack, startListeningStack } from '../support/listening-stack.ts';

// MAX_REQUEST_BODY_BYTES: a declared length is checked before reading, a body without one is counted,
// and no body, however its length is declared, reaches the parser with more than the limit.
const LIMIT = 2048;
let listening: ListeningStack;
let port: number;

beforeAll(async () => {
  listening = await startListeningStack({ MAX_REQUEST_BODY_BYTES: String(LIMIT) });
  port = listening.port;
});
afterAll(() => listening.close());

/** A JSON body of exactly `size` bytes asking for `__typename` (padded with spaces, which JSON allows). */
const typenameBody = (size: number) => {
  const json = JSON.stringify({ query: '{ __typename }' });
  return json + ' '.repeat(size - json.length);
};

/** Waits until the server has answered this many requests on the connection. */
interface AfterAnswers {
  answers: number;
}

/**
 * Writes `parts` to one raw connection, one after another (a `{ answers }` part waits for answers
 * first), and returns what the server wrote until it closed the connection; `ends` says after how many
 * answers the client closes instead.
 */
async function raw(parts: Array<string | AfterAnswers>, ends?: number): Promise<{ statuses: number[]; text: string }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  const statuses = () => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  let wake = () => {};
  const closed = new Promise<void>((resolve) => {
    socket.on('data', (data) => {
      text += String(data);
      wake();
      if (ends !== undefined && statuses().length >= ends && /\r\n\r\n[\s\S]*\}$/.test(text)) socket.end();
    });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
  });
  for (const part of parts) {
    if (typeof part !== 'string') {
      while (statuses().length < part.answers || !/\r\n\r\n[\s\S]*\}$/.test(text)) await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    await new Promise<void>((resolve) => socket.write(part, () => resolve()));
    // Each part arrives on its own, so the server sees the body come in pieces.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await closed;
  return { statuses: statuses(), text };
}

const head = (extra: string) =>
  `POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\nAuthorization: Bearer ${listening.stack.apiKey}\r\n${extra}\r\n\r\n`;
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

describe('over HTTP', () => {
  it('413 to a declared Content-Length over the limit, answered before any of the body is sent', async () => {
    const { statuses, text } = await raw([head('Content-Length: 100000')]);
    expect(statuses).toEqual([413]);
    expect(text).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('413 to a chunked body that grows past the limit', async () => {
    const { statuses, text } = await raw([head('Transfer-Encoding: chunked'), ...Array.from({ length: 4 }, () => chunk(' '.repeat(1000)))]);
    expect(statuses).toEqual([413]);
    expect(text).toContain('REQUEST_ENTITY_TOO_LARGE');
  });

  it('serves bodies within the limit, with a length and chunked, exactly at the limit too', async () => {
    const body = typenameBody(LIMIT);
    const withLength = await raw([head(`Content-Length: ${LIMIT}`) + body], 1);
    expect(withLength.statuses).toEqual([200]);
    expect(withLength.text).toContain('{"data":{"__typename":"Query"}}');
    const chunked = await raw([head('Transfer-Encoding: chunked'), chunk(body.slice(0, 1000)), chunk(body.slice(1000)) + '0\r\n\r\n'], 1);
    expect(chunked.statuses).toEqual([200]);
    expect(chunked.text).toContain('{"data":{"__typename":"Query"}}');
  });

  it('a Content-Length shorter than the body: the body ends there, and what follows is never body', async () => {
    // 100 declared, then 4000 more bytes: were they body, it would be over the limit and not JSON.
    const { statuses, text } = await raw([head('Content-Length: 100') + typenameBody(100), { answers: 1 }, 'x'.repeat(4000)]);
    expect(statuses[0]).toBe(200);
    expect(text).toContain('{"data":{"__typename":"Query"}}');
    // The rest was read as the start of another request: refused or dropped, never served.
    expect(statuses.slice(1).every((status) => status === 400)).toBe(true);
  });

  it('a Content-Length longer than what has arrived: the body is what was declared, not what was sent', async () => {
    // 1000 declared; 500 come, then 500 more, then 4000 past them once the first request is answered.
    const body = typenameBody(1000);
    const { statuses, text } = await raw([head('Content-Length: 1000') + body.slice(0, 500), body.slice(500), { answers: 1 }, 'y'.repeat(4000)]);
    expect(statuses[0]).toBe(200);
    expect(text).toContain('{"data":{"__typename":"Query"}}');
    expect(statuses.slice(1).every((status) => status === 400)).toBe(true);
  });
});

describe('in process (yoga.fetch), where no HTTP parser holds a body to its length', () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    listening.stack.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${listening.stack.apiKey}`, ...headers },
      body,
      // @ts-expect-error Node's fetch needs it for a stream body; the DOM types lack it.
      duplex: 'half',
    });

  /** A body that counts how much of it was read. */
  function counted(text: string) {
    const bytes = new TextEncoder().encode(text);
    const read = { bytes: 0 };
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          const part = bytes.subarray(offset, offset + 512);
          offset += part.length;
          read.bytes += part.length;
          controller.enqueue(part);
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, read };
  }

  it('413 to a declared Content-Length over the limit without reading the body', async () => {
    const { stream, read } = counted(typenameBody(5000));
    const response = await post(stream, { 'content-length': '5000' });
    expect(response.status).toBe(413);
    expect(read.bytes).toBe(0);
  });

  it('413 to a body without a length that passes the limit, stopping soon after it, not at its end', async () => {
    const { stream, read } = counted(typenameBody(100_000));
    const response = await post(stream);
    expect(response.status).toBe(413);
    expect(read.bytes).toBeLessThan(LIMIT + 4096);
  });

  it('a Content-Length smaller than the body does not let the body through', async () => {
    const response = await post(typenameBody(5000), { 'content-length': '100' });
    expect(response.status).toBe(413);
  });

  it('a Content-Length larger than a small body: the body is served as it is', async () => {
    const response = await post(typenameBody(200), { 'content-length': '2000' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('400 to a Content-Length that is not one number', async () => {
    for (const value of ['12, 12', '-1', 'abc']) {
      const response = await post(typenameBody(200), { 'content-length': value });
      expect(response.status, value).toBe(400);
    }
  });
});
