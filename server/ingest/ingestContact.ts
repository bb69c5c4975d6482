import type { Transaction } from 'sequelize';
import { InboundContactSchema, type InboundContact, type LegalBasis, type ParsedInboundContact } from '../../channels/contract';
import { Conversation, Message } from '../../db/models';
import type { ActorType } from '../../db/models/ConversationEvent';
import type { ConversationStatus } from '../../db/models/Conversation';
import { buildFromRow, insertReturningIds, isUniqueViolation, placeholders, rawSql, withRawSql, type RawSql } from '../../db/rawSql';
import { bucharestDate } from '../calendar/dates';
import { INTERNAL_MARGIN_WORKING_DAYS, LEGAL_TERM_DAYS, legalDeadline, workingDaysBefore } from '../calendar/legalDeadline';
import type { AppContext } from '../context';
import { validationError } from '../errors';
import type { StoredBlob } from '../files/blobStore';
import { sanitizeEmailHtml } from '../text/sanitize';
import { runIngestWrites } from './ingestHooks';
import { senderIdentities, type NormalisedIdentity } from './identity';
import { allocateRegistrationSeq, findRegistrationNumbers, formatRegistrationNumber, registerAndCommit } from './registry';

/** What ingest did with a contact. */
export interface IngestResult {
  /** The contact had been ingested before: nothing was changed and `message` is the earlier one. */
  duplicate: boolean;
  message: Message;
  conversation: Conversation;
  /** A new case was opened (false when threaded into an existing one or a duplicate). */
  conversationCreated: boolean;
  /** How the contact found its case: `reference` (In-Reply-To), `registration_number`, `thread` (asked for by the channel), or `new`. */
  threadedBy: 'reference' | 'registration_number' | 'thread' | 'new' | 'duplicate';
}

/** Statuses a new contact reopens into `open`. Closed, joined or filed cases are not reopened: see resolveTarget. */
const REOPENABLE: ConversationStatus[] = ['resolved', 'pending_citizen', 'pending_department'];
/** Cases a contact never threads into: it opens a new case that records the link instead. */
const ENDED: ConversationStatus[] = ['closed', 'filed_away', 'spam'];

/**
 * The one door into the database for inbound contacts (DESIGN.md "The one pipeline"). In one transaction:
 * find or create the citizen by identity, thread into a case or open one with the next registration number,
 * write the message, its attachments and timeline events. A contact seen before (channel, externalId) is
 * answered with the earlier message, also when two deliveries race (the unique key decides). Attachments are
 * stored content-addressed before the transaction; domain events are published after commit.
 *
 * Every contact of every channel passes here, so the transaction runs raw statements on the transaction's own
 * connection (db/rawSql.ts) instead of the models: same rows, same locks, a fraction of the CPU.
 */
