import express, { type Router } from 'express';
import { requireAgent } from '../auth/sessions';
import { actorOf } from '../commands/actor';
import { findDuplicates } from '../commands/findDuplicates';
import { IdParamsSchema, parseRequest } from '../commands/schemas';
import type { AppContext } from '../context';
import { presentDuplicateSuggestion } from './presenters';

/**
 * GET /api/v1/conversations/:id/duplicates — cases that may be duplicates of this one (same citizen, similar
 * text in the same category or department, nearby), within what the agent may see. Joining them is
 * POST /api/v1/conversations/:id/join.
 */
export function duplicatesRouter(_ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);
  router.get('/:id/duplicates', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const r = await findDuplicates(await actorOf(req.agent!), id);
    res.set('Cache-Control', 'no-store');
    res.json({ conversationId: r.conversation.id, items: r.suggestions.map(presentDuplicateSuggestion) });
  });
  return router;
}
