import type { Transaction } from 'sequelize';
import { Department, type Conversation } from '../../db/models';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import type { Actor } from './actor';
import { changeCase, type EventDraft } from './caseTransaction';

export interface ChangeDepartmentProps {
  conversationId: number;
  /** null sends the case back to the general queue (the registry). */
  departmentId: number | null;
  note?: string;
}

/**
 * Moves a case to another department's queue (or the general one). The owner lets go of it: the routing
 * engine offers it to someone who serves the new queue.
 */
export async function changeDepartment(ctx: AppContext, actor: Actor, props: ChangeDepartmentProps): Promise<Conversation> {
  return changeCase(ctx, actor, props.conversationId, async (c, transaction) => {
    const events = await moveToDepartment(c, props.departmentId, { reason: 'department', note: props.note }, transaction);
    return { result: c, events };
  });
}

/** Moves a locked case to a queue in memory and saves it; returns the timeline rows (none when it is already there). */
export async function moveToDepartment(
  c: Conversation,
  departmentId: number | null,
  why: { reason: 'department' | 'transfer'; note?: string },
  transaction: Transaction,
): Promise<EventDraft[]> {
  const department = departmentId === null ? null : await Department.findByPk(departmentId, { transaction });
  if (departmentId !== null && (!department || !department.active)) throw validationError('departmentId', `is not an active department: ${departmentId}`);
  if (c.departmentId === departmentId && (why.reason === 'department' || c.assigneeId === null)) return [];
  const data: Record<string, unknown> = { from: c.departmentId, to: departmentId, code: department?.code ?? null, reason: why.reason, previousAssigneeId: c.assigneeId };
  if (why.note) data.note = why.note;
  c.departmentId = departmentId;
  c.assigneeId = null;
  await c.save({ transaction });
  // Public without the note: the citizen sees that the request went to another department, not the internal remark.
  return [{ type: 'conversation.department_changed', public: false, data }];
}
