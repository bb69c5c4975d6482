import express, { type Router } from 'express';
import { requireAgent, requireRole } from '../auth/sessions';
import { actorOf, isSupervisor } from '../commands/actor';
import { createCannedResponse, deleteCannedResponse, listCannedResponses, renderCannedResponse, updateCannedResponse } from '../commands/cannedResponses';
import { presentCannedResponse } from '../commands/presenters';
import { TEMPLATE_VARIABLES } from '../commands/renderTemplate';
import { CannedListQuerySchema, CannedResponsePatchSchema, CannedResponseSchema, IdParamsSchema, parseRequest, RenderQuerySchema } from '../commands/schemas';
import type { AppContext } from '../context';

/** /api/v1/canned-responses — every agent reads and fills them; supervisors and administrators write them. */
export function cannedResponsesRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);
  const manage = requireRole('supervisor', 'admin');

  router.get('/', async (req, res) => {
    const query = parseRequest(CannedListQuerySchema, req.query);
    const actor = await actorOf(req.agent!);
    const rows = await listCannedResponses(actor, { ...query, includeInactive: query.includeInactive && isSupervisor(actor) });
    res.json({ items: rows.map(presentCannedResponse), variables: TEMPLATE_VARIABLES });
  });

  router.get('/:id/render', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const { conversationId } = parseRequest(RenderQuerySchema, req.query);
    res.set('Cache-Control', 'no-store');
    res.json(await renderCannedResponse(ctx, await actorOf(req.agent!), { cannedResponseId: id, conversationId }));
  });

  router.post('/', manage, async (req, res) => {
    const body = parseRequest(CannedResponseSchema, req.body);
    res.status(201).json(presentCannedResponse(await createCannedResponse(ctx, await actorOf(req.agent!), body)));
  });

  router.patch('/:id', manage, async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(CannedResponsePatchSchema, req.body);
    res.json(presentCannedResponse(await updateCannedResponse(ctx, await actorOf(req.agent!), id, body)));
  });

  router.delete('/:id', manage, async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    await deleteCannedResponse(ctx, await actorOf(req.agent!), id);
    res.status(204).end();
  });

  return router;
}
