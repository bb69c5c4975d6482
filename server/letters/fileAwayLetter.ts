import { Letter, type Agent } from '../../db/models';
import type { LetterFields } from '../../db/models/Letter';
import { actorOf, isSupervisor } from '../commands/actor';
import { lockConversation, writeEvents } from '../commands/caseTransaction';
import { applyStatusChange } from '../commands/statusMachine';
import type { AppContext } from '../context';
import { conflict, forbidden, notFound } from '../errors';
import { redactCnpText } from '../text/cnp';

/**
 * Who may file a letter away: supervisors and administrators, and the registry (agents serving every department,
 * who register and check the post). An agent of one department may correct and release a letter, not decide
 * that it goes unanswered.
 */
export function mayFileAway(agent: Agent): boolean {
  return isSupervisor({ agent }) || agent.allDepartments;
}

/** A sender the petition law recognises (OG 27/2002 art. 7): a name and somewhere to send the answer. */
export function identifiesSender(fields: LetterFields): boolean {
  return Boolean(fields.senderName && (fields.postalAddress || fields.email));
}

/**
 * Files away a letter in review that names no sender (OG 27/2002 art. 7: anonymous petitions are not answered).
 * Under the letter's and the case's row locks: the case goes to `filed_away` through the status machine (a public status change,
 * reason `anonymous_petition`), the clerk's reason is kept in a `letter.filed_away` timeline row (not public),
 * and the letter leaves the review queue as `filed_away`. The case is never routed: routing takes only new and
 * open cases. A supervisor may reopen it later like any filed-away case.
 */
export async function fileAwayLetter(ctx: AppContext, agent: Agent, letterId: number, reason: string): Promise<Letter> {
  if (!mayFileAway(agent)) throw forbidden('Only the registry (agents serving every department) or a supervisor may file a letter away.');
  const found = await Letter.findByPk(letterId);
  if (!found || !found.conversationId) throw notFound('The letter');
  const actor = await actorOf(agent);
  // The letter's row is locked before its case's, in the order release takes them, so the two never deadlock.
  return ctx.db.transaction(async (transaction) => {
    const letter = await Letter.findByPk(letterId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
    const conversation = await lockConversation(actor, found.conversationId!, transaction);
    if (letter.status !== 'review') throw conflict(`This letter is ${letter.status}; only letters waiting for review can be filed away.`, 'letter_not_in_review');
    if (identifiesSender(letter.fields)) {
      throw conflict('This letter names its sender and an address: release it to routing instead (only petitions without identification are filed away).', 'letter_identified');
    }
    const data = applyStatusChange(conversation, { to: 'filed_away', supervisor: isSupervisor(actor), now: new Date() });
    await conversation.save({ transaction });
    letter.status = 'filed_away';
    await letter.save({ transaction });
    await writeEvents(ctx, actor, conversation.id, [
      { type: 'conversation.status_changed', public: true, data: { ...data, reason: 'anonymous_petition' } },
      { type: 'letter.filed_away', data: { letterId, reason: redactCnpText(reason), legalBasis: 'OG 27/2002 art. 7' } },
    ], transaction);
    return letter;
  });
}
