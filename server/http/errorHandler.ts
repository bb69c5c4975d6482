import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, payloadTooLarge, toAppError } from '../errors';
import { logger } from '../log';

const log = logger('http');

/** 404 for anything no route answered. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'not_found', `Nothing here: ${req.method} ${req.path}. Check the address.`));
};

/** Turns thrown errors into JSON with a stable code; unknown errors are logged and answered without details. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const bodyParserType = (err as { type?: string })?.type;
  let appError: AppError;
  if (bodyParserType === 'entity.too.large') appError = payloadTooLarge(String((err as { limit?: number }).limit ?? 'size'));
  else if (bodyParserType === 'entity.parse.failed') appError = new AppError(400, 'malformed_json', 'The body is not valid JSON; check quotes and commas.');
  else if (bodyParserType === 'charset.unsupported' || bodyParserType === 'encoding.unsupported') appError = new AppError(415, 'unsupported_encoding', 'Send the body as UTF-8.');
  else appError = toAppError(err);
  if (appError.status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
  if (res.headersSent) return;
  if (appError.status === 429 && appError.details?.retryAfterSeconds) res.setHeader('Retry-After', String(appError.details.retryAfterSeconds));
  res.status(appError.status).json(appError.toJSON());
};
