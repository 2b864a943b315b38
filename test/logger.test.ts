import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskEmail } from '../src/logger.ts';

function captured() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }) });
  return { logger, text: () => lines.join('') };
}

describe('logger', () => {
  it('masks addresses and removes keys and tokens from messages, error texts and headers', () => {
    const { logger, text } = captured();
    logger.info('invited grace.hopper@example.com using sk_live_abc123 for gwk_k3y');
    logger.warn({ err: new Error('Clerk said ada@example.com exists') }, 'Bearer eyJhbGciOi.eyJzdWIi.c2ln failed');
    logger.info({ headers: { authorization: 'Bearer gwk_k3y', 'x-api-key': 'gwk_k3y' } }, 'request');
    const out = text();
    expect(out).toContain('g***@e***.com');
    expect(out).toContain('a***@e***.com');
    for (const secret of ['grace.hopper@example.com', 'ada@example.com', 'sk_live_abc123', 'gwk_k3y', 'eyJhbGciOi']) expect(out).not.toContain(secret);
  });

  it('keeps enough of an address to tell entries apart', () => {
    expect(maskEmail('alice@example.co.uk')).toBe('a***@e***.uk');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});
