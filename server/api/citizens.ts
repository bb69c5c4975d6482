import express, { type Router } from 'express';
import { Op } from 'sequelize';
import { Citizen, CitizenIdentity, Conversation } from '../../db/models';
import { loadSession, requireAgent } from '../auth/sessions';
import { conversationScope, scopeWhere } from '../auth/visibility';
import type { AppContext } from '../context';
import { notFound, validationError } from '../errors';
import { IdParamSchema, summaryIncludes } from './conversations';
import { presentCitizen } from './presenters';

/** /api/v1/citizens — a citizen with every way to reach them and their cases. Staff only. */
export function citizensRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireAgent);

  router.get('/:id', async (req, res) => {
    const parsed = IdParamSchema.safeParse(req.params);
    if (!parsed.success) throw validationError('id', parsed.error.issues[0]!.message);
    const citizen = await Citizen.findByPk(parsed.data.id, {
      include: [{ model: CitizenIdentity, as: 'identities' }],
      order: [[{ model: CitizenIdentity, as: 'identities' }, 'id', 'ASC']],
    });
    if (!citizen) throw notFound('The citizen');

    // A department-restricted agent sees the person, but only the cases they could open.
    const scope = scopeWhere(await conversationScope(req.agent!));
    const conversations = await Conversation.findAll({
      where: scope ? { [Op.and]: [{ citizenId: citizen.id }, scope] } : { citizenId: citizen.id },
      include: summaryIncludes().filter((i) => i.as !== 'citizen'),
      order: [['registeredAt', 'DESC'], ['id', 'DESC']],
      limit: 500,
    });
    res.set('Cache-Control', 'no-store');
    res.json(presentCitizen(citizen, conversations));
  });

  return router;
}
