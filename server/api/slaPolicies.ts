import express, { type Router } from 'express';
import { z } from 'zod';
import { ChannelKindSchema, LEGAL_BASES } from '../../channels/contract';
import { SlaPolicy } from '../../db/models';
import { loadSession, requireRole } from '../auth/sessions';
import type { AppContext } from '../context';
import { notFound } from '../errors';
import { parseInput } from '../sla/parseInput';
import { recomputeOpenCases } from '../sla/recomputeOpenCases';

const targetMinutes = z.number().int().min(1).max(60 * 24 * 90).nullable();

export const SlaPolicySchema = z.object({
  name: z.string().trim().min(1).max(200),
  active: z.boolean().default(true),
  categoryId: z.number().int().positive().nullable().default(null),
  channel: ChannelKindSchema.nullable().default(null),
  priority: z.number().int().min(0).max(10).nullable().default(null),
  legalBasis: z.enum(LEGAL_BASES).nullable().default(null),
  firstResponseMinutes: targetMinutes.default(null),
  nextResponseMinutes: targetMinutes.default(null),
  resolutionMinutes: targetMinutes.default(null),
  warnPercent: z.number().int().min(1).max(99).nullable().default(null),
  escalatePriority: z.number().int().min(0).max(10).nullable().default(null),
  reassignOnBreach: z.boolean().default(false),
});
export type SlaPolicyInput = z.infer<typeof SlaPolicySchema>;

/** A policy as the admin screens show it. */
export function presentPolicy(p: SlaPolicy) {
  return {
    id: p.id, name: p.name, active: p.active, categoryId: p.categoryId, channel: p.channel, priority: p.priority, legalBasis: p.legalBasis,
    firstResponseMinutes: p.firstResponseMinutes, nextResponseMinutes: p.nextResponseMinutes, resolutionMinutes: p.resolutionMinutes,
    warnPercent: p.warnPercent, escalatePriority: p.escalatePriority, reassignOnBreach: p.reassignOnBreach, updatedAt: p.updatedAt.toISOString(),
  };
}

/**
 * /api/v1/sla-policies: the service targets (admins edit, supervisors read). A change is applied to every open
 * case in the background; the legal deadlines do not depend on policies.
 */
export function slaPoliciesRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(loadSession(ctx), requireRole('supervisor', 'admin'));
  const admin = requireRole('admin');
  const find = async (raw: unknown) => {
    const p = await SlaPolicy.findByPk(parseInput(z.coerce.number().int().positive(), raw));
    if (!p) throw notFound('The SLA policy');
    return p;
  };

  router.get('/', async (_req, res) => {
    res.json({ policies: (await SlaPolicy.findAll({ order: [['id', 'ASC']] })).map(presentPolicy) });
  });
  router.post('/', admin, async (req, res) => {
    const policy = await SlaPolicy.create(parseInput(SlaPolicySchema, req.body));
    void recomputeOpenCases(ctx);
    res.status(201).json(presentPolicy(policy));
  });
  router.patch('/:id', admin, async (req, res) => {
    const p = await find(req.params.id);
    await p.update(parseInput(SlaPolicySchema.partial(), req.body));
    void recomputeOpenCases(ctx);
    res.json(presentPolicy(p));
  });
  router.delete('/:id', admin, async (req, res) => {
    // Clocks keep their policyId history through SET NULL; deactivating is the gentler choice in the screens.
    await (await find(req.params.id)).destroy();
    void recomputeOpenCases(ctx);
    res.status(204).end();
  });
  return router;
}
