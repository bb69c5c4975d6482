/** Every error a user or an integrator can see: an HTTP status, a stable machine code and a message that says what to do. */
export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** The JSON body sent to the client. */
  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A field of the request is wrong; `field` names it as the client sent it (dot path). */
export const validationError = (field: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'validation_failed', `${field}: ${message}`, { field, ...details });

export const badRequest = (message: string, code = 'bad_request') => new AppError(400, code, message);

export const unauthenticated = (message = 'Sign in first: this needs an authenticated session or API key.') =>
  new AppError(401, 'unauthenticated', message);

export const forbidden = (message = 'Your role does not allow this action; ask a supervisor or an administrator.') =>
  new AppError(403, 'forbidden', message);

export const csrfFailed = () =>
  new AppError(403, 'csrf_failed', 'The request lacks a valid X-CSRF-Token header; reload the page and try again.');

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found; check the identifier.`);

export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);

export const payloadTooLarge = (limit: string) =>
  new AppError(413, 'payload_too_large', `The request is larger than the ${limit} allowed; send a smaller file or split it.`);

export const tooManyRequests = (retryAfterSeconds: number) =>
  new AppError(429, 'rate_limited', `Too many requests; try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });

export const unavailable = (message: string) => new AppError(503, 'unavailable', message);

/** Turns anything thrown into an AppError; unknown errors become a 500 with no details. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError(500, 'internal_error', 'Something went wrong on our side; the error was logged. Try again, and tell the administrator if it persists.');
}
