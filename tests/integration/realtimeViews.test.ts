import { Op, QueryTypes } from 'sequelize';
import { Agent, AgentDepartment, Attachment, Citizen, Conversation, ConversationEvent, Department, Message, Offer, QueueEntry } from '../../db/models';
import type { Database } from '../../db/connection';
import { toDate, withRawSql } from '../../db/rawSql';
import type { ConversationScope } from '../../server/auth/visibility';
import type { AgentPresenceView, ConversationSummaryView, MessageView, OfferView, QueueStatsView, SyncResult } from '../../server/realtime/contract';
import { SYNC_MAX_EVENTS, syncSince } from '../../server/realtime/syncSince';
import {
  eventFromRow,
  loadConversationSummaries,
  loadMessageViews,
  loadOfferViews,
  loadPresenceViews,
  loadQueueStats,
  presentEvent,
  queueOf,
  timelineEventColumns,
} from '../../server/realtime/views';
import { connectedAgents } from '../../server/routing/connections';
import { capacityFor, loads } from '../../server/routing/load';
import { agent, department } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

const isoOf = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** A case as a list row, as the models presented it (expects `citizen` loaded when there is one). */
function presentConversationSummary(c: Conversation & { citizen?: Citizen | null }): ConversationSummaryView {
  return {
    id: c.id,
    registrationNumber: c.registrationNumber,
    registeredAt: isoOf(c.registeredAt)!,
    subject: c.subject,
    channel: c.channel,
    status: c.status,
    priority: c.priority,
    queueId: queueOf(c.departmentId),
    departmentId: c.departmentId ?? null,
    categoryId: c.categoryId ?? null,
    assigneeId: c.assigneeId ?? null,
    citizenId: c.citizenId ?? null,
    citizenName: c.citizen?.name ?? null,
    language: c.language,
    legalBasis: c.legalBasis,
    legalDueDate: c.legalDueDate,
    internalDueDate: c.internalDueDate,
    dueAt: isoOf(c.dueAt),
    slaState: c.slaState,
    lastMessageAt: isoOf(c.lastMessageAt),
    updatedAt: isoOf(c.updatedAt)!,
  };
}

/*
 * The realtime loaders read raw SQL; the reference below is how they were built from the models before. Every
 * case compares the two on the same rows, values, types and key order alike.
 */
