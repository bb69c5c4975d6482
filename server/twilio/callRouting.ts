import { Op, QueryTypes } from 'sequelize';
import { Agent, AgentPhone, Conversation, PhoneCall } from '../../db/models';
import type { AgentDevice } from '../../db/models/PhoneCall';
import type { AppContext } from '../context';
import { AppError, conflict, notFound } from '../errors';
import { logger } from '../log';
import { changeCall, patchMetadata, type CallEvent } from './callCommands';
import { phoneClock } from './officeHours';
import { lockFitAgent, rankCallCandidates } from '../routing/callCandidates';
import { routingEngine } from '../routing/engine';
import type { RoutingRuntime } from '../routing/runtime';
import { registerSweepTask } from '../routing/sweepTasks';
import { claimReceipt } from './receipts';
import { twilioRest } from './rest';

const log = logger('twilio.routing');

/** The default time an agent has to accept a ringing offer (the routing engine's offer timeout decides). */
export const OFFER_TIMEOUT_MS = 30_000;

/** States in which a call occupies its agent's one voice slot. */
const BUSY_STATES = ['offered', 'bridging', 'bridged'] as const;

/** Why a call offer was taken back from an agent who did not answer it. */
export type CallRevokeReason = 'disconnected' | 'presence' | 'hung_up';

/**
 * Offers a waiting call to one agent chosen by the routing engine: the candidates query of a voice case
 * (available, connected, serving the call's department or all departments, speaking the caller's language,
 * with the voice slot free — calls ringing or connected count), ranked by the configured strategy, without the
 * agents who declined or missed this call. Each attempt locks the call row (never offered twice), then the
 * agent row, and re-checks the agent under that lock with the routing engine's own check (never two calls, nor
 * a call beside a voice case). The offer expires at `offerExpiresAt` by a timer in this process, and by the
 * routing sweeper in any process (after a restart too).
 */
export async function offerWaitingCall(ctx: AppContext, callId: number): Promise<number | null> {
  const r = routingEngine(ctx).runtime;
  const head = await PhoneCall.findByPk(callId);
  if (!head || head.routingState !== 'queued') return null;
  const { departmentId, candidates } = await rankCallCandidates(r, {
    conversationId: head.conversationId,
    departmentCode: head.departmentCode,
    language: head.language,
    excludeAgentIds: head.declinedAgentIds ?? [],
  });
  for (const candidate of candidates.slice(0, 10)) {
    const outcome = await changeCall(ctx, { id: callId }, null, async ({ call, message, transaction }) => {
      if (call.routingState !== 'queued') return { events: [], result: 'gone' as const };
      if ((call.declinedAgentIds ?? []).includes(candidate.agentId)) return { events: [], result: 'unfit' as const };
      const work = { departmentId, language: call.language, channel: 'voice' as const, exceptConversationId: call.conversationId };
      const agent = await lockFitAgent(r, transaction, candidate.agentId, work);
      if (!agent) return { events: [], result: 'unfit' as const };
      const now = new Date();
      call.routingState = 'offered';
      call.offeredAgentId = agent.id;
      call.offerExpiresAt = new Date(now.getTime() + r.settings.offerTimeoutMs);
      await Agent.update({ lastOfferAt: now }, { where: { id: agent.id }, transaction });
      patchMetadata(message, { offeredTo: [...(((message.metadata as { offeredTo?: number[] }).offeredTo) ?? []), agent.id], offeredAt: now.toISOString() });
      const expiresAt = call.offerExpiresAt;
      transaction.afterCommit(() => {
        ctx.events.emit('call.offered', { callId: call.id, conversationId: call.conversationId, agentId: agent.id, expiresAt: expiresAt.toISOString() });
        ctx.events.emit('agent.changed', { agentId: agent.id });
        expireAt(ctx, call.id, expiresAt);
      });
      return { events: [{ type: 'call.offered', data: { agentId: agent.id, expiresAt: expiresAt.toISOString() } }], result: 'offered' as const };
    });
    if (outcome === 'offered') return candidate.agentId;
    if (outcome !== 'unfit') return null;
  }
  return null;
}

