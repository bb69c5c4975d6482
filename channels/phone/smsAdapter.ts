import { PermanentSendError, type ChannelAdapter, type OutboundMessage, type SendResult } from '../contract';
import type { AdapterDeps } from '../registry';
import { fetchTwilioHttpClient, TwilioApiError, TwilioRest, type TwilioHttpClient } from './twilioRest';

/** Answers whether a number asked not to receive SMS (STOP); installed by the server, which owns the table. */
export type OptOutCheck = (phone: string) => Promise<boolean>;

/** The Twilio SMS adapter: a ChannelAdapter plus the hook through which the server enforces opt-outs. */
export interface TwilioSmsAdapter extends ChannelAdapter {
  kind: 'sms';
  provider: 'twilio';
  /** Installs the opt-out lookup (the adapter itself never reads the database). */
  setOptOutCheck(check: OptOutCheck): void;
}

/** True when Twilio is configured for sending (account, token and our number). */
export function twilioConfigured(deps: Pick<AdapterDeps, 'config'>): boolean {
  const c = deps.config;
  return Boolean(c.TWILIO_ACCOUNT_SID && c.TWILIO_AUTH_TOKEN && c.TWILIO_PHONE_NUMBER);
}

/** Twilio error codes that retrying the same message cannot fix. */
const PERMANENT_CODES = new Set([21211, 21408, 21610, 21612, 21614, 21617, 21606, 30003, 30004, 30005, 30006, 30007]);

/**
 * Sends SMS through Twilio's Messages API with a status callback at PUBLIC_URL/twilio/sms/status?messageId=N,
 * so callbacks find their message even when they arrive before the send result was recorded.
 */
export function twilioSmsAdapter(deps: AdapterDeps, http?: TwilioHttpClient): TwilioSmsAdapter {
  const { config } = deps;
  if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN || !config.TWILIO_PHONE_NUMBER) {
    throw new Error('twilioSmsAdapter needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER');
  }
  const rest = new TwilioRest(
    http ?? fetchTwilioHttpClient({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, baseUrl: config.TWILIO_API_URL }),
    config.TWILIO_ACCOUNT_SID,
  );
  const from = config.TWILIO_PHONE_NUMBER;
  let optedOut: OptOutCheck | null = null;

  return {
    kind: 'sms',
    provider: 'twilio',
    canReply: true,
    setOptOutCheck(check) {
      optedOut = check;
    },
    async send(message: OutboundMessage): Promise<SendResult> {
      const to = message.to.phone;
      if (!to) throw new PermanentSendError('the citizen has no phone number to text');
      if (!optedOut) throw new Error('the SMS opt-out check is not installed yet; retrying');
      if (await optedOut(to)) {
        throw new PermanentSendError('the recipient replied STOP and opted out of SMS; they must text START before they can receive messages again');
      }
      try {
        const sent = await rest.sendSms({
          to,
          from,
          body: message.text,
          statusCallback: `${config.PUBLIC_URL}/twilio/sms/status?messageId=${message.messageId}`,
        });
        return { externalId: sent.sid, status: sent.status === 'sent' ? 'sent' : 'queued' };
      } catch (err) {
        if (err instanceof TwilioApiError && (err.permanent || (err.code !== undefined && PERMANENT_CODES.has(err.code)))) {
          throw new PermanentSendError(err.message, err.message);
        }
        throw err;
      }
    },
    async health() {
      return { ok: true, mode: 'twilio', from, optOutCheck: optedOut !== null };
    },
  };
}

/** The voice channel: calls come in by webhook; the city hall does not place outbound calls as messages. */
export function twilioVoiceAdapter(): ChannelAdapter {
  return {
    kind: 'voice',
    canReply: false,
    async health() {
      return { ok: true, mode: 'twilio' };
    },
  };
}

/** Narrows an adapter to the Twilio SMS adapter. */
export function isTwilioSmsAdapter(adapter: ChannelAdapter): adapter is TwilioSmsAdapter {
  return (adapter as Partial<TwilioSmsAdapter>).provider === 'twilio' && adapter.kind === 'sms';
}
