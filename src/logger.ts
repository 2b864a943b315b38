import pino, { type Logger } from 'pino';

export type { Logger };

/** `alice@example.com` → `a***@e***.com`: enough to tell entries apart, not enough to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = address.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${address[0]}***@${host[0] ?? ''}***${tld}`;
}

const EMAIL = /[^\s@"'<>,;:]+@[^\s@"'<>,;:]+\.[A-Za-z]{2,}/g;
const SECRET = /\b(sk|pk)_(test|live)_[A-Za-z0-9_-]+|\bgwk_[A-Za-z0-9_-]+|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|\bBearer\s+\S+/g;

/** Last line of defence for free text (error messages from Clerk quote addresses). */
export const scrub = (text: string) => text.replace(SECRET, '[redacted]').replace(EMAIL, (m) => maskEmail(m));

export interface LoggerOptions {
  level: string;
  /** Human-readable lines when a person is watching; JSON otherwise. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    // ISO-8601 rather than epoch ms: readable as is, and log stores parse it without configuration.
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['secretKey', '*.secretKey', 'headers.authorization', 'headers.cookie', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
    // pino hands the message string to the serializer apart from the object, so it is scrubbed here.
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
    formatters: {
      log: (object) => {
        if (typeof object['err'] === 'object' && object['err'] && 'message' in object['err']) {
          const err = object['err'] as { message: string; stack?: string };
          object['err'] = { ...err, message: scrub(err.message), stack: err.stack && scrub(err.stack) };
        }
        return object;
      },
    },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
