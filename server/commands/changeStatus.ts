import type { ConversationStatus, Resolution } from '../../db/models/Conversation';
import type { Conversation } from '../../db/models';
import type { AppContext } from '../context';
import { conflict } from '../errors';
import { isSupervisor, type Actor } from './actor';
import { changeCase } from './caseTransaction';
import { applyStatusChange, type SettableStatus } from './statusMachine';

export interface ChangeStatusProps {
  conversationId: number;
  status: SettableStatus;
  resolution?: Resolution;
  /** Why (shown in the timeline; public like the status change itself). */
  reason?: string;
  /** The status the agent saw; when given and different, nothing changes (409 status_changed). */
  expectedStatus?: ConversationStatus;
}

/**
 * Moves a case along the status machine under a row lock, so two agents changing it at once are serialised:
 * the second sees the first one's result. The status event is public: the citizen's portal shows it.
 */
export async function changeStatus(ctx: AppContext, actor: Actor, props: ChangeStatusProps): Promise<Conversation> {
  return changeCase(ctx, actor, props.conversationId, async (c, transaction) => {
    if (props.expectedStatus && c.status !== props.expectedStatus) {
      throw conflict(`The case is now "${c.status}", not "${props.expectedStatus}": someone changed it meanwhile. Reload and decide again.`, 'status_changed');
    }
    const data = applyStatusChange(c, { to: props.status, resolution: props.resolution, supervisor: isSupervisor(actor), now: new Date() });
    if (props.reason) data.reason = props.reason;
    await c.save({ transaction });
    return { result: c, events: [{ type: 'conversation.status_changed', public: true, data }] };
  });
}
