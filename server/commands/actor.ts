import type { Agent } from '../../db/models';
import type { Role } from '../../db/models/Agent';
import { conversationScope, type ConversationScope } from '../auth/visibility';

/** Who runs a command: the signed-in agent and what they may see (computed once per request). */
export interface Actor {
  agent: Agent;
  scope: ConversationScope;
}

/** The actor of a signed-in agent. */
export async function actorOf(agent: Agent): Promise<Actor> {
  return { agent, scope: await conversationScope(agent) };
}

/** Supervisors and administrators may do what agents may not (reopen closed cases, manage canned responses). */
export function isSupervisor(actor: Actor | { agent: { role: Role } }): boolean {
  return actor.agent.role === 'supervisor' || actor.agent.role === 'admin';
}
