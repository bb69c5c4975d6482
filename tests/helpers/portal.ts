import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { Conversation, ConversationEvent } from '../../db/models';
import type { Resolution } from '../../db/models/Conversation';
import type { AppContext } from '../../server/context';

/** A fresh form submission id, as the portal generates into its forms. */
export const submissionId = () => randomBytes(18).toString('base64url');

/** A small JPEG photo; with `gps` its EXIF carries that position (and a camera make to see stripped). */
export async function jpegPhoto(gps?: { lat: number; lng: number }): Promise<Buffer> {
  const dms = (v: number) => {
    const a = Math.abs(v);
    const d = Math.floor(a);
    const m = Math.floor((a - d) * 60);
    const s = Math.round(((a - d) * 60 - m) * 60 * 100);
    return `${d}/1 ${m}/1 ${s}/100`;
  };
  const image = sharp({ create: { width: 64, height: 48, channels: 3, background: '#777777' } }).jpeg();
  if (!gps) return image.withExif({ IFD0: { Make: 'TestCam', Artist: 'Ioana Popescu' } }).toBuffer();
  return image
    .withExif({
      IFD0: { Make: 'TestCam', Artist: 'Ioana Popescu' },
      IFD3: { GPSLatitudeRef: gps.lat >= 0 ? 'N' : 'S', GPSLatitude: dms(gps.lat), GPSLongitudeRef: gps.lng >= 0 ? 'E' : 'W', GPSLongitude: dms(gps.lng) },
    })
    .toBuffer();
}

/**
 * Resolves a case the way the agents' status command does (status, resolution, timestamps, a public event,
 * the domain event after commit). Used where a test needs a resolved case without the console.
 */
export async function resolveCase(ctx: AppContext, conversationId: number, resolution: Resolution): Promise<void> {
  await ctx.db.transaction(async (transaction) => {
    const c = await Conversation.findByPk(conversationId, { transaction, rejectOnEmpty: true });
    const from = c.status;
    const now = new Date();
    c.status = 'resolved';
    c.resolution = resolution;
    c.resolvedAt = now;
    if (resolution === 'fixed') c.fixedAt = now;
    if (resolution === 'answered') c.answeredAt = now;
    await c.save({ transaction });
    const e = await ConversationEvent.create(
      { conversationId, type: 'conversation.status_changed', actorType: 'agent', actorId: null, data: { from, to: 'resolved', resolution }, public: true },
      { transaction },
    );
    transaction.afterCommit(() => ctx.events.emit('conversation.changed', { conversationId, eventIds: [e.id] }));
  });
}
