import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * The case's tracking token and link. The token is derived from SESSION_SECRET and the case (an HMAC of its id
 * and registration time), so every caller in every process gets the same one: the portal's confirmation page
 * and the acknowledgement email show the same link, whichever runs first. Only its hash is stored. After a
 * rotation (rotateTrackingToken) the derived token is revoked, so each call then hands out a fresh random one.
 */
export async function issueTrackingToken(ctx: AppContext, conversationId: number, transaction?: Transaction): Promise<{ token: string; url: string }> {
  const conversation = await Conversation.findByPk(conversationId, { transaction, rejectOnEmpty: true });
  const token = derivedToken(ctx, conversation);
  const hash = hashTrackingToken(token);
  if (conversation.portalTokenHash === null) {
    conversation.portalTokenHash = hash;
    await conversation.save({ transaction, fields: ['portalTokenHash'] });
  } else if (conversation.portalTokenHash !== hash) {
    // Rotated earlier: the derived token no longer opens the case, so hand out a fresh random one.
    return rotateTrackingToken(ctx, conversationId, transaction);
  }
  return { token, url: trackingUrl(ctx, conversation.registrationNumber, token, conversation.language) };
}

/**
 * The case's tracking link when its token is still the derived one (so it can be recomputed without
 * storing it), else null: after a rotation only the citizen holds the link, and nothing here may replace it.
 */
export function currentTrackingUrl(ctx: AppContext, conversation: Pick<Conversation, 'id' | 'registeredAt' | 'registrationNumber' | 'language' | 'portalTokenHash'>): string | null {
  const token = derivedToken(ctx, conversation);
  if (conversation.portalTokenHash === null || conversation.portalTokenHash !== hashTrackingToken(token)) return null;
  return trackingUrl(ctx, conversation.registrationNumber, token, conversation.language);
}

/** Replaces the case's token with a new random one (a leaked link): earlier links stop working. */
export async function rotateTrackingToken(ctx: AppContext, conversationId: number, transaction?: Transaction): Promise<{ token: string; url: string }> {
  const token = randomBytes(24).toString('base64url');
  const conversation = await Conversation.findByPk(conversationId, { transaction, rejectOnEmpty: true });
  conversation.portalTokenHash = hashTrackingToken(token);
  await conversation.save({ transaction, fields: ['portalTokenHash'] });
  return { token, url: trackingUrl(ctx, conversation.registrationNumber, token, conversation.language) };
}

function derivedToken(ctx: AppContext, c: Pick<Conversation, 'id' | 'registeredAt'>): string {
  // 24 bytes like the random tokens: 32 base64url characters.
  return createHmac('sha256', ctx.config.SESSION_SECRET).update(`track:${c.id}:${c.registeredAt.getTime()}`).digest().subarray(0, 24).toString('base64url');
}

/** True when `token` opens the case; compared in constant time. A missing hash never matches. */
export function trackingTokenMatches(conversation: Pick<Conversation, 'portalTokenHash'>, token: string): boolean {
  const expected = Buffer.from(conversation.portalTokenHash ?? '0'.repeat(64), 'hex');
  const given = Buffer.from(hashTrackingToken(token), 'hex');
  return timingSafeEqual(expected, given) && conversation.portalTokenHash !== null;
}
