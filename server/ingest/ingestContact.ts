import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { InboundContactSchema, type InboundContact, type LegalBasis, type ParsedInboundContact } from '../../channels/contract';
import { Attachment, Category, Citizen, CitizenIdentity, Conversation, ConversationEvent, Department, Message } from '../../db/models';
import type { ActorType } from '../../db/models/ConversationEvent';
import type { ConversationStatus } from '../../db/models/Conversation';
import { bucharestDate } from '../calendar/dates';
import { INTERNAL_MARGIN_WORKING_DAYS, LEGAL_TERM_DAYS, legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import type { StoredBlob } from '../files/blobStore';
import { sanitizeEmailHtml } from '../text/sanitize';
import { senderIdentities, type NormalisedIdentity } from './identity';
import { allocateRegistrationSeq, findRegistrationNumbers, formatRegistrationNumber } from './registry';

/** What ingest did with a contact. */
export interface IngestResult {
  /** The contact had been ingested before: nothing was changed and `message` is the earlier one. */
  duplicate: boolean;
  message: Message;
  conversation: Conversation;
  /** A new case was opened (false when threaded into an existing one or a duplicate). */
  conversationCreated: boolean;
  /** How the contact found its case: `reference` (In-Reply-To), `registration_number`, or `new`. */
  threadedBy: 'reference' | 'registration_number' | 'new' | 'duplicate';
}

/** Statuses a new contact reopens into `open`. Closed, joined or filed cases are not reopened: see resolveTarget. */
const REOPENABLE: ConversationStatus[] = ['resolved', 'pending_citizen', 'pending_department'];

/**
 * The one door into the database for inbound contacts (DESIGN.md "The one pipeline"). In one transaction:
 * dedupe on (channel, externalId), find or create the citizen by identity, thread into a case or open one
 * with the next registration number, write the message, its attachments and timeline events. Attachments
 * are stored content-addressed before the transaction; domain events are published after commit.
 */
export async function ingestContact(ctx: AppContext, input: InboundContact): Promise<IngestResult> {
  const contact = parseContact(input);
  // Normalising may refuse a field (an unparseable phone): before anything is written.
  const identities = senderIdentities(contact.from, ctx.config.SESSION_SECRET);

  const earlier = await findDuplicate(contact);
  if (earlier) return earlier;

  const blobs = await Promise.all((contact.attachments ?? []).map((a) => ctx.blobs.put(a.data)));

  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction((t) => ingestInTransaction(ctx, contact, identities, blobs, t));
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      // A concurrent ingest of the same contact won the race: answer with its message.
      const winner = await findDuplicate(contact);
      if (winner) return winner;
      // Otherwise a concurrent ingest created the same citizen identity first: run again and find it.
      if (attempt >= 3) throw err;
    }
  }
}

