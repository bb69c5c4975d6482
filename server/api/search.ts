import express, { type Router } from 'express';
import { Agent, Category, Department } from '../../db/models';
import { requireAgent } from '../auth/sessions';
import { actorOf } from '../commands/actor';
import { presentSearchHit } from '../commands/presenters';
import { parseRequest, SearchQuerySchema } from '../commands/schemas';
import { searchConversations } from '../commands/searchConversations';
import type { AppContext } from '../context';

/** GET /api/v1/search?q= — cases by registration number, name, phone, email or text, within what the agent may see. */
export function searchRouter(_ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);
  router.get('/', async (req, res) => {
    const { q, limit } = parseRequest(SearchQuerySchema, req.query);
    const hits = await searchConversations(await actorOf(req.agent!), q, limit);
    res.set('Cache-Control', 'no-store');
    res.json({ q, items: hits.map(presentSearchHit) });
  });
  return router;
}

/**
 * GET /api/v1/directory — the pickers of the console: colleagues (for mentions and transfers, with their
 * @handle), departments (queues) and categories.
 */
export function directoryRouter(_ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);
  router.get('/', async (_req, res) => {
    const [agents, departments, categories] = await Promise.all([
      Agent.findAll({ where: { active: true }, attributes: ['id', 'name', 'email', 'role', 'presence'], order: [['name', 'ASC']] }),
      Department.findAll({ where: { active: true }, order: [['nameRo', 'ASC']] }),
      Category.findAll({ where: { active: true }, order: [['sortOrder', 'ASC'], ['nameRo', 'ASC']] }),
    ]);
    res.json({
      agents: agents.map((a) => ({ id: a.id, name: a.name, role: a.role, presence: a.presence, handle: a.email.split('@')[0]!.toLowerCase() })),
      departments: departments.map((d) => ({ id: d.id, code: d.code, nameRo: d.nameRo, nameEn: d.nameEn })),
      categories: categories.map((c) => ({ id: c.id, code: c.code, nameRo: c.nameRo, nameEn: c.nameEn, groupCode: c.groupCode, departmentId: c.departmentId })),
    });
  });
  return router;
}
