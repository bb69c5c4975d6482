import { Op } from 'sequelize';
import { Agent, AgentDepartment, AgentPhone, Conversation, Department, PhoneCall } from '../../db/models';
import type { AgentDevice } from '../../db/models/PhoneCall';
import type { AppContext } from '../context';
import { AppError, conflict, notFound } from '../errors';
import { logger } from '../log';
import { changeCall, patchMetadata, type CallEvent } from './callCommands';
import { phoneClock } from './officeHours';
import { claimReceipt } from './receipts';
import { twilioRest } from './rest';

const log = logger('twilio.routing');

/** How long an agent has to accept a ringing offer before it goes to the next agent. */
export const OFFER_TIMEOUT_MS = 30_000;

/** States in which a call occupies its agent's one voice slot. */
const BUSY_STATES = ['offered', 'bridging', 'bridged'] as const;

/**
 * Offers a waiting call to one available agent: active, present as available, serving the call's department
 * (or all departments), not already holding a call, not one who declined it; the longest idle first. The
 * call row is locked, so two processes never offer it twice; the agent row is locked before checking that
 * they hold no other call, so an agent never gets two. This is the direct assignment the routing engine will
 * take over: it is the one place that decides who gets a call.
 */
export async function offerWaitingCall(ctx: AppContext, callId: number): Promise<number | null> {
  const offered = await changeCall(ctx, { id: callId }, null, async ({ call, message, transaction }) => {
    if (call.routingState !== 'queued') return null;
    const declined = call.declinedAgentIds ?? [];
    let candidates = await Agent.findAll({
      where: { active: true, presence: 'available', ...(declined.length ? { id: { [Op.notIn]: declined } } : {}) },
      order: [['lastOfferAt', 'ASC'], ['id', 'ASC']],
      transaction,
    });
    if (call.departmentCode) {
      const department = await Department.findOne({ where: { code: call.departmentCode }, transaction });
      const members = department ? await AgentDepartment.findAll({ where: { departmentId: department.id }, transaction }) : [];
      const memberIds = new Set(members.map((m) => m.agentId));
      candidates = candidates.filter((a) => a.allDepartments || memberIds.has(a.id));
    }
    // Never-offered agents first (NULL sorts first on SQLite, last on MariaDB).
    candidates.sort((a, b) => (a.lastOfferAt?.getTime() ?? 0) - (b.lastOfferAt?.getTime() ?? 0) || a.id - b.id);
    for (const candidate of candidates) {
      const agent = await Agent.findByPk(candidate.id, { transaction, lock: transaction.LOCK.UPDATE });
      if (!agent || agent.presence !== 'available' || !agent.active) continue;
      // Locking reads: on MariaDB a plain read would use the snapshot taken before the agent lock was granted
      // and miss an offer another process committed meanwhile. Both reads use an index on the agent column.
      const offered = await PhoneCall.findAll({ where: { offeredAgentId: agent.id, routingState: 'offered', id: { [Op.ne]: call.id } }, attributes: ['id'], transaction, lock: transaction.LOCK.SHARE });
      if (offered.length) continue;
      const holding = await PhoneCall.findAll({ where: { agentId: agent.id, routingState: { [Op.in]: ['bridging', 'bridged'] }, id: { [Op.ne]: call.id } }, attributes: ['id'], transaction, lock: transaction.LOCK.SHARE });
      if (holding.length) continue;
      const now = phoneClock.now();
      call.routingState = 'offered';
      call.offeredAgentId = agent.id;
      call.offerExpiresAt = new Date(now.getTime() + OFFER_TIMEOUT_MS);
      agent.lastOfferAt = now;
      await agent.save({ transaction });
      patchMetadata(message, { offeredTo: [...(((message.metadata as { offeredTo?: number[] }).offeredTo) ?? []), agent.id] });
      const expiresAt = call.offerExpiresAt.toISOString();
      transaction.afterCommit(() => ctx.events.emit('call.offered', { callId: call.id, conversationId: call.conversationId, agentId: agent.id, expiresAt }));
      return { events: [{ type: 'call.offered', data: { agentId: agent.id, expiresAt } }], result: agent.id };
    }
    return null;
  });
  return offered;
}

/** Takes back an offer nobody answered in time and offers the call to the next agent. */
export async function expireOffer(ctx: AppContext, callId: number, now = phoneClock.now()): Promise<void> {
  const expired = await changeCall(ctx, { id: callId }, null, async ({ call }) => {
    if (call.routingState !== 'offered' || !call.offerExpiresAt || call.offerExpiresAt > now) return null;
    const agentId = call.offeredAgentId;
    call.routingState = 'queued';
    call.declinedAgentIds = [...(call.declinedAgentIds ?? []), ...(agentId ? [agentId] : [])];
    call.offeredAgentId = null;
    call.offerExpiresAt = null;
    return { events: [{ type: 'call.offer_expired', data: { agentId } }], result: true };
  });
  if (expired) await offerWaitingCall(ctx, callId);
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
  await offerWaitingCall(ctx, callId);
}

/**
 * The agent accepts the offer: in one transaction the call is theirs (and so is its case), then Twilio is told
 * to take the caller out of the queue to the bridge TwiML, which rings the agent's softphone (Twilio Client
 * identity `agent-<id>`) or their phone. Uses the queue-member dequeue when the queue is known, else updates
 * the live call. If Twilio refuses, the call goes back to the queue and the next agent.
 */
export async function acceptCall(ctx: AppContext, callId: number, agentId: number, device: AgentDevice = 'softphone', now = phoneClock.now()): Promise<PhoneCall> {
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
