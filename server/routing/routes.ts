import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { PRESENCES } from '../../db/models/Agent';
import { loadSession, requireAgent, requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import { loadConversationSummaries, loadOfferViews, loadPresenceViews, loadQueueStats } from '../realtime/views';
import { routingEngine } from './engine';

export const PresenceBody = z.object({ presence: z.enum(PRESENCES) });
export type PresenceBody = z.infer<typeof PresenceBody>;
export const DeclineBody = z.object({ reason: z.string().trim().max(200).optional() });
export type DeclineBody = z.infer<typeof DeclineBody>;
export const QueueIdSchema = z.union([z.literal('general'), z.number().int().positive()]);
export const PullBody = z.object({ queueId: QueueIdSchema.optional() });
export type PullBody = z.infer<typeof PullBody>;
export const AssignBody = z.object({ agentId: z.number().int().positive().nullable() });
export type AssignBody = z.infer<typeof AssignBody>;
const IdParam = z.coerce.number().int().positive();

function parse<T>(schema: z.ZodType<T>, value: unknown, field = 'body'): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw validationError([field, ...issue.path].join('.'), issue.message);
}

const me = (req: Request) => req.agent!.id;

/**
 * /api/v1/routing — the REST face of routing (for the console, integrations and tests; the socket events do the
 * same): my presence and offers, accept, decline, pull; the queue overview and reassignment for supervisors.
 */
export function routingRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }), loadSession(ctx), requireAgent);
  const engine = () => routingEngine(ctx);

  router.get('/me', async (req, res) => {
    const [presence] = await loadPresenceViews([me(req)]);
    res.json({ presence, offers: await loadOfferViews({ agentId: me(req), pendingOnly: true }) });
  });
  router.put('/presence', async (req, res) => {
    const body = parse(PresenceBody, req.body);
    await engine().setPresence(me(req), body.presence);
    const [presence] = await loadPresenceViews([me(req)]);
    res.json({ presence });
  });
  router.get('/offers', async (req, res) => {
    res.json({ offers: await loadOfferViews({ agentId: me(req), pendingOnly: true }) });
  });
  router.post('/offers/:id/accept', async (req, res) => {
    const result = await engine().accept(me(req), parse(IdParam, req.params.id, 'id'));
    const conversation = (await loadConversationSummaries([result.conversationId])).get(result.conversationId);
    res.json({ conversation, eventId: result.eventId });
  });
  router.post('/offers/:id/decline', async (req, res) => {
    const body = parse(DeclineBody, req.body);
    const offerId = parse(IdParam, req.params.id, 'id');
    await engine().decline(me(req), offerId, body.reason);
    res.json({ offerId });
  });
  router.post('/pull', async (req, res) => {
    const body = parse(PullBody, req.body);
    const result = await engine().pull(me(req), body.queueId);
    const conversation = (await loadConversationSummaries([result.conversationId])).get(result.conversationId);
    res.json({ conversation, eventId: result.eventId });
  });

  const supervisors = requireRole('supervisor', 'admin');
  router.get('/queues', supervisors, async (_req, res) => {
    res.json({ queues: await loadQueueStats(ctx.db), agents: await loadPresenceViews(), at: new Date().toISOString() });
  });
  router.post('/conversations/:id/assign', supervisors, async (req, res) => {
    const body = parse(AssignBody, req.body);
    const conversationId = parse(IdParam, req.params.id, 'id');
    const result = await engine().reassign(me(req), conversationId, body.agentId);
    const conversation = (await loadConversationSummaries([conversationId])).get(conversationId);
    res.json({ conversation, eventId: result.eventId });
  });
  return router;
}
