import express, { type RequestHandler } from 'express';
import twilio from 'twilio';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { logger } from '../log';

const log = logger('twilio.signature');

/** Counters for /healthz: how many webhooks were refused, and when the last signed one arrived. */
export const webhookStats = { accepted: 0, rejected: 0, lastAcceptedAt: null as Date | null };

/**
 * Parses Twilio's form post and checks X-Twilio-Signature: HMAC-SHA1 with the auth token over the URL Twilio
 * called — PUBLIC_URL plus the original path and query, never the Host header, so it holds behind a proxy —
 * followed by the POST parameters sorted by name. Unsigned or forged requests get 403 and nothing is written;
 * the log line names the path only (no numbers, no message text).
 */
export function twilioWebhook(ctx: AppContext): RequestHandler[] {
  const parse = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 });
  const verify: RequestHandler = (req, res, next) => {
    const token = ctx.config.TWILIO_AUTH_TOKEN;
    if (!token) {
      next(new AppError(503, 'twilio_not_configured', 'Twilio is not configured on this server: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER.'));
      return;
    }
    const signature = req.get('x-twilio-signature');
    const params = (req.body ?? {}) as Record<string, string>;
    const url = `${ctx.config.PUBLIC_URL}${req.originalUrl}`;
    const valid = typeof signature === 'string' && signature.length > 0 && twilio.validateRequest(token, signature, url, params);
    if (!valid) {
      webhookStats.rejected++;
      log.warn({ path: req.path, signed: Boolean(signature) }, 'refused a Twilio webhook with a missing or wrong signature');
      res.status(403).type('text/plain').send('Forbidden: invalid X-Twilio-Signature');
      return;
    }
    const account = params.AccountSid;
    if (ctx.config.TWILIO_ACCOUNT_SID && account && account !== ctx.config.TWILIO_ACCOUNT_SID) {
      webhookStats.rejected++;
      log.warn({ path: req.path }, 'refused a signed Twilio webhook for another account');
      res.status(403).type('text/plain').send('Forbidden: wrong account');
      return;
    }
    webhookStats.accepted++;
    webhookStats.lastAcceptedAt = new Date();
    next();
  };
  return [parse, verify];
}