/** Expires an offer at its deadline in this process (the sweeper does it in any process when this one is gone). */
function expireAt(ctx: AppContext, callId: number, expiresAt: Date): void {
  const timer = setTimeout(() => {
    expireOffer(ctx, callId).catch((err: Error) => log.error({ callId, err: err.message }, 'expiring a call offer failed; the sweeper retries'));
  }, Math.max(0, expiresAt.getTime() - Date.now()) + 20);
  timer.unref();
}

/** Takes back an offer nobody answered in time and offers the call to the next agent. */
export async function expireOffer(ctx: AppContext, callId: number, now = new Date()): Promise<boolean> {
  const expired = await changeCall(ctx, { id: callId }, null, async ({ call, transaction }) => {
    if (call.routingState !== 'offered' || !call.offerExpiresAt || call.offerExpiresAt > now) return null;
    const agentId = call.offeredAgentId;
    call.routingState = 'queued';
    call.declinedAgentIds = [...(call.declinedAgentIds ?? []), ...(agentId ? [agentId] : [])];
    call.offeredAgentId = null;
    call.offerExpiresAt = null;
    if (agentId) transaction.afterCommit(() => ctx.events.emit('agent.changed', { agentId }));
    return { events: [{ type: 'call.offer_expired', data: { agentId } }], result: true };
  });
  if (expired) await offerWaitingCall(ctx, callId);
  return Boolean(expired);
}

/**
 * Takes back an offer from an agent who can no longer answer it (gone from the console longer than the grace
 * period, or no longer available) and offers the call to the next agent. They may be offered it again later.
 */
export async function revokeCallOffer(ctx: AppContext, callId: number, agentId: number, reason: CallRevokeReason): Promise<boolean> {
  const revoked = await changeCall(ctx, { id: callId }, null, async ({ call, transaction }) => {
    if (call.routingState !== 'offered' || call.offeredAgentId !== agentId) return null;
    call.routingState = 'queued';
    call.offeredAgentId = null;
    call.offerExpiresAt = null;
    transaction.afterCommit(() => ctx.events.emit('agent.changed', { agentId }));
    return { events: [{ type: 'call.offer_revoked', data: { agentId, reason } }], result: true };
  });
  if (revoked) await offerWaitingCall(ctx, callId);
  return Boolean(revoked);
}

/** The agent declines the ringing offer: it goes to the next available agent. */
export async function declineCall(ctx: AppContext, callId: number, agentId: number): Promise<void> {
  const declined = await changeCall(ctx, { id: callId }, null, async ({ call }) => {
    if (call.routingState !== 'offered' || call.offeredAgentId !== agentId) throw conflict('This call is not offered to you any more.', 'offer_gone');
    call.routingState = 'queued';
    call.declinedAgentIds = [...(call.declinedAgentIds ?? []), agentId];
    call.offeredAgentId = null;
    call.offerExpiresAt = null;
    return { events: [{ type: 'call.declined', actorType: 'agent', actorId: agentId, data: { agentId } }], result: true };
  });
  if (!declined) throw notFound('The call');
  ctx.events.emit('agent.changed', { agentId });
  await offerWaitingCall(ctx, callId);
}

/**
 * The agent accepts the offer: in one transaction the call is theirs (and so is its case), then Twilio is told
 * to take the caller out of the queue to the bridge TwiML, which rings the agent's softphone (Twilio Client
 * identity `agent-<id>`) or their phone. Uses the queue-member dequeue when the queue is known, else updates
 * the live call. If Twilio refuses, the call goes back to the queue and the next agent.
 */
