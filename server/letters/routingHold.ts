import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { HELD_LETTER_STATUSES } from '../../db/models/Letter';

/**
 * The routing hold of the letter channel: a case opened by a scanned letter waits outside the queues until
 * the letter is read and released (OCR done, and a clerk's review when it needed one). Routing asks this
 * before queueing a letter case; the release publishes `conversation.changed`, and routing queues it then.
 */
export const HELD_LETTER_SQL = `EXISTS (SELECT 1 FROM messages hm JOIN letters hl ON hl.sha256 = hm.externalId
  WHERE hm.conversationId = c.id AND hm.channel = 'letter' AND hl.status IN (${HELD_LETTER_STATUSES.map((s) => `'${s}'`).join(', ')}))`;

/** True while a letter of this case is not yet released. */
export async function letterCaseHeld(sequelize: Sequelize, transaction: Transaction, conversationId: number): Promise<boolean> {
  const rows = await sequelize.query(`SELECT 1 AS x FROM conversations c WHERE c.id = :conversationId AND ${HELD_LETTER_SQL}`, {
    replacements: { conversationId },
    transaction,
    type: QueryTypes.SELECT,
  });
  return rows.length > 0;
}
