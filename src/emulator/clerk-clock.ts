/**
 * Clerk's clock. Real servers stamp every answer with their own time, and a client that compares
 * Clerk's timestamps with its own clock must cope with the two disagreeing; an offset makes that
 * disagreement reproducible.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';

/** One year either way: enough for any skew worth testing, small enough to catch a unit mistake. */
export const MAX_CLOCK_OFFSET_MS = 31_536_000_000;

/** Throws a RangeError naming `name` unless `ms` is a whole number of ms within a year either way. */
export function checkClockOffset(ms: unknown, name = 'clockOffsetMs'): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || Math.abs(ms) > MAX_CLOCK_OFFSET_MS) {
    throw new RangeError(`${name} must be an integer from -${MAX_CLOCK_OFFSET_MS} to ${MAX_CLOCK_OFFSET_MS}, got ${String(ms)}`);
  }
  return ms;
}

/** RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), which `toUTCString` produces. */
export const httpDate = (ms: number): string => new Date(ms).toUTCString();

/**
 * A response class whose `Date` header comes from `now` instead of Node's real-clock one. The header
 * is set when the head is written (every path, `end()` included, goes through `writeHead`), so a
 * response delayed by a fault carries the time it left, as a real server's would.
 */
export function clockedResponseClass(now: () => number): typeof ServerResponse<IncomingMessage> {
  return class ClockedResponse extends ServerResponse<IncomingMessage> {
    constructor(req: IncomingMessage) {
      super(req);
      this.sendDate = false;
    }

    override writeHead(...args: unknown[]): this {
      if (!this.headersSent) this.setHeader('Date', httpDate(now()));
      return (ServerResponse.prototype.writeHead as (...a: unknown[]) => this).apply(this, args);
    }
  };
}
