import { Op, type WhereOptions } from 'sequelize';
import { Agent, AgentDepartment, Conversation } from '../../db/models';

/** What an agent may see: everything, or the cases of some departments plus the general queue and their own. */
export type ConversationScope = { all: true } | { all: false; agentId: number; departmentIds: number[] };

/**
 * Supervisors, administrators and agents serving all departments see every case. Other agents see the cases
 * of their departments, the general queue (no department) and whatever is assigned to them.
 */
export async function conversationScope(agent: Agent): Promise<ConversationScope> {
  if (agent.role !== 'agent' || agent.allDepartments) return { all: true };
  const rows = await AgentDepartment.findAll({ where: { agentId: agent.id }, attributes: ['departmentId'] });
  return { all: false, agentId: agent.id, departmentIds: rows.map((r) => r.departmentId) };
}

/** The scope as a condition on conversations (null: no restriction). */
export function scopeWhere(scope: ConversationScope): WhereOptions<Conversation> | null {
  if (scope.all) return null;
  const visible: WhereOptions<Conversation>[] = [{ departmentId: null }, { assigneeId: scope.agentId }];
  if (scope.departmentIds.length) visible.push({ departmentId: { [Op.in]: scope.departmentIds } });
  return { [Op.or]: visible };
}

/** True when the scope lets the agent see this case. */
export function canSee(scope: ConversationScope, conversation: Conversation): boolean {
  if (scope.all) return true;
  return (
    conversation.departmentId === null ||
    conversation.assigneeId === scope.agentId ||
    scope.departmentIds.includes(conversation.departmentId)
  );
}
