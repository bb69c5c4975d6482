import { Op, type Transaction } from 'sequelize';
import { Citizen, CitizenIdentity, Conversation, ConversationEvent, Letter, LetterPage, Message } from '../../db/models';
import type { LetterFields } from '../../db/models/Letter';
import { bucharestDate } from '../calendar/dates';
import { INTERNAL_MARGIN_WORKING_DAYS, LEGAL_TERM_DAYS, legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import type { AppContext } from '../context';
import { conflict, notFound } from '../errors';
import { senderIdentities, type NormalisedIdentity } from '../ingest/identity';
import { redactCnpDeep, redactCnpText } from '../text/cnp';

/** Statuses of an earlier case a letter can be joined into (the answer has not gone out and been closed). */
const JOIN_TARGETS = ['new', 'open', 'pending_citizen', 'pending_department', 'resolved'];

export interface ReleaseProps {
  fields: LetterFields;
  /** The clerk who checked the letter; null when OCR was confident and found a sender (released by the system). */
  byAgentId: number | null;
}

/**
 * Lets a read letter into routing. In one transaction: the fields (CNPs redacted) are kept on the letter, the
 * message gets the page text and subject, the sender becomes the case's citizen (found by email, phone or
 * postal address, or created) and the case, now identified, gets the legal term of a petition counted from its
 * registration date; a letter quoting an earlier registration number is joined into that case ("conexat").
 * After commit `conversation.changed` is published: routing queues the case, the console refreshes.
 */
export async function releaseLetter(ctx: AppContext, letterId: number, props: ReleaseProps): Promise<Letter> {
  const fields = redactCnpDeep(props.fields);
  return ctx.db.transaction(async (t) => {
    const letter = await Letter.findByPk(letterId, { transaction: t, lock: t.LOCK.UPDATE });
    if (!letter || !letter.conversationId || !letter.messageId) throw notFound('The letter');
    if (letter.status === 'released') throw conflict('This letter was already released to routing.', 'letter_released');
    if (letter.status !== 'review' && letter.status !== 'ocr') throw conflict(`This letter is ${letter.status}; only a read letter can be released.`, 'letter_not_ready');

    const conversation = await Conversation.findByPk(letter.conversationId, { transaction: t, lock: t.LOCK.UPDATE, rejectOnEmpty: true });
    const message = await Message.findByPk(letter.messageId, { transaction: t, rejectOnEmpty: true });
    const pages = await LetterPage.findAll({ where: { letterId }, order: [['pageNo', 'ASC']], transaction: t });
    const events: { type: string; data: Record<string, unknown>; public?: boolean; conversationId?: number }[] = [];

    message.text = redactCnpText(pages.map((p) => p.text.trim()).join('\n\n\f\n\n'));
    if (fields.subject) {
      message.subject = fields.subject.slice(0, 998);
      conversation.subject = fields.subject.slice(0, 998);
    }
    message.metadata = { ...message.metadata, letter: { ...(message.metadata.letter as object), letterId, confidence: letter.confidence, pages: letter.pageCount, letterDate: fields.letterDate ?? null } };

    // The first checksum-valid CNP the OCR read (kept only as its keyed hash) names the citizen before anything else.
    const cnpHash = pages.find((p) => p.cnpHash)?.cnpHash ?? null;
    const citizen = await findOrCreateCitizen(ctx, fields, cnpHash, t);
    if (citizen && !conversation.citizenId) {
      conversation.citizenId = citizen.id;
      message.citizenId = citizen.id;
      if (conversation.anonymous) {
        conversation.anonymous = false;
        // Anonymous at registration only because nobody had read it yet: the petition term runs from registration.
        if (conversation.legalBasis === 'none') {
          conversation.legalBasis = 'petition';
          const registeredOn = bucharestDate(conversation.registeredAt);
          conversation.legalDueDate = legalDeadline(registeredOn, LEGAL_TERM_DAYS.petition);
          conversation.internalDueDate = workingDaysBefore(conversation.legalDueDate, INTERNAL_MARGIN_WORKING_DAYS);
          conversation.dueAt = new Date(`${conversation.internalDueDate}T14:00:00Z`);
          events.push({ type: 'conversation.legal_basis_changed', data: { from: 'none', to: 'petition', legalDueDate: conversation.legalDueDate, reason: 'letter_sender_identified' } });
        }
      }
    }

    let joinedInto: Conversation | null = null;
    if (fields.referenceNumber) {
      const target = await Conversation.findOne({ where: { registrationNumber: fields.referenceNumber, id: { [Op.ne]: conversation.id } }, transaction: t, lock: t.LOCK.UPDATE });
      if (target && JOIN_TARGETS.includes(target.status) && ['new', 'open'].includes(conversation.status)) {
        joinedInto = target;
        events.push({ type: 'conversation.joined', public: true, data: { from: conversation.status, to: 'joined', intoId: target.id, intoRegistrationNumber: target.registrationNumber, reason: 'letter_reference' } });
        events.push({ conversationId: target.id, type: 'conversation.duplicates_joined', data: { duplicateIds: [conversation.id], registrationNumbers: [conversation.registrationNumber], reason: 'letter_reference' } });
        conversation.status = 'joined';
        conversation.joinedIntoId = target.id;
      } else if (target) {
        events.push({ type: 'conversation.related', data: { registrationNumber: target.registrationNumber } });
      }
    }

    letter.fields = fields;
    letter.status = 'released';
    letter.releasedAt = new Date();
    letter.releasedById = props.byAgentId;
    events.unshift({ type: 'letter.released', data: { letterId, reviewed: props.byAgentId !== null, pages: letter.pageCount, confidence: letter.confidence } });

    await message.save({ transaction: t });
    await conversation.save({ transaction: t });
    await letter.save({ transaction: t });
    const rows = await ConversationEvent.bulkCreate(
      events.map((e) => ({
        conversationId: e.conversationId ?? conversation.id,
        type: e.type,
        actorType: props.byAgentId ? ('agent' as const) : ('system' as const),
        actorId: props.byAgentId,
        data: e.data,
        public: e.public ?? false,
      })),
      { transaction: t },
    );
    t.afterCommit(() => {
      ctx.events.emit('conversation.changed', { conversationId: conversation.id, eventIds: rows.filter((r) => r.conversationId === conversation.id).map((r) => r.id) });
      if (joinedInto) ctx.events.emit('conversation.changed', { conversationId: joinedInto.id, eventIds: rows.filter((r) => r.conversationId === joinedInto!.id).map((r) => r.id) });
    });
    return letter;
  });
}

/**
 * The letter's citizen from its identities, strongest first: the CNP's keyed hash (the same value ingest stores
 * for a contact that gave the CNP, identity.ts), then email, phone and postal address.
 */
async function findOrCreateCitizen(ctx: AppContext, fields: LetterFields, cnpHash: string | null, transaction: Transaction): Promise<Citizen | null> {
  const identities: NormalisedIdentity[] = senderIdentities(
    { name: fields.senderName ?? undefined, email: fields.email ?? undefined, phone: fields.phone ?? undefined, postalAddress: fields.postalAddress ?? undefined },
    ctx.config.SESSION_SECRET,
  );
  if (cnpHash) identities.unshift({ kind: 'cnp_hash', value: cnpHash });
  if (!identities.length) return null;
  const known = await CitizenIdentity.findAll({ where: { [Op.or]: identities.map((i) => ({ kind: i.kind, value: i.value })) }, transaction });
  let citizen: Citizen | null = null;
  if (known.length) {
    const rank = (kind: string) => identities.findIndex((i) => i.kind === kind);
    known.sort((a, b) => rank(a.kind) - rank(b.kind));
    citizen = await Citizen.findByPk(known[0]!.citizenId, { transaction });
    while (citizen?.mergedIntoId) citizen = await Citizen.findByPk(citizen.mergedIntoId, { transaction });
  }
  if (!citizen) citizen = await Citizen.create({ name: fields.senderName ?? null, language: 'ro', mergedIntoId: null }, { transaction });
  const knownKeys = new Set(known.map((k) => `${k.kind}:${k.value}`));
  const fresh = identities.filter((i) => !knownKeys.has(`${i.kind}:${i.value}`));
  if (fresh.length) await CitizenIdentity.bulkCreate(fresh.map((i) => ({ citizenId: citizen!.id, kind: i.kind, value: i.value })), { transaction });
  return citizen;
}