export async function acceptCall(ctx: AppContext, callId: number, agentId: number, device: AgentDevice = 'softphone', now = new Date()): Promise<PhoneCall> {
  if (device === 'phone' && !(await AgentPhone.findOne({ where: { agentId } }))) {
    throw conflict('You have no phone number on file for taking calls; add one or use the softphone.', 'no_agent_phone');
  }
  const call = await changeCall(ctx, { id: callId }, null, async ({ call, message, transaction }) => {
    if (call.routingState !== 'offered' || call.offeredAgentId !== agentId) throw conflict('This call is not offered to you any more; it may have been answered or the caller hung up.', 'offer_gone');
    if (call.offerExpiresAt && call.offerExpiresAt < now) throw conflict('The offer expired; the call went back to the queue.', 'offer_expired');
    call.routingState = 'bridging';
    call.agentId = agentId;
    call.agentDevice = device;
    call.offeredAgentId = null;
    call.offerExpiresAt = null;
    patchMetadata(message, { acceptedBy: { agentId, device, at: now.toISOString() } });
    const events: CallEvent[] = [{ type: 'call.accepted', actorType: 'agent', actorId: agentId, data: { agentId, device } }];
    const conversation = await Conversation.findByPk(call.conversationId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
    if (conversation.assigneeId !== agentId) {
      events.push({ type: 'conversation.assigned', actorType: 'agent', actorId: agentId, data: { from: conversation.assigneeId, to: agentId, reason: 'call_accepted' } });
      conversation.assigneeId = agentId;
    }
    if (conversation.status === 'new') {
      events.push({ type: 'conversation.status_changed', public: true, data: { from: 'new', to: 'open', reason: 'call_accepted' } });
      conversation.status = 'open';
    }
    if (conversation.changed()) await conversation.save({ transaction });
    transaction.afterCommit(() => ctx.events.emit('agent.changed', { agentId }));
    return { events, result: call };
  });
  if (!call) throw notFound('The call');

  const url = `${ctx.config.PUBLIC_URL}/twilio/voice/bridge?callId=${call.id}&agentId=${agentId}`;
  try {
    const rest = twilioRest(ctx);
    if (call.queueSid) await rest.dequeueMember({ queueSid: call.queueSid, callSid: call.callSid, url });
    else await rest.redirectCall({ callSid: call.callSid, url });
  } catch (err) {
    log.warn({ callId, err: (err as Error).message }, 'Twilio refused to bridge the call; back to the queue');
    await changeCall(ctx, { id: callId }, null, async ({ call: c }) => {
      if (c.routingState !== 'bridging') return null;
      c.routingState = 'queued';
      c.agentId = null;
      c.agentDevice = null;
      c.declinedAgentIds = [...(c.declinedAgentIds ?? []), agentId];
      return { events: [{ type: 'call.bridge_failed', data: { agentId, error: (err as Error).message.slice(0, 300) } }], result: true };
    });
    void offerWaitingCall(ctx, callId).catch(() => undefined);
    throw new AppError(502, 'twilio_bridge_failed', 'Twilio could not connect the call (the caller may have hung up); it went back to the queue.');
  }
  return call;
}

/** Twilio fetched the bridge TwiML: the caller has left the queue and the agent's device is ringing. */
export async function markBridging(ctx: AppContext, callId: number, agentId: number): Promise<PhoneCall | null> {
  return changeCall(ctx, { id: callId }, { kind: 'call.bridge', key: `${callId}:${agentId}` }, async ({ call }) => {
    if (call.agentId !== agentId || call.routingState !== 'bridging') return null;
    return { events: [{ type: 'call.dequeued', data: { agentId: call.agentId, device: call.agentDevice } }], result: call };
  });
}

/** The `<Dial>` to the agent ended: answered (with its duration) or not, in which case the caller is queued again. */
export async function applyDialResult(ctx: AppContext, callId: number, agentId: number, device: AgentDevice, dialStatus: string, dialDuration?: number): Promise<'answered' | 'fallback' | 'requeue' | 'ignored'> {
  const fallbackPhone = await AgentPhone.findOne({ where: { agentId } });
  const outcome = await changeCall(ctx, { id: callId }, null, async ({ call, message, transaction }) => {
    // The action URL names the device it dialled: a late or replayed result of an earlier attempt changes nothing.
    if (call.agentId !== agentId || call.agentDevice !== device || call.routingState === 'ended') return null;
    if (!(await claimReceipt('call.dial', `${callId}:${agentId}:${device}:${dialStatus}`, transaction))) return null;
    if (dialStatus === 'completed' || dialStatus === 'answered') {
      const now = phoneClock.now();
      call.routingState = 'bridged';
      call.bridgedAt = call.bridgedAt ?? now;
      patchMetadata(message, { answeredBy: { agentId: call.agentId, device: call.agentDevice }, talkSeconds: dialDuration ?? null });
      return { events: [{ type: 'call.answered', actorType: 'agent', actorId: call.agentId, data: { agentId: call.agentId, device: call.agentDevice, talkSeconds: dialDuration ?? null } }], result: 'answered' as const };
    }
    // The softphone did not answer (browser closed, no microphone): ring the agent's phone before giving up.
    if (call.agentDevice === 'softphone' && fallbackPhone) {
      call.agentDevice = 'phone';
      return { events: [{ type: 'call.fallback_to_phone', data: { agentId, dialStatus } }], result: 'fallback' as const };
    }
    call.routingState = 'queued';
    call.declinedAgentIds = [...(call.declinedAgentIds ?? []), agentId];
    call.agentId = null;
    call.agentDevice = null;
    return { events: [{ type: 'call.agent_no_answer', data: { agentId, dialStatus } }], result: 'requeue' as const };
  });
  return outcome ?? 'ignored';
}

/** Calls the agent was offered or holds now (the console shows the ringing offer after a reload). */
export async function callsForAgent(agentId: number): Promise<PhoneCall[]> {
  return PhoneCall.findAll({
    where: { [Op.or]: [{ routingState: 'offered', offeredAgentId: agentId }, { routingState: { [Op.in]: [...BUSY_STATES] }, agentId }] },
    order: [['id', 'ASC']],
  });
}

/**
 * The routing sweeper's pass over live calls (every process, every second): offers past their deadline expire
 * and move on (the in-process timer may have died with its process); offers to agents gone from the console
 * longer than the grace period, or no longer available, are taken back; waiting callers are offered to agents
 * who became free. Everything it needs is in the database.
 */
export async function sweepCalls(r: RoutingRuntime): Promise<number> {
  const { ctx } = r;
  const now = new Date();
  let moved = 0;
  const due = await PhoneCall.findAll({ where: { routingState: 'offered', offerExpiresAt: { [Op.lte]: now } }, attributes: ['id'], order: [['offerExpiresAt', 'ASC']], limit: 100 });
  for (const c of due) if (await expireOffer(ctx, c.id, now)) moved++;
  const cutoff = new Date(now.getTime() - r.settings.disconnectGraceMs);
  const stray = await ctx.db.sequelize.query<{ id: number; agentId: number; available: number | string }>(
    `SELECT p.id AS id, p.offeredAgentId AS agentId, CASE WHEN a.presence = 'available' AND a.active = 1 THEN 1 ELSE 0 END AS available
       FROM phone_calls p JOIN agents a ON a.id = p.offeredAgentId
      WHERE p.routingState = 'offered'
        AND (a.presence <> 'available' OR a.active = 0 OR (a.disconnectedAt IS NOT NULL AND a.disconnectedAt < :cutoff))`,
    { replacements: { cutoff }, type: QueryTypes.SELECT },
  );
  for (const s of stray) if (await revokeCallOffer(ctx, Number(s.id), Number(s.agentId), Number(s.available) === 1 ? 'disconnected' : 'presence')) moved++;
  const waiting = await PhoneCall.findAll({ where: { routingState: 'queued' }, attributes: ['id'], order: [['queuedAt', 'ASC'], ['id', 'ASC']], limit: 20 });
  if (waiting.length && (await Agent.count({ where: { active: true, presence: 'available' } }))) {
    for (const c of waiting) if (await offerWaitingCall(ctx, c.id)) moved++;
  }
  return moved;
}

registerSweepTask('calls', sweepCalls);