const reference = {
  async summaries(ids: number[]): Promise<Map<number, ConversationSummaryView>> {
    const out = new Map<number, ConversationSummaryView>();
    if (!ids.length) return out;
    const rows = await Conversation.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } }, include: [{ model: Citizen, as: 'citizen', attributes: ['id', 'name'] }] });
    for (const c of rows) out.set(c.id, presentConversationSummary(c as Conversation & { citizen?: Citizen | null }));
    return out;
  },

  async offers(where: { ids?: number[]; agentId?: number; pendingOnly?: boolean }): Promise<OfferView[]> {
    const offers = await Offer.findAll({
      where: {
        ...(where.ids ? { id: { [Op.in]: where.ids } } : {}),
        ...(where.agentId !== undefined ? { agentId: where.agentId } : {}),
        ...(where.pendingOnly ? { state: 'pending' } : {}),
      },
      order: [['id', 'ASC']],
    });
    if (!offers.length) return [];
    const conversations = await reference.summaries(offers.map((o) => o.conversationId));
    const previews = new Map<number, string>();
    for (const o of offers) {
      const m = await Message.findOne({ where: { conversationId: o.conversationId, direction: 'inbound' }, order: [['id', 'DESC']], attributes: ['text'] });
      if (m) previews.set(o.conversationId, m.text.replace(/\s+/g, ' ').trim().slice(0, 280));
    }
    const views: OfferView[] = [];
    for (const o of offers) {
      const conversation = conversations.get(o.conversationId);
      if (!conversation) continue;
      views.push({
        id: o.id,
        conversationId: o.conversationId,
        agentId: o.agentId,
        state: o.state,
        createdAt: o.createdAt.toISOString(),
        expiresAt: o.expiresAt.toISOString(),
        timeoutSeconds: Math.round((o.expiresAt.getTime() - o.createdAt.getTime()) / 1000),
        conversation,
        preview: previews.get(o.conversationId) ?? null,
      });
    }
    return views;
  },

  async messages(ids: number[]): Promise<MessageView[]> {
    const safe = ['duration', 'durationSeconds', 'recordingSid', 'recordingUrl', 'ocrConfidence', 'pages', 'kind', 'from', 'to', 'transcription'];
    if (!ids.length) return [];
    const rows = await Message.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } }, order: [['id', 'ASC']], include: [{ model: Attachment, as: 'attachments' }] });
    return rows.map((m) => {
      const metadata: Record<string, unknown> = {};
      for (const k of safe) if (m.metadata && k in m.metadata) metadata[k] = m.metadata[k];
      const attachments = ((m as Message & { attachments?: Attachment[] }).attachments ?? [])
        .map((a) => ({ id: a.id, filename: a.filename, contentType: a.contentType, size: Number(a.size), inline: a.inline }));
      return {
        id: m.id,
        conversationId: m.conversationId,
        direction: m.direction,
        channel: m.channel,
        subject: m.subject,
        text: m.text,
        html: m.html,
        agentId: m.agentId ?? null,
        citizenId: m.citizenId ?? null,
        automatic: m.automatic,
        deliveryStatus: m.deliveryStatus,
        deliveryError: m.deliveryError,
        metadata,
        attachments,
        receivedAt: m.receivedAt.toISOString(),
      };
    });
  },

  async presence(agentIds?: number[]): Promise<AgentPresenceView[]> {
    const agents = await Agent.findAll({ where: { active: true, ...(agentIds ? { id: { [Op.in]: agentIds } } : {}) }, order: [['id', 'ASC']] });
    const ids = agents.map((a) => a.id);
    const [load, connected, pending] = await Promise.all([
      loads(ids),
      connectedAgents(ids),
      Offer.findAll({ where: { agentId: { [Op.in]: ids.length ? ids : [-1] }, state: 'pending' }, attributes: ['agentId'] }),
    ]);
    const pendingBy = new Map<number, number>();
    for (const o of pending) pendingBy.set(o.agentId, (pendingBy.get(o.agentId) ?? 0) + 1);
    return agents.map((a) => {
      const mine = load.get(a.id);
      const capacity: AgentPresenceView['capacity'] = {};
      for (const ch of ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const) capacity[ch] = capacityFor(a.capacity, ch);
      const loadView: AgentPresenceView['load'] = {};
      if (mine) for (const [ch, n] of mine) loadView[ch] = n;
      return {
        agentId: a.id,
        name: a.name,
        role: a.role,
        presence: a.presence,
        presenceChangedAt: a.presenceChangedAt ? a.presenceChangedAt.toISOString() : null,
        connected: connected.has(a.id),
        load: loadView,
        capacity,
        pendingOffers: pendingBy.get(a.id) ?? 0,
      };
    });
  },

  async queues(db: Database, departmentIds?: (number | null)[]): Promise<QueueStatsView[]> {
    const rows = await db.sequelize.query<{ departmentId: number | null; state: string; n: number | string; oldest: Date | string | null; due: Date | string | null }>(
      `SELECT departmentId, state, COUNT(*) AS n, MIN(enqueuedAt) AS oldest, MIN(dueAt) AS due
         FROM queue_entries WHERE state IN ('waiting', 'offered') GROUP BY departmentId, state`,
      { type: QueryTypes.SELECT },
    );
    const departments = await Department.findAll({ where: { active: true }, attributes: ['id'] });
    const wanted: (number | null)[] = departmentIds ?? [null, ...departments.map((d) => d.id)];
    const available = await Agent.findAll({
      where: { active: true, presence: 'available', [Op.and]: [db.sequelize.literal('disconnectedAt IS NULL')] },
      attributes: ['id', 'allDepartments'],
    });
    const all = available.filter((a) => a.allDepartments).length;
    const members = await AgentDepartment.findAll({ where: { agentId: { [Op.in]: available.filter((a) => !a.allDepartments).map((a) => a.id).concat(-1) } } });
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return [...new Set(wanted)].map((departmentId) => {
      const mine = rows.filter((r) => (r.departmentId === null ? null : Number(r.departmentId)) === departmentId);
      const waiting = mine.find((r) => r.state === 'waiting');
      const offered = mine.find((r) => r.state === 'offered');
      const oldest = [waiting?.oldest, offered?.oldest].map((v) => toDate(v ?? null)).filter((d): d is Date => !!d).sort((a, b) => +a - +b)[0] ?? null;
      return {
        queueId: queueOf(departmentId),
        departmentId,
        waiting: Number(waiting?.n ?? 0),
        offered: Number(offered?.n ?? 0),
        oldestWaitingSince: iso(oldest),
        nextDueAt: iso(toDate(waiting?.due ?? null)),
        agentsAvailable: all + (departmentId === null ? 0 : members.filter((m) => m.departmentId === departmentId).length),
      };
    });
  },
};

