import { Op } from 'sequelize';
import { Agent, Citizen, Conversation, Department, Message, PhoneCall, type ConversationEvent } from '../../db/models';
import type { CallOfferEndReason, CallOfferView } from '../realtime/contract';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/**
 * The caller's number as an agent's offer card shows it. The card is on screen before the agent takes the call
 * (and to whoever looks at the screen): agents see the country code, the first digit and the last three;
 * supervisors and admins see it whole. Once the call is theirs, the case shows the citizen as usual.
 */
export function callerForRole(number: string | null, role: Agent['role']): string | null {
  if (!number) return null;
  if (role === 'supervisor' || role === 'admin') return number;
  const digits = number.replace(/^\+/, '');
  if (digits.length <= 6) return `+${'•'.repeat(digits.length)}`;
  return `+${digits.slice(0, 3)}${'•'.repeat(digits.length - 6)}${digits.slice(-3)}`;
}

/** The calls ringing for one agent now, as their console shows them (optionally only some calls). */
export async function loadCallOfferViews(agentId: number, callIds?: number[]): Promise<CallOfferView[]> {
  const calls = await PhoneCall.findAll({
    where: { routingState: 'offered', offeredAgentId: agentId, ...(callIds ? { id: { [Op.in]: callIds } } : {}) },
    order: [['id', 'ASC']],
  });
  if (!calls.length) return [];
  const agent = await Agent.findByPk(agentId, { attributes: ['id', 'role'] });
  if (!agent) return [];
  const conversations = new Map(
    (await Conversation.findAll({ where: { id: { [Op.in]: calls.map((c) => c.conversationId) } }, include: [{ model: Citizen, as: 'citizen', attributes: ['id', 'name'] }] })).map((c) => [c.id, c]),
  );
  const messages = new Map((await Message.findAll({ where: { id: { [Op.in]: calls.map((c) => c.messageId) } }, attributes: ['id', 'metadata'] })).map((m) => [m.id, m]));
  const codes = [...new Set(calls.map((c) => c.departmentCode).filter((c): c is string => Boolean(c)))];
  const departments = new Map((codes.length ? await Department.findAll({ where: { code: { [Op.in]: codes } } }) : []).map((d) => [d.code, d]));
  const views: CallOfferView[] = [];
  for (const call of calls) {
    const conversation = conversations.get(call.conversationId) as (Conversation & { citizen?: Citizen | null }) | undefined;
    if (!conversation || !call.offerExpiresAt) continue;
    const meta = (messages.get(call.messageId)?.metadata ?? {}) as { from?: unknown; offeredAt?: unknown };
    const from = meta.from;
    const department = call.departmentCode ? departments.get(call.departmentCode) : undefined;
    const offeredAt = typeof meta.offeredAt === 'string' && !Number.isNaN(Date.parse(meta.offeredAt)) ? new Date(meta.offeredAt) : new Date(call.offerExpiresAt.getTime() - 30_000);
    views.push({
      callId: call.id,
      conversationId: call.conversationId,
      registrationNumber: conversation.registrationNumber,
      caller: callerForRole(typeof from === 'string' ? from : null, agent.role),
      citizenName: conversation.citizen?.name ?? null,
      department: department ? { code: department.code, nameRo: department.nameRo, nameEn: department.nameEn } : null,
      language: call.language,
      queuedAt: iso(call.queuedAt),
      offeredAt: offeredAt.toISOString(),
      expiresAt: call.offerExpiresAt.toISOString(),
      timeoutSeconds: Math.max(1, Math.round((call.offerExpiresAt.getTime() - offeredAt.getTime()) / 1000)),
    });
  }
  return views;
}

/** Timeline rows that end an agent's call offer, and the reason the agent's console is given. */
const ENDINGS: Record<string, CallOfferEndReason | 'from_data'> = {
  'call.accepted': 'accepted',
  'call.declined': 'declined',
  'call.offer_expired': 'expired',
  'call.offer_revoked': 'from_data',
};
const REVOKE_REASONS: readonly CallOfferEndReason[] = ['disconnected', 'presence', 'hung_up'];

/** A call event as the offered agent's console hears it. */
export type CallOfferNotice =
  | { kind: 'offered'; agentId: number; eventId: number; view: CallOfferView }
  | { kind: 'ended'; agentId: number; eventId: number; callId: number; conversationId: number; reason: CallOfferEndReason };

/**
 * Turns committed call timeline rows into what the agents' consoles hear: a `call.offered` row whose call still
 * rings at that agent (re-read, never trusted from the row) becomes the offer card; rows that end an offer
 * become its revocation, addressed to the agent it was offered to.
 */
export async function callOfferNotices(events: readonly Pick<ConversationEvent, 'id' | 'conversationId' | 'type' | 'data'>[]): Promise<CallOfferNotice[]> {
  const out: CallOfferNotice[] = [];
  for (const e of events) {
    const agentId = Number(e.data?.agentId);
    const callId = Number(e.data?.callId);
    if (!Number.isInteger(agentId) || agentId <= 0 || !Number.isInteger(callId) || callId <= 0) continue;
    if (e.type === 'call.offered') {
      const [view] = await loadCallOfferViews(agentId, [callId]);
      if (view) out.push({ kind: 'offered', agentId, eventId: e.id, view });
      continue;
    }
    const ending = ENDINGS[e.type];
    if (!ending) continue;
    const reason = ending === 'from_data' ? ((REVOKE_REASONS as readonly string[]).includes(String(e.data.reason)) ? (e.data.reason as CallOfferEndReason) : 'presence') : ending;
    out.push({ kind: 'ended', agentId, eventId: e.id, callId, conversationId: e.conversationId, reason });
  }
  return out;
}
