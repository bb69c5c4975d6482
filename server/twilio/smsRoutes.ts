import express, { type Router } from 'express';
import twilio from 'twilio';
import { SmsParamsSchema, SmsStatusParamsSchema, smsDeliveryUpdate } from '../../channels/phone/inbound';
import type { AppContext } from '../context';
import { applySmsDelivery, receiveSms } from './smsCommands';
import { twilioWebhook } from './signature';
import { params } from './voiceRoutes';

/** An empty Messaging response: acknowledgements go out as outbound messages, with their own delivery tracking. */
function emptyMessagingResponse(): string {
  return new twilio.twiml.MessagingResponse().toString();
}

/** The SMS webhooks under /twilio/sms, every one signed. */
export function smsRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(...twilioWebhook(ctx));

  router.post('/', async (req, res) => {
    const p = params(SmsParamsSchema, req);
    await receiveSms(ctx, p, req.body as Record<string, string>);
    res.status(200).type('text/xml').send(emptyMessagingResponse());
  });

  router.post('/status', async (req, res) => {
    const p = params(SmsStatusParamsSchema, req);
    const update = smsDeliveryUpdate(p);
    const id = Number(req.query.messageId);
    if (update) await applySmsDelivery(ctx, update, Number.isInteger(id) && id > 0 ? id : null);
    res.status(204).end();
  });

  return router;
}