export async function ingestContact(ctx: AppContext, input: InboundContact): Promise<IngestResult> {
  const contact = parseContact(input);
  // Normalising may refuse a field (an unparseable phone): before anything is written.
  const identities = senderIdentities(contact.from, ctx.config.SESSION_SECRET);

  // No lookup first: a contact seen before fails on the unique (externalId, channel) key at its message insert,
  // before the register is taken, and is answered with the earlier message below. The common case saves a query.
  const blobs = await Promise.all((contact.attachments ?? []).map((a) => ctx.blobs.put(a.data)));

  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction((t) => ingestInTransaction(ctx, contact, identities, blobs, t), { readCommitted: true });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A concurrent ingest of the same contact won the race: answer with its message.
      const winner = await findDuplicate(ctx, contact);
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

/** The earlier delivery of a contact refused by the unique (externalId, channel) key, or null (another key refused it). */
async function findDuplicate(ctx: AppContext, contact: ParsedInboundContact): Promise<IngestResult | null> {
  const seen = await withRawSql(ctx.db, (sql) => sql.all<{ id: number }>('SELECT id FROM messages WHERE externalId = ? AND channel = ? LIMIT 1', [contact.externalId, contact.channel]));
  if (!seen.length) return null;
  const message = await Message.findByPk(seen[0]!.id, { rejectOnEmpty: true });
  const conversation = await Conversation.findByPk(message.conversationId, { rejectOnEmpty: true });
  return { duplicate: true, message, conversation, conversationCreated: false, threadedBy: 'duplicate' };
}

interface PendingEvent {
  type: string;
  data?: Record<string, unknown>;
  public?: boolean;
  actorType?: ActorType;
}

/** The citizen as ingest needs them. */
interface CitizenRow {
  id: number;
  name: string | null;
  language: string;
}

async function ingestInTransaction(
  ctx: AppContext,
  contact: ParsedInboundContact,
  identities: NormalisedIdentity[],
  blobs: StoredBlob[],
  transaction: Transaction,
): Promise<IngestResult> {
  const sql = rawSql(transaction);
  const now = new Date();
  const receivedAt = contact.receivedAt ?? now;
  const citizen = await findOrCreateCitizen(sql, contact, identities, now);
  const events: PendingEvent[] = [];

  const target = await resolveTarget(sql, contact, citizen);
  let conversation = target.conversation;
  const conversationCreated = !conversation;
  const automatic = contact.automatic ?? false;
  if (!conversation) {
    conversation = await openConversation(sql, contact, citizen, receivedAt, now);
    if (target.relatedTo) events.push({ type: 'conversation.related', data: { registrationNumber: target.relatedTo } });
  } else {
    if (citizen && conversation.citizenId && conversation.citizenId !== citizen.id) {
      // Someone quoted a case that is not theirs: keep the message on it, but say so in the audit.
      events.push({ type: 'message.other_sender', data: { citizenId: citizen.id } });
    }
    const reopen = !automatic && REOPENABLE.includes(conversation.status);
    if (reopen) {
      events.push({ type: 'conversation.status_changed', public: true, data: { from: conversation.status, to: 'open', reason: 'citizen_replied' } });
      conversation.status = 'open';
      conversation.resolvedAt = null;
      conversation.resolution = null;
    }
    conversation.lastMessageAt = receivedAt;
    if (!automatic) conversation.lastInboundAt = receivedAt;
    conversation.updatedAt = now;
    await sql.run(
      reopen
        ? "UPDATE conversations SET status = 'open', resolvedAt = NULL, resolution = NULL, lastMessageAt = ?, lastInboundAt = ?, updatedAt = ? WHERE id = ?"
        : 'UPDATE conversations SET lastMessageAt = ?, lastInboundAt = ?, updatedAt = ? WHERE id = ?',
      [conversation.lastMessageAt, conversation.lastInboundAt, now, conversation.id],
    );
  }

  const messageValues = {
    conversationId: conversation.id,
    citizenId: citizen?.id ?? null,
    agentId: null,
    direction: 'inbound' as const,
    channel: contact.channel,
    externalId: contact.externalId,
    subject: contact.subject ?? null,
    text: contact.text,
    html: contact.html ? sanitizeEmailHtml(contact.html) : null,
    metadata: JSON.stringify(contact.metadata ?? {}),
    automatic,
    deliveryStatus: null,
    deliveryError: null,
    deliveryUpdatedAt: null,
    receivedAt,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await sql.run(
    'INSERT INTO messages (conversationId, citizenId, direction, channel, externalId, subject, text, html, metadata, automatic, receivedAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [messageValues.conversationId, messageValues.citizenId, 'inbound', contact.channel, contact.externalId, messageValues.subject, contact.text, messageValues.html, messageValues.metadata, automatic, receivedAt, now, now],
  );
  const message = buildFromRow(Message, { id: inserted.insertId, ...messageValues });

  if (blobs.length) {
    const rows = blobs.map((blob, i) => {
      const a = contact.attachments![i]!;
      return [message.id, blob.sha256, a.filename, blob.contentType, a.contentType ?? null, blob.size, a.inline ?? false, a.contentId ?? null, now, now];
    });
    await sql.run(
      `INSERT INTO attachments (messageId, sha256, filename, contentType, declaredType, size, inline, contentId, createdAt, updatedAt) VALUES ${rows.map((r) => `(${placeholders(r.length)})`).join(', ')}`,
      rows.flat(),
    );
  }
  events.push({
    type: 'message.received',
    public: !automatic,
    actorType: citizen ? 'citizen' : 'system',
    data: { messageId: message.id, channel: contact.channel, threadedBy: target.threadedBy, attachments: blobs.length, automatic },
  });
  // Rows other modules keep for the contact (routing's queue entry and offer, a call's row) commit with it.
  const hookTimeline = await runIngestWrites(ctx, { sql, transaction, conversation, message, created: conversationCreated, now });
  // On MariaDB the register is taken last, after the timeline is written (registerAndCommit fills the number
  // into the conversation.created row and commits): its counter row stays locked until commit, so nothing runs
  // after it.
  if (conversationCreated) {
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

  const rows = [
    ...events.map((e) => ({ conversationId: conversation!.id, type: e.type, actorType: e.actorType ?? 'system', actorId: e.actorType === 'citizen' ? citizen?.id ?? null : null, data: e.data ?? {}, public: e.public ?? false })),
    ...hookTimeline.rows.map((e) => ({ conversationId: e.conversationId, type: e.type, actorType: e.actorType ?? 'system', actorId: e.actorId ?? null, data: e.data, public: e.public ?? false })),
  ];
  const eventIds = await insertReturningIds(
    sql,
    'conversation_events',
    ['conversationId', 'type', 'actorType', 'actorId', 'data', 'public', 'createdAt'],
    rows.map((e) => [e.conversationId, e.type, e.actorType, e.actorId, JSON.stringify(e.data), e.public, now]),
  );
  hookTimeline.written(eventIds.slice(events.length));
  if (conversationCreated && conversation.registrationSeq === null) {
    // The transaction's last statement: nothing is written after it.
    const seq = await registerAndCommit(sql, conversation.id, conversation.registrationYear, eventIds[0]!);
    conversation.registrationSeq = seq;
    conversation.registrationNumber = formatRegistrationNumber(seq, conversation.registrationYear);
    rows[0]!.data = { ...rows[0]!.data, registrationNumber: conversation.registrationNumber };
  }

  const payload = {
    conversationId: conversation.id,
    messageId: message.id,
    channel: contact.channel,
    conversationCreated,
    automatic,
    eventIds,
    timeline: rows.map((e, i) => ({ id: eventIds[i]!, conversationId: e.conversationId, type: e.type, data: e.data })),
  };
  transaction.afterCommit(() => ctx.events.emit('contact.ingested', payload));

  return { duplicate: false, message, conversation, conversationCreated, threadedBy: target.threadedBy };
}

async function findOrCreateCitizen(sql: RawSql, contact: ParsedInboundContact, identities: NormalisedIdentity[], now: Date): Promise<CitizenRow | null> {
  if (!identities.length) return null;
  const known = await sql.all<{ citizenId: number; kind: string; value: string }>(
    `SELECT citizenId, kind, value FROM citizen_identities WHERE ${identities.map(() => '(kind = ? AND value = ?)').join(' OR ')}`,
    identities.flatMap((i) => [i.kind, i.value]),
  );
  // The strongest identity wins (CNP, then email, then phone, then postal address).
  const rank = (kind: string) => identities.findIndex((i) => i.kind === kind);
  known.sort((a, b) => rank(a.kind) - rank(b.kind));

  let citizen: (CitizenRow & { mergedIntoId: number | null }) | undefined;
  if (known.length) {
    const byId = (id: number) => sql.all<CitizenRow & { mergedIntoId: number | null }>('SELECT id, name, language, mergedIntoId FROM citizens WHERE id = ?', [id]);
    [citizen] = await byId(known[0]!.citizenId);
    for (let hops = 0; citizen?.mergedIntoId && hops < 10; hops++) [citizen] = await byId(citizen.mergedIntoId);
  }
  const name = contact.from.name ?? null;
  if (!citizen) {
    const language = contact.language ?? 'ro';
    const r = await sql.run('INSERT INTO citizens (name, language, mergedIntoId, createdAt, updatedAt) VALUES (?, ?, NULL, ?, ?)', [name, language, now, now]);
    citizen = { id: r.insertId, name, language, mergedIntoId: null };
  } else if (!citizen.name && name) {
    citizen.name = name;
    await sql.run('UPDATE citizens SET name = ?, updatedAt = ? WHERE id = ?', [name, now, citizen.id]);
  }
  // New ways to reach a known person are learnt; identities that belong to someone else stay theirs.
  const knownKeys = new Set(known.map((k) => `${k.kind}:${k.value}`));
  const fresh = identities.filter((i) => !knownKeys.has(`${i.kind}:${i.value}`));
  if (fresh.length) {
    await sql.run(
      `INSERT INTO citizen_identities (citizenId, kind, value, verified, createdAt, updatedAt) VALUES ${fresh.map(() => '(?, ?, ?, 0, ?, ?)').join(', ')}`,
      fresh.flatMap((i) => [citizen!.id, i.kind, i.value, now, now]),
    );
  }
  return citizen;
}

interface Target {
  conversation: Conversation | null;
  threadedBy: IngestResult['threadedBy'];
  /** A closed case the contact referred to; the new case records the link. */
  relatedTo?: string;
}

async function resolveTarget(sql: RawSql, contact: ParsedInboundContact, citizen: CitizenRow | null): Promise<Target> {
  let closedRef: string | undefined;
  const lockCase = async (where: string, params: (string | number)[]) =>
    (await sql.all<Record<string, unknown>>(`SELECT * FROM conversations WHERE ${where}${sql.forUpdate}`, params)).map((row) => buildFromRow(Conversation, row));
  const follow = async (c: Conversation | undefined): Promise<Conversation | null> => {
    for (let hops = 0; c && c.status === 'joined' && c.joinedIntoId && hops < 5; hops++) {
      [c] = await lockCase('id = ?', [c.joinedIntoId]);
    }
    if (c && ENDED.includes(c.status)) {
      closedRef = c.registrationNumber;
      return null;
    }
    return c ?? null;
  };

  if (contact.threadConversationId) {
    const c = await follow((await lockCase('id = ?', [contact.threadConversationId]))[0]);
    if (c) return { conversation: c, threadedBy: 'thread' };
  }

  if (contact.inReplyTo?.length) {
    const refs = [...new Set(contact.inReplyTo)].slice(-50);
    const [earlier] = await sql.all<{ conversationId: number }>(
      `SELECT conversationId FROM messages WHERE externalId IN (${placeholders(refs.length)}) ORDER BY id DESC LIMIT 1`,
      refs,
    );
    if (earlier) {
      const c = await follow((await lockCase('id = ?', [earlier.conversationId]))[0]);
      if (c) return { conversation: c, threadedBy: 'reference' };
    }
  }

  const numbers = findRegistrationNumbers(`${contact.subject ?? ''}\n${contact.text.slice(0, 20_000)}`);
  if (numbers.length) {
    const candidates = await lockCase(`registrationNumber IN (${placeholders(numbers.length)})`, numbers);
    // Prefer the citizen's own case when several numbers are quoted.
    candidates.sort((a, b) => Number(b.citizenId === citizen?.id) - Number(a.citizenId === citizen?.id) || numbers.indexOf(a.registrationNumber) - numbers.indexOf(b.registrationNumber));
    for (const candidate of candidates) {
      const c = await follow(candidate);
      if (c) return { conversation: c, threadedBy: 'registration_number' };
    }
  }
  return { conversation: null, threadedBy: 'new', relatedTo: closedRef };
}

interface CategoryRow {
  id: number;
  departmentId: number | null;
  legalBasis: LegalBasis;
}

/**
 * Opens a new case and, from the registration date, its legal deadline and the internal target before it. The
 * legal term runs from registration, not from when the citizen wrote. On MariaDB its registration number is given
 * by `register` at the end of the transaction: the counter row stays locked from then until commit.
 */
async function openConversation(sql: RawSql, contact: ParsedInboundContact, citizen: CitizenRow | null, receivedAt: Date, now: Date): Promise<Conversation> {
  const [category] = contact.categoryCode
    ? await sql.all<CategoryRow>('SELECT id, departmentId, legalBasis FROM categories WHERE code = ? AND active = ?', [contact.categoryCode, true])
    : [];
  if (contact.categoryCode && !category) throw validationError('categoryCode', `is not a known service category: ${contact.categoryCode}`);
  const [department] = contact.departmentCode
    ? await sql.all<{ id: number }>('SELECT id FROM departments WHERE code = ? AND active = ?', [contact.departmentCode, true])
    : [];
  if (contact.departmentCode && !department) throw validationError('departmentCode', `is not a known department: ${contact.departmentCode}`);

  const anonymous = !citizen;
  const legalBasis = decideLegalBasis(contact, category ?? null, anonymous);
  const registeredOn = bucharestDate(now);
  const year = Number(registeredOn.slice(0, 4));
  const termDays = legalBasis === 'none' ? null : LEGAL_TERM_DAYS[legalBasis];
  const legalDueDate = termDays ? legalDeadline(registeredOn, termDays) : null;
  const internalDueDate = legalDueDate ? workingDaysBefore(legalDueDate, INTERNAL_MARGIN_WORKING_DAYS) : null;

  // SQLite has one writer: the whole transaction holds the database, so the number is taken at once and the case
  // inserted with it (one statement less). MariaDB takes it last (register), to hold the counter row briefly.
  const seq = sql.dialect === 'sqlite' ? await allocateRegistrationSeq(sql, year) : null;
  const values = {
    registrationYear: year,
    registrationSeq: seq,
    registrationNumber: seq === null ? null : formatRegistrationNumber(seq, year),
    registeredAt: now,
    citizenId: citizen?.id ?? null,
    channel: contact.channel,
    subject: contact.subject?.slice(0, 998) ?? null,
    categoryId: category?.id ?? null,
    departmentId: department?.id ?? category?.departmentId ?? null,
    priority: contact.priority ?? 0,
    status: 'new' as const,
    language: contact.language ?? citizen?.language ?? 'ro',
    anonymous,
    legalBasis,
    locationLat: contact.location?.lat ?? null,
    locationLng: contact.location?.lng ?? null,
    address: contact.location?.address ?? null,
    legalDueDate,
    internalDueDate,
    // End of the internal target day's office hours, Bucharest (UTC+2/+3): routing orders by it.
    dueAt: internalDueDate ? new Date(`${internalDueDate}T14:00:00Z`) : null,
    slaState: 'none' as const,
    lastMessageAt: receivedAt,
    lastInboundAt: receivedAt,
    createdAt: now,
    updatedAt: now,
  };
  const columns = Object.keys(values) as (keyof typeof values)[];
  const r = await sql.run(`INSERT INTO conversations (${columns.join(', ')}) VALUES (${placeholders(columns.length)})`, columns.map((c) => values[c]));
  return buildFromRow(Conversation, {
    id: r.insertId,
    ...values,
    resolution: null,
    assigneeId: null,
    legalExtendedAt: null,
    firstResponseDueAt: null,
    nextResponseDueAt: null,
    resolutionDueAt: null,
    slaPausedAt: null,
    firstRespondedAt: null,
    answeredAt: null,
    fixedAt: null,
    resolvedAt: null,
    closedAt: null,
    joinedIntoId: null,
    portalTokenHash: null,
  });
}

/**
 * The legal track of a new case. A petition is written (email, letter, portal, API) and identifies its author
 * (OG 27/2002 art. 2 and 7); a call or an SMS is not a petition by itself; anonymous operational reports are
 * worked without a legal term. The channel's own hint and the category's default come first.
 */
function decideLegalBasis(contact: ParsedInboundContact, category: CategoryRow | null, anonymous: boolean): LegalBasis {
  if (anonymous) return 'none';
  if (contact.legalBasis) return contact.legalBasis;
  if (contact.channel === 'voice' || contact.channel === 'sms') return 'none';
  return category?.legalBasis ?? 'petition';
}
