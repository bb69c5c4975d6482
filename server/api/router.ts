import express, { type Router } from 'express';
import { authRouter } from '../auth/authRoutes';
import { loadSession, requireAgent, requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { emailAdminRouter } from '../email/adminRoutes';
import { emailOutboxRouter } from '../email/outboxRoutes';
import { citizensRouter } from './citizens';
import { contactsRouter } from './contacts';
import { calendarRouter, legalRouter } from './calendar';
import { reportsRouter } from './reports';
import { slaPoliciesRouter } from './slaPolicies';
import { wallboardRouter } from './wallboard';
import { conversationsRouter } from './conversations';
import { conversationActionsRouter } from './conversationActions';
import { duplicatesRouter } from './duplicates';
import { cannedResponsesRouter } from './cannedResponses';
import { directoryRouter, searchRouter } from './search';
import { lettersRouter } from '../letters/lettersRouter';
import { phoneApiRouter, smsApiRouter } from '../twilio/phoneApi';

/** Everything under /api/v1. */
export function apiRouter(ctx: AppContext): Router {
  const router = express.Router();
  // Contacts may carry base64 attachments (20 files); the rest of the API sends small JSON.
  router.use('/contacts', express.json({ limit: '40mb' }), contactsRouter(ctx));
  router.use(express.json({ limit: '1mb' }));
  // Login runs before the session is read: a stale cookie must not stand in the way of signing in again.
  router.use('/auth', authRouter(ctx));
  // From here on a session cookie is read, and every state-changing request it authenticates is CSRF-checked.
  router.use(loadSession(ctx));
  router.use('/conversations', conversationsRouter(ctx));
  router.use('/conversations', conversationActionsRouter(ctx));
  router.use('/conversations', duplicatesRouter(ctx));
  router.use('/canned-responses', cannedResponsesRouter(ctx));
  router.use('/search', searchRouter(ctx));
  router.use('/directory', directoryRouter(ctx));
  router.use('/citizens', citizensRouter(ctx));
  router.use('/calendar', calendarRouter(ctx));
  router.use('/legal', legalRouter(ctx));
  router.use('/sla-policies', slaPoliciesRouter(ctx));
  router.use('/wallboard', wallboardRouter(ctx));
  router.use('/reports', reportsRouter(ctx));
  router.use('/sms', requireAgent, smsApiRouter());
  router.use('/phone', phoneApiRouter(ctx, { requireAgent, requireAdmin: requireRole('admin'), agentId: (req) => req.agent!.id }));
  router.use('/admin', emailAdminRouter(ctx));
  router.use('/admin', emailOutboxRouter(ctx));
  router.use('/letters', lettersRouter(ctx));
  return router;
}
