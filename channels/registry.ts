import type { Config } from '../server/config';
import type { ChannelAdapter, ChannelKind } from './contract';
import { outboxAdapter } from './outbox';
import { letterAdapter } from './letter/letterAdapter';
import { emailAdapter } from './email/sendEmail';
import { twilioConfigured, twilioSmsAdapter, twilioVoiceAdapter } from './phone/smsAdapter';

/** What an adapter may use: configuration and where the outbox lives. Never the database. */
export interface AdapterDeps {
  config: Config;
  /** DATA_DIR/outbox: where messages go when a channel has no provider configured. */
  outboxDir: string;
}

export type AdapterFactory = (deps: AdapterDeps) => ChannelAdapter;

/**
 * One adapter factory per channel kind; `satisfies` makes a new kind fail to compile until it is wired.
 * Channels replace the outbox stand-in with their provider when configured (SMTP, Twilio).
 */
export const ADAPTERS = {
  email: (deps) => emailAdapter(deps),
  sms: (deps) => (twilioConfigured(deps) ? twilioSmsAdapter(deps) : outboxAdapter('sms', deps)),
  voice: (deps) => (twilioConfigured(deps) ? twilioVoiceAdapter() : { kind: 'voice', canReply: false }),
  portal: () => ({ kind: 'portal', canReply: true, send: async (m) => ({ externalId: `portal-${m.messageId}`, status: 'delivered' }) }),
  letter: (deps) => letterAdapter(deps),
  api: () => ({ kind: 'api', canReply: false }),
} satisfies Record<ChannelKind, AdapterFactory>;

/** Builds every adapter once per process. */
export function createAdapters(deps: AdapterDeps): Record<ChannelKind, ChannelAdapter> {
  const out = {} as Record<ChannelKind, ChannelAdapter>;
  for (const kind of Object.keys(ADAPTERS) as ChannelKind[]) out[kind] = ADAPTERS[kind](deps);
  return out;
}
