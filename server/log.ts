import pino, { type Logger } from 'pino';

/**
 * Paths that may carry personal data or secrets. Logs keep ids, never contents: a citizen's phone, email,
 * name or message text never reaches a log line.
 */
const REDACT = [
  'password', '*.password', 'token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'cookie', '*.cookie',
  'email', '*.email', 'phone', '*.phone', 'name', '*.name', 'text', '*.text', 'html', '*.html', 'from', '*.from',
  'SESSION_SECRET', 'TWILIO_AUTH_TOKEN', 'SMTP_URL', 'IMAP_URL', 'DATABASE_URL', 'REDIS_URL',
];

function create(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}

let root: Logger = create('info');
const children = new Map<string, Logger>();

/** Sets the level once config is parsed (modules hold proxies, so they follow). */
export function configureLogger(level: string): void {
  root = create(level);
  children.clear();
}

/** A logger for one module; it follows later calls to configureLogger. */
export function logger(module: string): Logger {
  return new Proxy({} as Logger, {
    get(_target, prop) {
      let child = children.get(module);
      if (!child) {
        child = root.child({ module });
        children.set(module, child);
      }
      const value: unknown = Reflect.get(child, prop);
      return typeof value === 'function' ? value.bind(child) : value;
    },
  });
}
