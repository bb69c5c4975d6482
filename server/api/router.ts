import express, { type Router } from 'express';
import type { AppContext } from '../context';
import { contactsRouter } from './contacts';
import { smsApiRouter } from '../twilio/phoneApi';

/** Everything under /api/v1. */
export function apiRouter(ctx: AppContext): Router {
  const router = express.Router();
  // Contacts may carry base64 attachments (20 files); the rest of the API sends small JSON.
  router.use('/contacts', express.json({ limit: '40mb' }), contactsRouter(ctx));
  router.use(express.json({ limit: '1mb' }));
  router.use('/sms', smsApiRouter());
  return router;
}
