import express, { type Router } from 'express';
import { isTwilioSmsAdapter } from '../../channels/phone/smsAdapter';
import type { WebModule } from '../app';
import type { AppContext } from '../context';
import { registerHealthCheck } from '../http/healthz';
import { onIngestWrite } from '../ingest/ingestHooks';
import { writeCallRow } from './callRowOnIngest';
import { webhookStats } from './signature';
import { installOptOutCheck } from './smsCommands';
import { smsRouter } from './smsRoutes';
import { voiceRouter } from './voiceRoutes';

/** Twilio's webhooks at /twilio (voice and SMS), with their /healthz section. */
export const twilioModule: WebModule = {
  path: '/twilio',
  router(ctx: AppContext): Router {
    installOptOutCheck(ctx);
    onIngestWrite(ctx, writeCallRow);
    registerHealthCheck('twilio', async () => {
      const c = ctx.config;
      const configured = Boolean(c.TWILIO_ACCOUNT_SID && c.TWILIO_AUTH_TOKEN && c.TWILIO_PHONE_NUMBER);
      return {
        ok: true,
        configured,
        sms: isTwilioSmsAdapter(ctx.adapters.sms) ? 'twilio' : 'outbox',
        softphone: Boolean(c.TWILIO_API_KEY_SID && c.TWILIO_API_KEY_SECRET && c.TWILIO_TWIML_APP_SID),
        webhooks: { accepted: webhookStats.accepted, rejected: webhookStats.rejected, lastAcceptedAt: webhookStats.lastAcceptedAt?.toISOString() ?? null },
      };
    });
    const router = express.Router();
    router.use('/voice', voiceRouter(ctx));
    router.use('/sms', smsRouter(ctx));
    return router;
  },
};