/** syncSince as it was built from the models (its rows by Sequelize, its views by the reference above). */
async function referenceSync(db: Database, agentId: number, scope: ConversationScope, lastEventId: number): Promise<SyncResult> {
  const [top] = await db.sequelize.query<{ latest: number | string | null }>('SELECT MAX(id) AS latest FROM conversation_events', { type: QueryTypes.SELECT });
  const latest = Number(top?.latest ?? 0);
  if (lastEventId > latest) return { kind: 'sync.required', latestEventId: latest, reason: 'unknown_event' };
  if (latest - lastEventId > SYNC_MAX_EVENTS * 5) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };
  const visible = scope.all
    ? ''
    : ` AND (c.departmentId IS NULL OR c.assigneeId = ${Number(scope.agentId)}${scope.departmentIds.length ? ` OR c.departmentId IN (${scope.departmentIds.map(Number).join(',')})` : ''})`;
  const rows = await db.sequelize.query<{ id: number }>(
    `SELECT e.id FROM conversation_events e JOIN conversations c ON c.id = e.conversationId
      WHERE e.id <= :latest AND (e.id > :last OR (e.id > :lateFloor AND e.createdAt >= :recent))${visible}
      ORDER BY e.id LIMIT ${SYNC_MAX_EVENTS + 1}`,
    { replacements: { latest, last: lastEventId, lateFloor: lastEventId - 200, recent: new Date(Date.now() - 10_000) }, type: QueryTypes.SELECT },
  );
  if (rows.length > SYNC_MAX_EVENTS) return { kind: 'sync.required', latestEventId: latest, reason: 'too_far_behind' };
  const events = await ConversationEvent.findAll({ where: { id: { [Op.in]: rows.map((r) => Number(r.id)) } }, order: [['id', 'ASC']] });
  const conversationIds = [...new Set(events.map((e) => e.conversationId))];
  const messageIds = events.map((e) => e.data?.messageId).filter((m): m is number => typeof m === 'number');
  const oldest = events[0]?.createdAt;
  const extra = oldest && conversationIds.length
    ? await Message.findAll({ where: { conversationId: { [Op.in]: conversationIds }, createdAt: { [Op.gte]: oldest } }, attributes: ['id'] })
    : [];
  const [conversations, messages, offers, presence] = await Promise.all([
    reference.summaries(conversationIds),
    reference.messages([...messageIds, ...extra.map((m) => m.id)]),
    reference.offers({ agentId, pendingOnly: true }),
    reference.presence([agentId]),
  ]);
  return { kind: 'events', latestEventId: latest, events: events.map(presentEvent), conversations: [...conversations.values()], messages, offers, presence: presence[0]! };
}

