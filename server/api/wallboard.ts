import express, { type Router } from 'express';
import { loadSession, requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { wallboardSnapshot } from '../sla/wallboardSnapshot';

/** GET /api/v1/wallboard: the supervisors' snapshot (at most a few seconds old): the console reads it on first load and while its /wallboard socket, which pushes the board, is down. */
export function wallboardRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireRole('supervisor', 'admin'));
  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(await wallboardSnapshot(ctx));
  });
  return router;
}
