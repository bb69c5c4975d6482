import express, { type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Language } from '../../channels/contract';
import { callerNumber, RecordingParamsSchema, TranscriptionParamsSchema, VoiceParamsSchema } from '../../channels/phone/inbound';
import { Agent, AgentPhone, IvrMenuEntry, PhoneCall } from '../../db/models';
import type { AppContext } from '../context';
import { AppError, validationError } from '../errors';
import { logger } from '../log';
import { applyCallStatus, applyRecording, applyTranscription, queueCall, sendToVoicemail, startCall } from './callCommands';
import { applyDialResult, expireOffer, markBridging, offerWaitingCall } from './callRouting';
import { activeMenu, matchMenu } from './ivrMenu';
import { isOfficeOpen, phoneClock } from './officeHours';
import { expectedWaitSeconds } from './queueStats';
import { twilioWebhook } from './signature';
import {
  bridgeTwiml, dialNumberTwiml, dialQueueTwiml, emptyTwiml, enqueueTwiml, hangupTwiml, menuTwiml, requeueTwiml, voicemailDoneTwiml, voicemailTwiml, waitTwiml,
} from './twiml';

const log = logger('twilio.voice');

/** Parses a Twilio form post with a schema; a signed but malformed post is a 400 that names the field. */
export function params<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw validationError(issue.path.join('.') || 'body', issue.message);
}

function language(req: Request): Language {
  return req.query.lang === 'en' ? 'en' : 'ro';
}

function twiml(res: Response, xml: string): void {
  res.status(200).type('text/xml').send(xml);
}

function positiveInt(value: unknown): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Starts routing a call that just entered a queue; runs after the webhook's commit and never delays Twilio's answer. */
function offerSoon(ctx: AppContext, callId: number): void {
  void offerWaitingCall(ctx, callId).catch((err: Error) => log.error({ callId, err: err.message }, 'offering a call failed'));
}

