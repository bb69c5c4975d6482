import type { Transaction } from 'sequelize';
import type { ChannelKind, Language } from '../../channels/contract';
import { Department } from '../../db/models';
import { rawSql } from '../../db/rawSql';
import type { Agent } from '../../db/models';
import { capacityFor, lockAgent, lockedLoad, rankCandidates, speaks } from './load';
import type { RoutingRuntime } from './runtime';
import type { Candidate } from './strategy';

/** A piece of work as eligibility sees it: its queue, language and channel. */
export interface WorkItem {
  departmentId: number | null;
  language: Language;
  channel: ChannelKind;
  /** The case it belongs to: left out of the agent's load (a repeat call of a case the agent already holds). */
  exceptConversationId?: number;
}

/**
 * Re-checks under the agent's row lock (taken here) that the agent may take this work now: active, available,
 * connected, speaking its language, serving its queue (department member or all departments; the general queue
 * only the latter), with room on its channel counted by a locking read. Returns the locked agent, or null when
 * unfit. The one eligibility check of pushed work: cases (offerToAgent) and live calls (offerCallTo…) alike.
 */
export async function lockFitAgent(r: RoutingRuntime, t: Transaction, agentId: number, work: WorkItem): Promise<Agent | null>;
export async function lockFitAgent(r: RoutingRuntime, t: Transaction, agentId: number, work: WorkItem, opts: { skipLocked: true }): Promise<Agent | null | 'busy'>;
export async function lockFitAgent(r: RoutingRuntime, t: Transaction, agentId: number, work: WorkItem, opts: { skipLocked?: boolean } = {}): Promise<Agent | null | 'busy'> {
  const agent = opts.skipLocked ? await lockAgent(t, agentId, { skipLocked: true }) : await lockAgent(t, agentId);
  if (agent === 'busy') return 'busy';
  if (!agent || !agent.active || agent.presence !== 'available' || agent.disconnected) return null;
  if (!speaks(agent.languages, work.language)) return null;
  if (!agent.allDepartments) {
    if (work.departmentId === null) return null;
    const member = await rawSql(t).all('SELECT 1 AS x FROM agent_departments WHERE agentId = ? AND departmentId = ?', [agentId, work.departmentId]);
    if (!member.length) return null;
  }
  const load = await lockedLoad(r.ctx.db, t, agentId, work.channel, { exceptConversationId: work.exceptConversationId });
  if (load >= capacityFor(agent.capacity, work.channel)) return null;
  return agent;
}

/** A waiting call as routing sees it. */
export interface CallWork {
  conversationId: number;
  /** The IVR entry's department code (null: the operator, served from the general queue). */
  departmentCode: string | null;
  language: Language;
  /** Agents who declined or did not answer this call: not rung again for it. */
  excludeAgentIds: readonly number[];
}

/**
 * The queue of a call: its department when the code names an active one, else the general queue (the
 * operator, served by agents without a department restriction).
 */
export async function callDepartmentId(departmentCode: string | null, t?: Transaction): Promise<number | null> {
  if (!departmentCode) return null;
  const department = await Department.findOne({ where: { code: departmentCode, active: true }, attributes: ['id'], transaction: t });
  return department?.id ?? null;
}

/**
 * The agents a waiting call may ring now, best first by the configured strategy: the same candidates query as a
 * waiting case on the voice channel (presence, connection, queue, language, voice capacity of 1 counting calls
 * ringing or connected), without the agents who declined or missed this call. Plain reads; the offer re-checks
 * with lockFitAgent.
 */
export async function rankCallCandidates(r: RoutingRuntime, call: CallWork): Promise<{ departmentId: number | null; candidates: Candidate[] }> {
  const departmentId = await callDepartmentId(call.departmentCode);
  const candidates = await rankCandidates(
    r,
    { conversationId: call.conversationId, departmentId, channel: 'voice', language: call.language },
    { excludeAgentIds: call.excludeAgentIds, exceptConversationId: call.conversationId },
  );
  return { departmentId, candidates };
}
