import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Transaction } from 'sequelize';
import { Conversation } from '../../db/models';
import type { AppContext } from '../context';

/** sha256 of a tracking token: the only form the database keeps. */
export function hashTrackingToken(token: string): string {
  return createHash('sha256').update(`track:${token}`).digest('hex');
}

/** The citizen's tracking page of a case. */
export function trackingUrl(ctx: AppContext, registrationNumber: string, token: string, language: 'ro' | 'en' = 'ro'): string {
  const [seq, year] = registrationNumber.split('/');
  return `${ctx.config.PUBLIC_URL}${language === 'en' ? '/en' : ''}/t/${year}/${seq}/${token}`;
}

/**
 * Issues a new secret tracking token for a case (replacing any earlier one) and returns it with its link.
 * Only the hash is stored; the plain token is shown once to the citizen and sent in the acknowledgement.
 */
export async function issueTrackingToken(ctx: AppContext, conversationId: number, transaction?: Transaction): Promise<{ token: string; url: string }> {
  const token = randomBytes(24).toString('base64url');
  const conversation = await Conversation.findByPk(conversationId, { transaction, rejectOnEmpty: true });
  conversation.portalTokenHash = hashTrackingToken(token);
  await conversation.save({ transaction, fields: ['portalTokenHash'] });
  return { token, url: trackingUrl(ctx, conversation.registrationNumber, token, conversation.language) };
}

/** True when `token` opens the case; compared in constant time. A missing hash never matches. */
export function trackingTokenMatches(conversation: Pick<Conversation, 'portalTokenHash'>, token: string): boolean {
  const expected = Buffer.from(conversation.portalTokenHash ?? '0'.repeat(64), 'hex');
  const given = Buffer.from(hashTrackingToken(token), 'hex');
  return timingSafeEqual(expected, given) && conversation.portalTokenHash !== null;
}
