import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { smsSegments, transliterateForSms } from '../../channels/phone/smsSegments';
import { AgentPhone, IvrMenuEntry, PhoneCall } from '../../db/models';
import type { AppContext } from '../context';
import { AppError, notFound, validationError } from '../errors';
import { normalisePhone } from '../ingest/identity';
import { acceptCall, callsForAgent, declineCall } from './callRouting';
import { loadCallOfferViews } from './callViews';
import { convertCallToWrittenRequest, WrittenRequestSchema } from './convertCall';

/** How the phone API learns who is signed in; wired to server/auth/sessions (requireAgent, requireRole). */
export interface PhoneApiAuth {
  requireAgent: RequestHandler;
  requireAdmin: RequestHandler;
  /** The signed-in agent's id (after requireAgent). */
  agentId(req: Request, res: Response): number;
}

function body<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw validationError(issue.path.join('.') || 'body', issue.message);
}

function idParam(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id <= 0) throw validationError('id', 'must be a positive integer');
  return id;
}

/** A call as the console shows it (no caller number: the case view has the citizen). */
export function presentCall(call: PhoneCall) {
  return {
    id: call.id,
    conversationId: call.conversationId,
    messageId: call.messageId,
    state: call.routingState,
    queue: call.queueName,
    department: call.departmentCode,
    language: call.language,
    offeredAgentId: call.offeredAgentId,
    offerExpiresAt: call.offerExpiresAt?.toISOString() ?? null,
    agentId: call.agentId,
    device: call.agentDevice,
    queuedAt: call.queuedAt?.toISOString() ?? null,
    bridgedAt: call.bridgedAt?.toISOString() ?? null,
  };
}

export const SegmentsRequestSchema = z.object({ text: z.string().max(10_000, 'must be at most 10,000 characters') });
export const AcceptRequestSchema = z.object({ device: z.enum(['softphone', 'phone']).default('softphone') });
export const AgentPhoneRequestSchema = z.object({ phoneNumber: z.string().trim().min(3).max(40).nullable() });
export const IvrEntrySchema = z.object({
  digit: z.string().regex(/^[0-8]$/, 'must be a key from 0 to 8 (9 switches to English, * repeats)'),
  labelRo: z.string().trim().min(2).max(200),
  labelEn: z.string().trim().min(2).max(200),
  keywordsRo: z.string().trim().max(500).default(''),
  keywordsEn: z.string().trim().max(500).default(''),
  departmentCode: z.string().trim().min(1).max(64).nullable(),
  queueName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only'),
  sortOrder: z.number().int().min(0).max(1000).default(0),
  active: z.boolean().default(true),
});
export const IvrMenuRequestSchema = z.object({ entries: z.array(IvrEntrySchema).min(1).max(9) }).refine((v) => new Set(v.entries.map((e) => e.digit)).size === v.entries.length, {
  message: 'each key may be used once',
  path: ['entries'],
});

function presentEntry(e: IvrMenuEntry) {
  return { digit: e.digit, labelRo: e.labelRo, labelEn: e.labelEn, keywordsRo: e.keywordsRo, keywordsEn: e.keywordsEn, departmentCode: e.departmentCode, queueName: e.queueName, sortOrder: e.sortOrder, active: e.active };
}

/** The browser softphone can work: the account, an API key and the TwiML app of the agents' softphone are set. */
export function softphoneConfigured(ctx: AppContext): boolean {
  const c = ctx.config;
  return Boolean(c.TWILIO_ACCOUNT_SID && c.TWILIO_API_KEY_SID && c.TWILIO_API_KEY_SECRET && c.TWILIO_TWIML_APP_SID);
}

/** POST /api/v1/sms/segments: the segment count of a text and of its transliterated version. */
export function smsApiRouter(): Router {
  const router = express.Router();
  router.post('/segments', (req, res) => {
    const { text } = body(SegmentsRequestSchema, req);
    const transliterated = transliterateForSms(text);
    res.json({ original: smsSegments(text), transliterated: { text: transliterated, ...smsSegments(transliterated) } });
  });
  return router;
}