/** The voice webhooks under /twilio/voice, every one signed. */
export function voiceRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(...twilioWebhook(ctx));

  // 1. A call comes in: it becomes a message of kind call; out of hours it goes to voicemail, else to the menu.
  router.post('/', async (req, res) => {
    const p = params(VoiceParamsSchema, req);
    await startCall(ctx, p);
    if (!(await isOfficeOpen(phoneClock.now()))) {
      await sendToVoicemail(ctx, p.CallSid);
      return twiml(res, voicemailTwiml());
    }
    twiml(res, menuTwiml(await activeMenu(), 'ro', 1, { welcome: true }));
  });

  // 2. The caller pressed a key or said something (or nothing: the Gather's Redirect).
  router.post('/menu', async (req, res) => {
    const p = params(VoiceParamsSchema, req);
    const lang = language(req);
    const attempt = positiveInt(req.query.attempt) ?? 1;
    const menu = await activeMenu();
    const choice = matchMenu(menu, lang, p.Digits, p.SpeechResult);
    if (choice.kind === 'english') return twiml(res, menuTwiml(menu, 'en', 1, { welcome: true }));
    if (choice.kind === 'repeat') return twiml(res, menuTwiml(menu, lang, attempt, { welcome: false }));
    let entry = choice.kind === 'entry' ? choice.entry : null;
    if (!entry) {
      if (attempt < 2) return twiml(res, menuTwiml(menu, lang, attempt + 1, { welcome: false, notUnderstood: true }));
      // Two misses: a person helps rather than a third recital of the menu.
      entry = menu.find((e) => e.departmentCode === null) ?? IvrMenuEntry.build({ digit: '0', labelRo: 'un operator', labelEn: 'an operator', departmentCode: null, queueName: 'operator' });
    }
    if (!(await isOfficeOpen(phoneClock.now()))) {
      await sendToVoicemail(ctx, p.CallSid);
      return twiml(res, voicemailTwiml());
    }
    const call = await queueCall(ctx, p.CallSid, entry, lang, callerNumber(p.From) ?? null);
    if (call) offerSoon(ctx, call.id);
    const label = entry.departmentCode ? (lang === 'en' ? entry.labelEn : entry.labelRo) : null;
    const queueName = call?.queueName ?? (await PhoneCall.findOne({ where: { callSid: p.CallSid } }))?.queueName ?? entry.queueName;
    twiml(res, enqueueTwiml(lang, queueName, label));
  });

  // 3. Twilio asks what a waiting caller hears, again and again: position and expected wait. Each turn also
  // re-offers a call nobody took (no agent free when it was queued); an expired offer has usually moved on
  // already (timer, sweeper), this is one more chance.
  router.post('/wait', async (req, res) => {
    const p = params(VoiceParamsSchema, req);
    const lang = language(req);
    const call = await PhoneCall.findOne({ where: { callSid: p.CallSid } });
    if (call) {
      if (p.QueueSid && call.queueSid !== p.QueueSid) await PhoneCall.update({ queueSid: p.QueueSid }, { where: { id: call.id } });
      if (call.routingState === 'offered') await expireOffer(ctx, call.id);
      else if (call.routingState === 'queued') offerSoon(ctx, call.id);
    }
    const position = positiveInt(p.QueuePosition);
    const seconds = call ? await expectedWaitSeconds(call, position ?? 1, positiveInt(p.AvgQueueTime)) : null;
    twiml(res, waitTwiml(lang, position, seconds === null ? null : Math.max(1, Math.ceil(seconds / 60))));
  });

  router.post('/status', async (req, res) => {
    await applyCallStatus(ctx, params(VoiceParamsSchema, req));
    twiml(res, emptyTwiml());
  });

  router.post('/recording', async (req, res) => {
    await applyRecording(ctx, params(RecordingParamsSchema, req));
    twiml(res, emptyTwiml());
  });

  router.post('/transcription', async (req, res) => {
    await applyTranscription(ctx, params(TranscriptionParamsSchema, req));
    twiml(res, emptyTwiml());
  });

  router.post('/voicemail-done', (req, res) => {
    const duration = Number((req.body as Record<string, string>).RecordingDuration ?? 0);
    twiml(res, voicemailDoneTwiml(duration > 0));
  });

  // 4. The agent accepted: Twilio took the caller out of the queue and asks where to connect them.
  router.post('/bridge', async (req, res) => {
    const p = params(VoiceParamsSchema, req);
    const callId = positiveInt(req.query.callId);
    const agentId = positiveInt(req.query.agentId);
    const call = callId ? await PhoneCall.findByPk(callId) : null;
    if (!call || !agentId || call.callSid !== p.CallSid) throw validationError('callId', 'does not name this call');
    const marked = await markBridging(ctx, call.id, agentId);
    const fresh = marked ?? (await PhoneCall.findByPk(call.id, { rejectOnEmpty: true }));
    const lang = fresh.language;
    if (fresh.agentId !== agentId) return twiml(res, requeueTwiml(lang, fresh.queueName ?? 'operator'));
    const action = (device: string) => `/twilio/voice/bridge-result?callId=${fresh.id}&agentId=${agentId}&device=${device}`;
    if (fresh.agentDevice === 'phone') {
      const phone = await AgentPhone.findOne({ where: { agentId } });
      if (phone && ctx.config.TWILIO_PHONE_NUMBER) return twiml(res, bridgeTwiml(lang, { number: phone.phoneNumber, callerId: ctx.config.TWILIO_PHONE_NUMBER }, action('phone')));
    }
    twiml(res, bridgeTwiml(lang, { client: `agent-${agentId}` }, action('softphone')));
  });

  // 5. The <Dial> to the agent ended: after a conversation the call is over; unanswered, back to the queue.
  router.post('/bridge-result', async (req, res) => {
    const body = req.body as Record<string, string>;
    const callId = positiveInt(req.query.callId);
    const agentId = positiveInt(req.query.agentId);
    if (!callId || !agentId) throw validationError('callId', 'is required');
    const device = req.query.device === 'phone' ? 'phone' : 'softphone';
    const outcome = await applyDialResult(ctx, callId, agentId, device, String(body.DialCallStatus ?? ''), body.DialCallDuration ? Number(body.DialCallDuration) : undefined);
    const call = await PhoneCall.findByPk(callId);
    if (outcome === 'fallback' && call) {
      const phone = await AgentPhone.findOne({ where: { agentId } });
      if (phone && ctx.config.TWILIO_PHONE_NUMBER) {
        return twiml(res, bridgeTwiml(call.language, { number: phone.phoneNumber, callerId: ctx.config.TWILIO_PHONE_NUMBER }, `/twilio/voice/bridge-result?callId=${callId}&agentId=${agentId}&device=phone`));
      }
    }
    if ((outcome === 'requeue' || outcome === 'fallback') && call) {
      offerSoon(ctx, call.id);
      return twiml(res, requeueTwiml(call.language, call.queueName ?? 'operator'));
    }
    twiml(res, hangupTwiml());
  });

  // The TwiML app of the agents' softphone: an outgoing connection from `client:agent-<id>` either takes the
  // next caller of a queue (`<Dial><Queue>`) or calls a citizen back from the city hall's number.
  router.post('/client', async (req, res) => {
    const body = req.body as Record<string, string>;
    const m = /^client:agent-(\d+)$/.exec(body.From ?? '');
    const agent = m ? await Agent.findOne({ where: { id: Number(m[1]), active: true } }) : null;
    if (!agent) throw new AppError(403, 'not_an_agent', 'Only an agent’s softphone can use this endpoint.');
    if (body.queue && /^[A-Za-z0-9_-]{1,64}$/.test(body.queue)) return twiml(res, dialQueueTwiml(body.queue));
    if (body.To && /^\+[1-9]\d{6,14}$/.test(body.To) && ctx.config.TWILIO_PHONE_NUMBER) return twiml(res, dialNumberTwiml(body.To, ctx.config.TWILIO_PHONE_NUMBER));
    twiml(res, hangupTwiml());
  });

  return router;
}
