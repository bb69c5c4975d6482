import { Category, type Conversation } from '../../db/models';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import type { Actor } from './actor';
import { changeCase, type EventDraft } from './caseTransaction';

export interface ChangeCategoryProps {
  conversationId: number;
  /** null removes the category. */
  categoryId: number | null;
  /** Also move the case to the category's department (the default when the case has none). */
  moveToDepartment?: boolean;
}

/** Sets a case's service category; with moveToDepartment the case follows the category to its department's queue. */
export async function changeCategory(ctx: AppContext, actor: Actor, props: ChangeCategoryProps): Promise<Conversation> {
  return changeCase(ctx, actor, props.conversationId, async (c, transaction) => {
    const category = props.categoryId === null ? null : await Category.findByPk(props.categoryId, { transaction });
    if (props.categoryId !== null && (!category || !category.active)) throw validationError('categoryId', `is not an active category: ${props.categoryId}`);
    if ((category?.id ?? null) === c.categoryId) return { result: c, events: [] };
    const events: EventDraft[] = [{ type: 'conversation.category_changed', public: true, data: { from: c.categoryId, to: category?.id ?? null, code: category?.code ?? null } }];
    c.categoryId = category?.id ?? null;
    const move = props.moveToDepartment ?? c.departmentId === null;
    if (move && category?.departmentId && category.departmentId !== c.departmentId) {
      events.push({ type: 'conversation.department_changed', public: false, data: { from: c.departmentId, to: category.departmentId, reason: 'category', previousAssigneeId: c.assigneeId } });
      c.departmentId = category.departmentId;
      c.assigneeId = null;
    }
    await c.save({ transaction });
    return { result: c, events };
  });
}
