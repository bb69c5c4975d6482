import { fetchTwilioHttpClient, TwilioRest, type TwilioHttpClient } from '../../channels/phone/twilioRest';
import type { AppContext } from '../context';
import { AppError } from '../errors';

let override: TwilioHttpClient | null = null;

/** Replaces the HTTP client every REST call uses (tests; null restores fetch against TWILIO_API_URL). */
export function setTwilioHttpClient(client: TwilioHttpClient | null): void {
  override = client;
}

/** Twilio's REST API for the configured account. */
export function twilioRest(ctx: AppContext): TwilioRest {
  const { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_API_URL: baseUrl } = ctx.config;
  if (!sid || !token) throw new AppError(503, 'twilio_not_configured', 'Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
  return new TwilioRest(override ?? fetchTwilioHttpClient({ accountSid: sid, authToken: token, baseUrl }), sid);
}