/** Same values, same types (toStrictEqual) and the same key order (JSON text). */
function expectSame<T>(actual: T, expected: T): void {
  expect(actual).toStrictEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

let seq = 0;
/** A case with the given columns (registration numbers are unique per test database). */
async function conversation(values: Partial<Conversation['_creationAttributes']> = {}): Promise<Conversation> {
  seq += 1;
  return Conversation.create({
    registrationYear: 2026,
    registrationSeq: seq,
    registrationNumber: `${seq}/2026`,
    registeredAt: new Date(Date.UTC(2026, 2, 3, 8, 15, 30, 123 + seq)),
    citizenId: null,
    channel: 'email',
    subject: `Subiect ${seq}`,
    categoryId: null,
    departmentId: null,
    resolution: null,
    assigneeId: null,
    locationLat: null,
    locationLng: null,
    address: null,
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
    lastMessageAt: null,
    lastInboundAt: null,
    ...values,
  });
}

async function message(conversationId: number, values: Partial<Message['_creationAttributes']> = {}): Promise<Message> {
  return Message.create({
    conversationId,
    citizenId: null,
    agentId: null,
    direction: 'inbound',
    channel: 'email',
    externalId: null,
    subject: null,
    text: 'Bună ziua',
    html: null,
    deliveryStatus: null,
    deliveryError: null,
    deliveryUpdatedAt: null,
    receivedAt: new Date(Date.UTC(2026, 2, 3, 9, 0, 0, 7)),
    ...values,
  });
}

async function attachment(messageId: number, values: Partial<Attachment['_creationAttributes']> = {}): Promise<Attachment> {
  return Attachment.create({ messageId, sha256: 'a'.repeat(64), filename: 'poza.jpg', contentType: 'image/jpeg', declaredType: null, size: 1234, contentId: null, ...values });
}

async function offer(c: Conversation, agentId: number, values: Partial<Offer['_creationAttributes']> = {}): Promise<Offer> {
  const [entry] = await QueueEntry.findOrCreate({
    where: { conversationId: c.id },
    defaults: { conversationId: c.id, departmentId: c.departmentId, channel: c.channel, language: 'ro', priority: 0, state: 'offered', enqueuedAt: new Date(), dueAt: null, offerId: null },
  });
  const state = values.state ?? 'pending';
  return Offer.create({
    queueEntryId: entry.id,
    conversationId: c.id,
    agentId,
    channel: c.channel,
    state,
    pendingKey: state === 'pending' ? c.id : null,
    reason: null,
    createdAt: new Date(Date.UTC(2026, 2, 3, 10, 0, 0, 250)),
    expiresAt: new Date(Date.UTC(2026, 2, 3, 10, 0, 30, 749)),
    answeredAt: null,
    ...values,
  });
}

describe.each(DIALECTS)('the realtime views read by raw SQL are what the models gave, on %s', (dialect) => {
  let t: TestContext;
  beforeEach(async () => {
    seq = 0;
    t = await createTestContext(dialect);
  });
  afterEach(async () => {
    await t.ctx.events.drain();
    await t.cleanup();
  });

  /** A citizen's case, an anonymous one and a citizen without a name, with due dates set and unset. */
  async function cases() {
    const drumuri = await department('drumuri');
    const ioana = await Citizen.create({ name: 'Ioana Popescu' });
    const nameless = await Citizen.create({ name: null });
    const a = await agent({ name: 'Maria' });
    const citizen = await conversation({
      citizenId: ioana.id,
      departmentId: drumuri.id,
      assigneeId: a.id,
      status: 'open',
      priority: 3,
      language: 'en',
      legalBasis: 'petition',
      legalDueDate: '2026-04-02',
      internalDueDate: '2026-03-27',
      dueAt: new Date(Date.UTC(2026, 2, 27, 14, 0, 0, 0)),
      slaState: 'warning',
      lastMessageAt: new Date(Date.UTC(2026, 2, 3, 9, 0, 0, 999)),
    });
    const anonymous = await conversation({ anonymous: true, channel: 'voice', subject: null });
    const unnamed = await conversation({ citizenId: nameless.id, channel: 'sms' });
    return { drumuri, ioana, a, citizen, anonymous, unnamed };
  }

  test('case summaries: citizen and anonymous cases, null and set due dates, ids in any order, duplicates and missing ids', async () => {
    const { citizen, anonymous, unnamed } = await cases();
    for (const ids of [[citizen.id], [unnamed.id, anonymous.id, citizen.id], [citizen.id, citizen.id, 999_999, anonymous.id], [999_999], []]) {
      const got = await loadConversationSummaries(ids);
      const want = await reference.summaries(ids);
      expectSame([...got.entries()], [...want.entries()]);
    }
    const one = (await loadConversationSummaries([citizen.id])).get(citizen.id)!;
    expect(one).toMatchObject({ legalDueDate: '2026-04-02', internalDueDate: '2026-03-27', dueAt: '2026-03-27T14:00:00.000Z', citizenName: 'Ioana Popescu', queueId: citizen.departmentId, priority: 3 });
    const none = (await loadConversationSummaries([anonymous.id])).get(anonymous.id)!;
    expect(none).toMatchObject({ legalDueDate: null, internalDueDate: null, dueAt: null, lastMessageAt: null, citizenId: null, citizenName: null, queueId: 'general', subject: null });
  });

  test('dates stored in either form SQLite may hold (with and without the offset) read as the models read them', async () => {
    const { citizen } = await cases();
    if (dialect === 'sqlite') {
      await withRawSql(t.ctx.db, (sql) => sql.run(`UPDATE conversations SET dueAt = '2026-03-05 06:07:08.009', updatedAt = '2026-03-05 06:07:08.010 +00:00' WHERE id = ?`, [citizen.id]));
    } else {
      await withRawSql(t.ctx.db, (sql) => sql.run(`UPDATE conversations SET dueAt = '2026-03-05 06:07:08.009', updatedAt = '2026-03-05 06:07:08.010' WHERE id = ?`, [citizen.id]));
    }
    const got = (await loadConversationSummaries([citizen.id])).get(citizen.id)!;
    expectSame(got, (await reference.summaries([citizen.id])).get(citizen.id)!);
    expect(got.dueAt).toBe('2026-03-05T06:07:08.009Z');
    expect(got.updatedAt).toBe('2026-03-05T06:07:08.010Z');
  });

  test('messages: attachments in id order, safe metadata only, html, notes with their agent, automatic and delivery fields', async () => {
    const { citizen, anonymous, a, ioana } = await cases();
    const inbound = await message(citizen.id, {
      citizenId: ioana.id,
      subject: 'Groapă',
      text: 'Bună ziua,\n\n  groapă  mare.',
      html: '<p>Bună ziua,</p><p>groapă mare.</p>',
      metadata: { from: 'ioana@exemplu.ro', to: 'registratura@primarie.test', headers: { 'x-secret': '1' }, providerToken: 'secret', pages: 2, ocrConfidence: 0.93, kind: 'email' },
    });
    const call = await message(anonymous.id, { channel: 'voice', text: '', metadata: { duration: 63, recordingSid: 'RE123', recordingUrl: 'https://api.twilio.test/RE123', transcription: null, accountSid: 'AC-secret' } });
    const note = await message(citizen.id, { direction: 'note', channel: 'internal', agentId: a.id, text: 'Verificat pe teren.' });
    const reply = await message(citizen.id, { direction: 'outbound', agentId: a.id, automatic: true, deliveryStatus: 'failed', deliveryError: '550 mailbox unavailable', text: 'Răspuns' });
    const empty = await message(citizen.id, { metadata: {} });
    await attachment(inbound.id, { filename: 'b.pdf', contentType: 'application/pdf', size: 5_000_000_123 });
    await attachment(inbound.id, { filename: 'a.png', contentType: 'image/png', inline: true, contentId: 'img1' });
    await attachment(reply.id, { filename: 'raspuns.pdf', contentType: 'application/pdf', size: 0 });
    await attachment(inbound.id, { filename: 'c.txt', contentType: 'text/plain', declaredType: 'application/octet-stream' });
    // A metadata column holding SQL NULL reads as {} through the getter.
    await withRawSql(t.ctx.db, (sql) => sql.run('UPDATE messages SET metadata = NULL WHERE id = ?', [empty.id]));

    const all = [inbound.id, call.id, note.id, reply.id, empty.id];
    for (const ids of [all, [...all].reverse(), [reply.id, reply.id, 999_999, inbound.id], [note.id], [999_999], []]) {
      expectSame(await loadMessageViews(ids), await reference.messages(ids));
    }
    const [got] = await loadMessageViews([inbound.id]);
    expect(got!.metadata).toStrictEqual({ ocrConfidence: 0.93, pages: 2, kind: 'email', from: 'ioana@exemplu.ro', to: 'registratura@primarie.test' });
    expect(got!.attachments.map((x) => [x.filename, x.size, x.inline])).toStrictEqual([['b.pdf', 5_000_000_123, false], ['a.png', 1234, true], ['c.txt', 1234, false]]);
    expect((await loadMessageViews([reply.id]))[0]).toMatchObject({ automatic: true, agentId: a.id, deliveryStatus: 'failed', attachments: [{ filename: 'raspuns.pdf', size: 0 }] });
  });

  test('offers: pending and declined, by ids, by agent, pending only, with the latest inbound message as preview', async () => {
    const { citizen, anonymous, unnamed, a } = await cases();
    const b = await agent({ name: 'Radu' });
    await message(citizen.id, { text: 'Prima   sesizare' });
    await message(citizen.id, { text: `  A doua\n\tsesizare, ${'foarte lungă '.repeat(40)}` });
    await message(citizen.id, { direction: 'outbound', text: 'Răspunsul nostru (nu e previzualizare)' });
    await message(citizen.id, { direction: 'note', text: 'O notă' });
    await message(anonymous.id, { direction: 'outbound', text: 'Doar ieșire' });
    const declined = await offer(citizen, b.id, { state: 'declined', reason: 'busy', answeredAt: new Date() });
    const pending = await offer(citizen, a.id);
    const other = await offer(anonymous, b.id, { createdAt: new Date(Date.UTC(2026, 2, 3, 10, 0, 0, 0)), expiresAt: new Date(Date.UTC(2026, 2, 3, 10, 1, 0, 500)) });
    const third = await offer(unnamed, a.id, { state: 'expired' });

    for (const where of [
      {},
      { ids: [other.id, declined.id, pending.id] },
      { ids: [pending.id, pending.id, 999_999] },
      { ids: [] },
      { ids: [999_999] },
      { agentId: a.id },
      { agentId: b.id, pendingOnly: true },
      { agentId: a.id, pendingOnly: true },
      { pendingOnly: true },
      { ids: [third.id, declined.id], pendingOnly: true },
    ]) {
      expectSame(await loadOfferViews(where), await reference.offers(where));
    }
    const [card] = await loadOfferViews({ ids: [pending.id] });
    expect(card!.preview!.startsWith('A doua sesizare, foarte lungă')).toBe(true);
    expect(card!.preview).toHaveLength(280);
    expect((await loadOfferViews({ ids: [other.id] }))[0]).toMatchObject({ preview: null, timeoutSeconds: 61, state: 'pending' });
  });

  test('presence: active agents only, ids in any order, duplicates, missing ids, pending offers, capacities as stored or defaulted', async () => {
    const { citizen, anonymous, a } = await cases();
    const b = await agent({ name: 'Radu', role: 'supervisor', presence: 'available', capacity: { email: 2, sms: 0 } });
    const gone = await agent({ name: 'Plecat' });
    await gone.update({ active: false });
    await withRawSql(t.ctx.db, (sql) => sql.run(`UPDATE agents SET presenceChangedAt = NULL, capacity = '{}' WHERE id = ?`, [a.id]));
    await offer(citizen, b.id);
    await offer(anonymous, b.id);
    await offer(await conversation(), a.id, { state: 'declined' });
    for (const ids of [undefined, [b.id, a.id], [a.id, a.id, gone.id, 999_999], [gone.id], []]) {
      expectSame(await loadPresenceViews(ids), await reference.presence(ids));
    }
    const [rb] = await loadPresenceViews([b.id]);
    expect(rb).toMatchObject({ pendingOffers: 2, role: 'supervisor', capacity: { voice: 1, email: 2, sms: 0 }, connected: false });
  });

  test('queue stats: waiting and offered per queue, available agents by department, all queues or those asked for', async () => {
    const { drumuri } = await cases();
    const urbanism = await department('urbanism');
    const closed = await department('inchis');
    await closed.update({ active: false });
    await agent({ presence: 'available', allDepartments: true });
    await agent({ presence: 'available', departmentIds: [drumuri.id, urbanism.id] });
    await agent({ presence: 'available', departmentIds: [drumuri.id] });
    await agent({ presence: 'away', departmentIds: [drumuri.id] });
    const gone = await agent({ presence: 'available', departmentIds: [urbanism.id] });
    await withRawSql(t.ctx.db, (sql) => sql.run('UPDATE agents SET disconnectedAt = ? WHERE id = ?', [new Date(), gone.id]));
    const at = (m: number) => new Date(Date.UTC(2026, 2, 3, 8, m, 0, 5));
    for (const [departmentId, state, minute, due] of [
      [drumuri.id, 'waiting', 10, at(50)],
      [drumuri.id, 'waiting', 5, null],
      [drumuri.id, 'offered', 1, at(20)],
      [null, 'waiting', 30, at(40)],
      [urbanism.id, 'offered', 7, null],
      [urbanism.id, 'assigned', 0, null],
    ] as const) {
      const c = await conversation({ departmentId });
      await QueueEntry.create({ conversationId: c.id, departmentId, channel: 'email', language: 'ro', priority: 0, state, enqueuedAt: at(minute), dueAt: due, offerId: null });
    }
    for (const ids of [undefined, [urbanism.id, null, drumuri.id], [drumuri.id, drumuri.id], [closed.id, 999_999], []]) {
      expectSame(await loadQueueStats(t.ctx.db, ids), await reference.queues(t.ctx.db, ids));
    }
    const [general, d] = await loadQueueStats(t.ctx.db, [null, drumuri.id]);
    expect(general).toStrictEqual({ queueId: 'general', departmentId: null, waiting: 1, offered: 0, oldestWaitingSince: at(30).toISOString(), nextDueAt: at(40).toISOString(), agentsAvailable: 1 });
    expect(d).toStrictEqual({ queueId: drumuri.id, departmentId: drumuri.id, waiting: 2, offered: 1, oldestWaitingSince: at(1).toISOString(), nextDueAt: at(50).toISOString(), agentsAvailable: 3 });
  });

  test('timeline rows read raw present as the models presented them', async () => {
    const { citizen, a } = await cases();
    await ConversationEvent.create({ conversationId: citizen.id, type: 'conversation.created', actorType: 'system', actorId: null, data: { channel: 'email', nested: { list: [1, 2] } }, public: true });
    await ConversationEvent.create({ conversationId: citizen.id, type: 'conversation.assigned', actorType: 'agent', actorId: a.id, data: { agentId: a.id, via: 'offer' } });
    const e = await ConversationEvent.create({ conversationId: citizen.id, type: 'note.added', actorType: 'agent', actorId: a.id, data: {} });
    await withRawSql(t.ctx.db, (sql) => sql.run('UPDATE conversation_events SET data = NULL WHERE id = ?', [e.id]));
    const models = await ConversationEvent.findAll({ order: [['id', 'ASC']] });
    const rows = await withRawSql(t.ctx.db, (sql) => sql.all<Record<string, unknown>>(`SELECT ${timelineEventColumns('e')} FROM conversation_events e ORDER BY e.id`));
    expectSame(rows.map((r) => presentEvent(eventFromRow(r))), models.map(presentEvent));
  });

  test('sync since an event: the same events, cases, messages, offers and presence as the model-built sync, for every scope', async () => {
    const { drumuri, citizen, anonymous, unnamed, a } = await cases();
    const urbanism = await department('urbanism');
    const restricted = await agent({ name: 'Restrâns', departmentIds: [drumuri.id] });
    const other = await conversation({ departmentId: urbanism.id });
    const event = (c: Conversation, type: string, data: Record<string, unknown> = {}) =>
      ConversationEvent.create({ conversationId: c.id, type, actorType: 'system', actorId: null, data, public: type === 'conversation.created' });
    const old = await event(citizen, 'conversation.created');
    // Rows older than the late-commit window are sent only after the client's last id.
    await withRawSql(t.ctx.db, (sql) => sql.run('UPDATE conversation_events SET createdAt = ? WHERE id = ?', [new Date(Date.now() - 3_600_000), old.id]));
    const m1 = await message(citizen.id, { text: 'Prima' });
    await attachment(m1.id);
    await event(citizen, 'message.received', { messageId: m1.id });
    const m2 = await message(other.id, { text: 'Altă direcție', metadata: { from: 'x', secret: 'y' } });
    await event(other, 'message.received', { messageId: m2.id });
    await message(anonymous.id, { direction: 'note', channel: 'internal', agentId: a.id, text: 'Fără rând în cronologie' });
    await event(anonymous, 'conversation.updated');
    await event(unnamed, 'conversation.created');
    await offer(citizen, restricted.id);
    await offer(anonymous, a.id, { state: 'declined' });
    const scopes: [number, ConversationScope][] = [[a.id, { all: true }], [restricted.id, { all: false, agentId: restricted.id, departmentIds: [drumuri.id] }], [restricted.id, { all: false, agentId: restricted.id, departmentIds: [] }]];
    for (const [agentId, scope] of scopes) {
      for (const last of [0, old.id, old.id + 2, old.id + 100]) {
        expectSame(await syncSince(t.ctx, agentId, scope, last), await referenceSync(t.ctx.db, agentId, scope, last));
      }
    }
    const all = await syncSince(t.ctx, a.id, { all: true }, 0);
    expect(all.kind === 'events' && all.messages.map((m) => m.text)).toStrictEqual(['Prima', 'Altă direcție', 'Fără rând în cronologie']);
    expect(all.kind === 'events' && all.events).toHaveLength(5);
    // The old row is left out after its id; the recent ones below the last id come again (late commits).
    const after = await syncSince(t.ctx, a.id, { all: true }, old.id + 2);
    expect(after.kind === 'events' && after.events.map((e) => e.id)).toStrictEqual([old.id + 1, old.id + 2, old.id + 3, old.id + 4]);
    const mine = await syncSince(t.ctx, restricted.id, scopes[1]![1], 0);
    expect(mine.kind === 'events' && mine.conversations.map((c) => c.id)).toStrictEqual([citizen.id, anonymous.id, unnamed.id]);
    expect(mine.kind === 'events' && mine.offers.map((o) => o.conversationId)).toStrictEqual([citizen.id]);
    await expect(syncSince(t.ctx, a.id, { all: true }, old.id + 10)).resolves.toStrictEqual({ kind: 'sync.required', latestEventId: old.id + 4, reason: 'unknown_event' });
  });
});