/** Validates an InboundContact, naming the first wrong field. */
export function parseContact(input: unknown): ParsedInboundContact {
  const result = InboundContactSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'body';
  throw validationError(field, issue.message, { issues: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
}

async function findDuplicate(contact: ParsedInboundContact, transaction?: Transaction): Promise<IngestResult | null> {
  const message = await Message.findOne({ where: { channel: contact.channel, externalId: contact.externalId }, transaction });
  if (!message) return null;
  const conversation = await Conversation.findByPk(message.conversationId, { transaction, rejectOnEmpty: true });
  return { duplicate: true, message, conversation, conversationCreated: false, threadedBy: 'duplicate' };
}

interface PendingEvent {
  type: string;
  data?: Record<string, unknown>;
  public?: boolean;
  actorType?: ActorType;
}

async function ingestInTransaction(
  ctx: AppContext,
  contact: ParsedInboundContact,
  identities: NormalisedIdentity[],
  blobs: StoredBlob[],
  transaction: Transaction,
): Promise<IngestResult> {
  const duplicate = await findDuplicate(contact, transaction);
  if (duplicate) return duplicate;

  const receivedAt = contact.receivedAt ?? new Date();
  const citizen = await findOrCreateCitizen(contact, identities, transaction);
  const events: PendingEvent[] = [];

  const target = await resolveTarget(contact, citizen, transaction);
  let conversation = target.conversation;
  const conversationCreated = !conversation;
  if (!conversation) {
    conversation = await openConversation(contact, citizen, receivedAt, transaction);
    if (target.relatedTo) events.push({ type: 'conversation.related', data: { registrationNumber: target.relatedTo } });
  } else {
    if (citizen && conversation.citizenId && conversation.citizenId !== citizen.id) {
      // Someone quoted a case that is not theirs: keep the message on it, but say so in the audit.
      events.push({ type: 'message.other_sender', data: { citizenId: citizen.id } });
    }
    if (!contact.automatic && REOPENABLE.includes(conversation.status)) {
      events.push({ type: 'conversation.status_changed', public: true, data: { from: conversation.status, to: 'open', reason: 'citizen_replied' } });
      conversation.status = 'open';
      conversation.resolvedAt = null;
      conversation.resolution = null;
    }
  }

  const message = await Message.create(
    {
      conversationId: conversation.id,
      citizenId: citizen?.id ?? null,
      agentId: null,
      direction: 'inbound',
      channel: contact.channel,
      externalId: contact.externalId,
      subject: contact.subject ?? null,
      text: contact.text,
      html: contact.html ? sanitizeEmailHtml(contact.html) : null,
      metadata: contact.metadata ?? {},
      automatic: contact.automatic ?? false,
      deliveryStatus: null,
      deliveryError: null,
      deliveryUpdatedAt: null,
      receivedAt,
    },
    { transaction },
  );
  if (blobs.length) {
    await Attachment.bulkCreate(
      blobs.map((blob, i) => {
        const a = contact.attachments![i]!;
        return {
          messageId: message.id,
          sha256: blob.sha256,
          filename: a.filename,
          contentType: blob.contentType,
          declaredType: a.contentType ?? null,
          size: blob.size,
          inline: a.inline ?? false,
          contentId: a.contentId ?? null,
        };
      }),
      { transaction },
    );
  }
  events.push({
    type: 'message.received',
    public: !contact.automatic,
    actorType: citizen ? 'citizen' : 'system',
    data: { messageId: message.id, channel: contact.channel, threadedBy: target.threadedBy, attachments: blobs.length, automatic: contact.automatic ?? false },
  });

  conversation.lastMessageAt = receivedAt;
  if (!contact.automatic) conversation.lastInboundAt = receivedAt;
  if (conversationCreated) {
    // Registration comes last: the counter row stays locked from here to commit, so the critical section
    // is one UPDATE, one SELECT, this save and the event insert.
    await register(ctx, conversation, transaction);
    events.unshift({
      type: 'conversation.created',
      public: true,
      actorType: citizen ? 'citizen' : 'system',
      data: {
        registrationNumber: conversation.registrationNumber,
        channel: contact.channel,
        legalBasis: conversation.legalBasis,
        legalDueDate: conversation.legalDueDate,
        anonymous: conversation.anonymous,
      },
    });
  }
  await conversation.save({ transaction });

  const rows = await ConversationEvent.bulkCreate(
    events.map((e) => ({
      conversationId: conversation!.id,
      type: e.type,
      actorType: e.actorType ?? 'system',
      actorId: e.actorType === 'citizen' ? citizen?.id ?? null : null,
      data: e.data ?? {},
      public: e.public ?? false,
    })),
    { transaction },
  );

  const payload = {
    conversationId: conversation.id,
    messageId: message.id,
    channel: contact.channel,
    conversationCreated,
    automatic: contact.automatic ?? false,
    eventIds: rows.map((r) => r.id),
  };
  transaction.afterCommit(() => ctx.events.emit('contact.ingested', payload));

  return { duplicate: false, message, conversation, conversationCreated, threadedBy: target.threadedBy };
}

async function findOrCreateCitizen(contact: ParsedInboundContact, identities: NormalisedIdentity[], transaction: Transaction): Promise<Citizen | null> {
  if (!identities.length) return null;
  const known = await CitizenIdentity.findAll({
    where: { [Op.or]: identities.map((i) => ({ kind: i.kind, value: i.value })) },
    transaction,
  });
  // The strongest identity wins (CNP, then email, then phone, then postal address).
  const rank = (kind: string) => identities.findIndex((i) => i.kind === kind);
  known.sort((a, b) => rank(a.kind) - rank(b.kind));

  let citizen: Citizen | null = null;
  if (known.length) {
    citizen = await Citizen.findByPk(known[0]!.citizenId, { transaction });
    while (citizen?.mergedIntoId) citizen = await Citizen.findByPk(citizen.mergedIntoId, { transaction });
  }
  if (!citizen) {
    citizen = await Citizen.create({ name: contact.from.name ?? null, language: contact.language ?? 'ro', mergedIntoId: null }, { transaction });
  } else if (!citizen.name && contact.from.name) {
    citizen.name = contact.from.name;
    await citizen.save({ transaction });
  }
  // New ways to reach a known person are learnt; identities that belong to someone else stay theirs.
  const knownKeys = new Set(known.map((k) => `${k.kind}:${k.value}`));
  const fresh = identities.filter((i) => !knownKeys.has(`${i.kind}:${i.value}`));
  if (fresh.length) {
    await CitizenIdentity.bulkCreate(fresh.map((i) => ({ citizenId: citizen!.id, kind: i.kind, value: i.value })), { transaction });
  }
  return citizen;
}

interface Target {
  conversation: Conversation | null;
  threadedBy: IngestResult['threadedBy'];
  /** A closed case the contact referred to; the new case records the link. */
  relatedTo?: string;
}

async function resolveTarget(contact: ParsedInboundContact, citizen: Citizen | null, transaction: Transaction): Promise<Target> {
  let closedRef: string | undefined;
  const follow = async (c: Conversation | null): Promise<Conversation | null> => {
    for (let hops = 0; c && c.status === 'joined' && c.joinedIntoId && hops < 5; hops++) {
      c = await Conversation.findByPk(c.joinedIntoId, { transaction, lock: transaction.LOCK.UPDATE });
    }
    if (c && ['closed', 'filed_away', 'spam'].includes(c.status)) {
      closedRef = c.registrationNumber;
      return null;
    }
    return c;
  };

  if (contact.inReplyTo?.length) {
    const refs = [...new Set(contact.inReplyTo)].slice(-50);
    const earlier = await Message.findOne({ where: { externalId: { [Op.in]: refs } }, order: [['id', 'DESC']], transaction });
    if (earlier) {
      const c = await follow(await Conversation.findByPk(earlier.conversationId, { transaction, lock: transaction.LOCK.UPDATE }));
      if (c) return { conversation: c, threadedBy: 'reference' };
    }
  }

  const numbers = findRegistrationNumbers(`${contact.subject ?? ''}\n${contact.text.slice(0, 20_000)}`);
  if (numbers.length) {
    const candidates = await Conversation.findAll({ where: { registrationNumber: { [Op.in]: numbers } }, transaction, lock: transaction.LOCK.UPDATE });
    // Prefer the citizen's own case when several numbers are quoted.
    candidates.sort((a, b) => Number(b.citizenId === citizen?.id) - Number(a.citizenId === citizen?.id) || numbers.indexOf(a.registrationNumber) - numbers.indexOf(b.registrationNumber));
    for (const candidate of candidates) {
      const c = await follow(candidate);
      if (c) return { conversation: c, threadedBy: 'registration_number' };
    }
  }
  return { conversation: null, threadedBy: 'new', relatedTo: closedRef };
}

async function openConversation(
  contact: ParsedInboundContact,
  citizen: Citizen | null,
  receivedAt: Date,
  transaction: Transaction,
): Promise<Conversation> {
  const category = contact.categoryCode ? await Category.findOne({ where: { code: contact.categoryCode, active: true }, transaction }) : null;
  if (contact.categoryCode && !category) throw validationError('categoryCode', `is not a known service category: ${contact.categoryCode}`);
  const department = contact.departmentCode
    ? await Department.findOne({ where: { code: contact.departmentCode, active: true }, transaction })
    : null;
  if (contact.departmentCode && !department) throw validationError('departmentCode', `is not a known department: ${contact.departmentCode}`);

  const anonymous = !citizen;
  const legalBasis = decideLegalBasis(contact, category, anonymous);
  const registeredAt = new Date();

  // The number is taken by register() at the end of the transaction; until then the row has none.
  return Conversation.create(
    {
      registrationYear: Number(bucharestDate(registeredAt).slice(0, 4)),
      registrationSeq: null as unknown as number,
      registrationNumber: null as unknown as string,
      registeredAt,
      citizenId: citizen?.id ?? null,
      channel: contact.channel,
      subject: contact.subject?.slice(0, 998) ?? null,
      categoryId: category?.id ?? null,
      departmentId: department?.id ?? category?.departmentId ?? null,
      priority: contact.priority ?? 0,
      status: 'new',
      resolution: null,
      assigneeId: null,
      language: contact.language ?? citizen?.language ?? 'ro',
      anonymous,
      legalBasis,
      locationLat: contact.location?.lat ?? null,
      locationLng: contact.location?.lng ?? null,
      address: contact.location?.address ?? null,
      legalDueDate: null,
      internalDueDate: null,
      legalExtendedAt: null,
      firstResponseDueAt: null,
      nextResponseDueAt: null,
      resolutionDueAt: null,
      dueAt: null,
      slaPausedAt: null,
      firstRespondedAt: null,
      answeredAt: null,
      fixedAt: null,
      resolvedAt: null,
      closedAt: null,
      joinedIntoId: null,
      portalTokenHash: null,
      lastMessageAt: receivedAt,
      lastInboundAt: receivedAt,
    },
    { transaction },
  );
}

/**
 * Gives a new case its registration number and, from the registration date, its legal deadline and the
 * internal target before it. The legal term runs from registration, not from when the citizen wrote.
 */
async function register(ctx: AppContext, conversation: Conversation, transaction: Transaction): Promise<void> {
  const registeredAt = new Date();
  const registeredOn = bucharestDate(registeredAt);
  const year = Number(registeredOn.slice(0, 4));
  const seq = await allocateRegistrationSeq(ctx.db, year, transaction);
  conversation.registrationYear = year;
  conversation.registrationSeq = seq;
  conversation.registrationNumber = formatRegistrationNumber(seq, year);
  conversation.registeredAt = registeredAt;
  const basis: LegalBasis = conversation.legalBasis;
  const termDays = basis === 'none' ? null : LEGAL_TERM_DAYS[basis];
  if (termDays) {
    conversation.legalDueDate = legalDeadline(registeredOn, termDays);
    conversation.internalDueDate = workingDaysBefore(conversation.legalDueDate, INTERNAL_MARGIN_WORKING_DAYS);
    // End of the internal target day's office hours, Bucharest (UTC+2/+3): routing orders by it.
    conversation.dueAt = new Date(`${conversation.internalDueDate}T14:00:00Z`);
  }
}

/**
 * The legal track of a new case. A petition is written (email, letter, portal, API) and identifies its author
 * (OG 27/2002 art. 2 and 7); a call or an SMS is not a petition by itself; anonymous operational reports are
 * worked without a legal term. The channel's own hint and the category's default come first.
 */
function decideLegalBasis(contact: ParsedInboundContact, category: Category | null, anonymous: boolean): LegalBasis {
  if (anonymous) return 'none';
  if (contact.legalBasis) return contact.legalBasis;
  if (contact.channel === 'voice' || contact.channel === 'sms') return 'none';
  return category?.legalBasis ?? 'petition';
}
