import { Op } from 'sequelize';
import type { Language } from '../../channels/contract';
import { Category, Conversation, ConversationEvent, Message, Rating } from '../../db/models';
import { OPEN_STATUSES, type ConversationStatus, type Resolution } from '../../db/models/Conversation';
import { trackingTokenMatches } from './trackingToken';

/** Statuses in which the citizen may still add information on the same case. */
const ACCEPTS_INFO: readonly ConversationStatus[] = [...OPEN_STATUSES, 'resolved'];
/** Statuses in which the citizen may rate the outcome. */
const RATEABLE: readonly ConversationStatus[] = ['resolved', 'closed'];

/**
 * The case a tracking link opens, or null. A missing case, a case without a token and a wrong token all
 * give null after the same constant-time comparison, so a guesser learns nothing from the answer or its timing.
 */
export async function findTrackedCase(year: string, seq: string, token: string): Promise<Conversation | null> {
  const valid = /^\d{4}$/.test(year) && /^\d{1,9}$/.test(seq) && /^[A-Za-z0-9_-]{16,64}$/.test(token);
  const conversation = valid ? await Conversation.findOne({ where: { registrationNumber: `${Number(seq)}/${year}` } }) : null;
  const matches = trackingTokenMatches(conversation ?? { portalTokenHash: null }, valid ? token : 'x'.repeat(32));
  if (!conversation || !matches) return null;
  // A case joined into another is followed there only through its own link; its page shows the join.
  return conversation;
}

/** One entry of the public timeline; never an agent's name, an internal note or a citizen's contact data. */
export interface PublicTimelineEntry {
  id: number;
  at: Date;
  kind: 'created' | 'status' | 'citizen_message' | 'reply' | 'extended' | 'rated';
  status?: ConversationStatus;
  resolution?: Resolution | null;
  photos?: number;
  text?: string;
  date?: string;
  score?: number;
}

/** What the tracking page shows about a case. */
export interface PublicCaseView {
  conversationId: number;
  registrationNumber: string;
  registeredAt: Date;
  categoryName: string | null;
  status: ConversationStatus;
  resolution: Resolution | null;
  anonymous: boolean;
  legalDueDate: string | null;
  answeredAt: Date | null;
  fixedAt: Date | null;
  timeline: PublicTimelineEntry[];
  rating: { score: number; comment: string | null } | null;
  canAddInfo: boolean;
  canRate: boolean;
  /** Changes whenever anything on the page would change: the live-update poll compares it. */
  version: string;
}

/** Reads the public view of a case from the database (so every web process answers the same). */
export async function publicCaseView(conversation: Conversation, language: Language): Promise<PublicCaseView> {
  const [category, events, rating] = await Promise.all([
    conversation.categoryId ? Category.findByPk(conversation.categoryId) : null,
    ConversationEvent.findAll({ where: { conversationId: conversation.id, public: true }, order: [['id', 'ASC']] }),
    Rating.findOne({ where: { conversationId: conversation.id } }),
  ]);
  const replyIds = events.filter((e) => e.type === 'message.queued' && e.data.kind === 'reply').map((e) => Number(e.data.messageId));
  const replies = replyIds.length
    ? await Message.findAll({ where: { id: { [Op.in]: replyIds }, conversationId: conversation.id, direction: 'outbound' }, attributes: ['id', 'text'] })
    : [];
  const replyText = new Map(replies.map((m) => [m.id, m.text]));

  const timeline: PublicTimelineEntry[] = [];
  let seenFirstMessage = false;
  for (const e of events) {
    const base = { id: e.id, at: e.createdAt };
    switch (e.type) {
      case 'conversation.created':
        timeline.push({ ...base, kind: 'created' });
        break;
      case 'message.received':
        // The first message is the request itself, already shown as "registered".
        if (!seenFirstMessage) seenFirstMessage = true;
        else timeline.push({ ...base, kind: 'citizen_message', photos: Number(e.data.attachments ?? 0) });
        break;
      case 'conversation.status_changed': {
        const to = String(e.data.to ?? '') as ConversationStatus;
        if (!to) break;
        // The agent's reason is public like the change itself (the status command says so); the reopening a
        // citizen's own message caused carries a code, not words.
        const reason = typeof e.data.reason === 'string' && e.data.reason !== 'citizen_replied' ? e.data.reason : undefined;
        timeline.push({ ...base, kind: 'status', status: to, resolution: (e.data.resolution as Resolution | undefined) ?? null, text: reason });
        break;
      }
      case 'message.queued': {
        const text = replyText.get(Number(e.data.messageId));
        if (e.data.kind === 'reply' && text !== undefined) timeline.push({ ...base, kind: 'reply', text });
        break;
      }
      case 'conversation.extended':
      case 'conversation.deadline_extended':
        timeline.push({ ...base, kind: 'extended', date: String(e.data.legalDueDate ?? e.data.to ?? '') });
        break;
      case 'rating.created':
        timeline.push({ ...base, kind: 'rated', score: Number(e.data.score) });
        break;
      default:
        // Unknown public types are left out rather than shown raw: the page must never leak internals.
        break;
    }
  }
  const lastId = events.length ? events[events.length - 1]!.id : 0;
  return {
    conversationId: conversation.id,
    registrationNumber: conversation.registrationNumber,
    registeredAt: conversation.registeredAt,
    categoryName: category ? (language === 'en' ? category.nameEn : category.nameRo) : null,
    status: conversation.status,
    resolution: conversation.resolution,
    anonymous: conversation.anonymous,
    legalDueDate: conversation.legalDueDate,
    answeredAt: conversation.answeredAt,
    fixedAt: conversation.fixedAt,
    timeline,
    rating: rating ? { score: rating.score, comment: rating.comment } : null,
    canAddInfo: ACCEPTS_INFO.includes(conversation.status),
    canRate: RATEABLE.includes(conversation.status) && !rating,
    version: `${lastId}.${conversation.status}.${conversation.resolution ?? ''}.${rating ? 'r' : ''}.${conversation.answeredAt?.getTime() ?? ''}.${conversation.fixedAt?.getTime() ?? ''}`,
  };
}