/** /api/v1/phone: the softphone token, offers (accept/decline), turning a call into a written request, IVR admin. */
export function phoneApiRouter(ctx: AppContext, auth: PhoneApiAuth): Router {
  const router = express.Router();

  // The browser softphone's access token: Twilio Client identity agent-<id>, incoming calls allowed, outgoing
  // through the TwiML app (whose Voice URL is PUBLIC_URL/twilio/voice/client).
  router.get('/token', auth.requireAgent, (req, res) => {
    const c = ctx.config;
    if (!softphoneConfigured(ctx) || !c.TWILIO_ACCOUNT_SID || !c.TWILIO_API_KEY_SID || !c.TWILIO_API_KEY_SECRET || !c.TWILIO_TWIML_APP_SID) {
      throw new AppError(503, 'softphone_not_configured', 'The softphone is not configured: set TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET and TWILIO_TWIML_APP_SID.');
    }
    const identity = `agent-${auth.agentId(req, res)}`;
    const ttl = 3600;
    const token = new twilio.jwt.AccessToken(c.TWILIO_ACCOUNT_SID, c.TWILIO_API_KEY_SID, c.TWILIO_API_KEY_SECRET, { identity, ttl });
    token.addGrant(new twilio.jwt.AccessToken.VoiceGrant({ outgoingApplicationSid: c.TWILIO_TWIML_APP_SID, incomingAllow: true }));
    res.set('cache-control', 'no-store').json({ identity, token: token.toJwt(), expiresAt: new Date(Date.now() + ttl * 1000).toISOString() });
  });

  // What the console needs to know about the phone channel: whether to show the softphone, and the agent's own
  // number (the fallback device when the browser cannot register).
  router.get('/config', auth.requireAgent, async (req, res) => {
    const phone = await AgentPhone.findOne({ where: { agentId: auth.agentId(req, res) } });
    const c = ctx.config;
    const phoneChannel = Boolean(c.TWILIO_ACCOUNT_SID && c.TWILIO_AUTH_TOKEN && c.TWILIO_PHONE_NUMBER);
    res.set('cache-control', 'no-store').json({ phone: phoneChannel, softphone: phoneChannel && softphoneConfigured(ctx), phoneNumber: phone?.phoneNumber ?? null });
  });

  // The calls I hold or that ring for me, and the offer cards of the ringing ones (after a reload or a reconnect).
  router.get('/calls/mine', auth.requireAgent, async (req, res) => {
    const agentId = auth.agentId(req, res);
    res.set('cache-control', 'no-store').json({ calls: (await callsForAgent(agentId)).map(presentCall), offers: await loadCallOfferViews(agentId) });
  });

  router.post('/calls/:id/accept', auth.requireAgent, async (req, res) => {
    const { device } = body(AcceptRequestSchema, req);
    res.json({ call: presentCall(await acceptCall(ctx, idParam(req), auth.agentId(req, res), device)) });
  });

  router.post('/calls/:id/decline', auth.requireAgent, async (req, res) => {
    await declineCall(ctx, idParam(req), auth.agentId(req, res));
    res.status(204).end();
  });

  router.post('/conversations/:id/written-request', auth.requireAgent, async (req, res) => {
    const input = body(WrittenRequestSchema, req);
    const c = await convertCallToWrittenRequest(ctx, idParam(req), auth.agentId(req, res), input);
    res.json({ conversation: { id: c.id, registrationNumber: c.registrationNumber, legalBasis: c.legalBasis, legalDueDate: c.legalDueDate, internalDueDate: c.internalDueDate } });
  });

  router.put('/me/number', auth.requireAgent, async (req, res) => {
    const { phoneNumber } = body(AgentPhoneRequestSchema, req);
    const agentId = auth.agentId(req, res);
    if (phoneNumber === null) {
      await AgentPhone.destroy({ where: { agentId } });
      return res.json({ phoneNumber: null });
    }
    const number = normalisePhone(phoneNumber, 'phoneNumber');
    const existing = await AgentPhone.findOne({ where: { agentId } });
    if (existing) await existing.update({ phoneNumber: number });
    else await AgentPhone.create({ agentId, phoneNumber: number });
    res.json({ phoneNumber: number });
  });

  router.get('/ivr', auth.requireAdmin, async (_req, res) => {
    res.json({ entries: (await IvrMenuEntry.findAll({ order: [['sortOrder', 'ASC'], ['digit', 'ASC']] })).map(presentEntry) });
  });

  // Replaces the whole menu at once (keys move between entries, so entry-by-entry edits would collide).
  router.put('/ivr', auth.requireAdmin, async (req, res) => {
    const { entries } = body(IvrMenuRequestSchema, req);
    const saved = await ctx.db.transaction(async (transaction) => {
      await IvrMenuEntry.destroy({ where: {}, transaction });
      return IvrMenuEntry.bulkCreate(entries, { transaction });
    });
    res.json({ entries: saved.map(presentEntry) });
  });

  router.get('/calls/:id', auth.requireAgent, async (req, res) => {
    const call = await PhoneCall.findByPk(idParam(req));
    if (!call) throw notFound('The call');
    res.json({ call: presentCall(call) });
  });

  return router;
}
