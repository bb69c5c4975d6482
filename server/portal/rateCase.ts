import { UniqueConstraintError } from 'sequelize';
import { Conversation, ConversationEvent, Rating } from '../../db/models';
import type { AppContext } from '../context';
import { conflict, validationError } from '../errors';

/**
 * Stores the citizen's rating of a resolved case, once: the case row is locked, a second rating is refused,
 * and the unique index settles a race between two processes. A public timeline event records the score.
 */
export async function rateCase(ctx: AppContext, conversationId: number, props: { score: number; comment?: string }): Promise<Rating> {
  if (!Number.isInteger(props.score) || props.score < 1 || props.score > 5) throw validationError('score', 'must be a whole number from 1 to 5');
  const comment = props.comment?.trim().slice(0, 2000) || null;
  try {
    return await ctx.db.transaction(async (transaction) => {
      const conversation = await Conversation.findByPk(conversationId, { transaction, lock: transaction.LOCK.UPDATE, rejectOnEmpty: true });
      if (!['resolved', 'closed'].includes(conversation.status)) throw conflict('Only a resolved case can be rated; wait for the answer.', 'not_resolved');
      if (await Rating.findOne({ where: { conversationId }, transaction })) throw conflict('This case has already been rated.', 'already_rated');
      const rating = await Rating.create({ conversationId, score: props.score, comment }, { transaction });
      const event = await ConversationEvent.create(
        { conversationId, type: 'rating.created', actorType: 'citizen', actorId: conversation.citizenId, data: { score: props.score, hasComment: Boolean(comment) }, public: true },
        { transaction },
      );
      transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds: [event.id] }));
      return rating;
    });
  } catch (err) {
    if (err instanceof UniqueConstraintError) throw conflict('This case has already been rated.', 'already_rated');
    throw err;
  }
}
