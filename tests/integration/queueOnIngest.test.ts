import { Conversation, ConversationEvent, Message, Offer, QueueEntry } from '../../db/models';
import { rawSql } from '../../db/rawSql';
import { onIngestWrite } from '../../server/ingest/ingestHooks';
import { ingestContact } from '../../server/ingest/ingestContact';
import { configureRouting } from '../../server/routing/engine';
import { queueOnIngest } from '../../server/routing/queueOnIngest';
import { agent, contact } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

describe.each(DIALECTS)('a new case is queued in the transaction that opens it, on %s', (dialect) => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext(dialect);
  });
  afterEach(async () => {
    await t.ctx.events.drain();
    await t.cleanup();
  });

  describe('with only the in-transaction hook (no routing listeners: what the ingest commit alone wrote)', () => {
    let queued: Parameters<typeof queueOnIngest>[1];
    let off: () => void;
    let published: { conversationId: number; eventIds: number[] }[];
    beforeEach(() => {
      published = [];
      t.ctx.events.on('contact.ingested', (p) => {
        published.push({ conversationId: p.conversationId, eventIds: p.eventIds });
      });
      t.ctx.events.on('conversation.changed', (p) => {
        published.push({ conversationId: p.conversationId, eventIds: p.eventIds });
      });
      queued = new Map();
      off = onIngestWrite(t.ctx, queueOnIngest(configureRouting(t.ctx, {}).runtime, queued));
    });
    afterEach(() => off());

    test('the waiting entry and its timeline row commit with the case', async () => {
      const r = await ingestContact(t.ctx, contact());
      const entry = await QueueEntry.findOne({ where: { conversationId: r.conversation.id } });
      expect(entry?.state).toBe('waiting');
      expect(entry?.channel).toBe('api');
      expect(queued.get(r.conversation.id)).toEqual({ entryId: entry!.id, entry: { state: 'waiting', conversationId: r.conversation.id, departmentId: null, channel: 'api', language: 'ro' } });
      const rows = await ConversationEvent.findAll({ where: { conversationId: r.conversation.id }, order: [['id', 'ASC']] });
      expect(rows.map((e) => e.type)).toEqual(['conversation.created', 'message.received', 'conversation.queued']);
      // Listeners hear of the case once, with the queued row among its first events.
      expect(published).toEqual([{ conversationId: r.conversation.id, eventIds: rows.map((e) => e.id) }]);
    });

    test('calls and scanned letters are left to their channels, which hold them first; replies queue nothing', async () => {
      const call = await ingestContact(t.ctx, contact({ channel: 'voice', from: { phone: '+40721000777' } }));
      const letter = await ingestContact(t.ctx, contact({ channel: 'letter' }));
      const reply = await ingestContact(t.ctx, contact({ subject: `Re: [#${call.conversation.registrationNumber}]` }));
      expect(reply.conversation.id).toBe(call.conversation.id);
      expect(await QueueEntry.count({ where: { conversationId: call.conversation.id } })).toBe(0);
      expect(await QueueEntry.count({ where: { conversationId: letter.conversation.id } })).toBe(0);
      expect(queued.size).toBe(0);
    });

    test('a hook that fails rolls the whole contact back: no case, no message, no entry, no number taken', async () => {
      const count = async () => ({ conversations: await Conversation.count(), messages: await Message.count(), entries: await QueueEntry.count() });
      const before = await count();
      const offFailing = onIngestWrite(t.ctx, async () => {
        throw new Error('hook failed');
      });
      await expect(ingestContact(t.ctx, contact())).rejects.toThrow('hook failed');
      offFailing();
      expect(await count()).toEqual(before);
      expect(queued.size).toBe(0);
      const next = await ingestContact(t.ctx, contact());
      const seqs = (await Conversation.findAll({ order: [['registrationSeq', 'ASC']] })).map((c) => c.registrationSeq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(next.conversation.registrationSeq).toBe(seqs.length);
    });
  });

  describe('the offer in the same transaction (hook only: what the ingest commit alone wrote)', () => {
    let queued: Parameters<typeof queueOnIngest>[1];
    let off: () => void;
    let published: { conversationId: number; eventIds: number[] }[];
    let offered: number[];
    beforeEach(() => {
      published = [];
      offered = [];
      t.ctx.events.on('contact.ingested', (p) => {
        published.push({ conversationId: p.conversationId, eventIds: p.eventIds });
      });
      t.ctx.events.on('offer.changed', (p) => {
        offered.push(p.offerId);
      });
      queued = new Map();
      off = onIngestWrite(t.ctx, queueOnIngest(configureRouting(t.ctx, {}).runtime, queued));
    });
    afterEach(() => off());

    test('nobody available: the case waits for the engine, with no offer row', async () => {
      await agent({ allDepartments: true, presence: 'away' });
      const r = await ingestContact(t.ctx, contact());
      expect((await QueueEntry.findOne({ where: { conversationId: r.conversation.id } }))?.state).toBe('waiting');
      expect(await Offer.count()).toBe(0);
      expect(queued.has(r.conversation.id)).toBe(true);
    });

    test('an agent at capacity on the channel is passed over for one with room', async () => {
      const full = await agent({ allDepartments: true, presence: 'available', capacity: { api: 1 } });
      const first = await ingestContact(t.ctx, contact());
      expect((await Offer.findOne({ where: { conversationId: first.conversation.id } }))?.agentId).toBe(full.id);
      const free = await agent({ allDepartments: true, presence: 'available', capacity: { api: 1 } });
      const second = await ingestContact(t.ctx, contact());
      expect((await Offer.findOne({ where: { conversationId: second.conversation.id } }))?.agentId).toBe(free.id);
      const third = await ingestContact(t.ctx, contact());
      expect((await QueueEntry.findOne({ where: { conversationId: third.conversation.id } }))?.state).toBe('waiting');
      expect(await Offer.count({ where: { state: 'pending' } })).toBe(2);
    });

    test('an available agent gets the offer in the commit that opens the case: entry, offer and rows together, published once', async () => {
      const a = await agent({ allDepartments: true, presence: 'available' });
      const r = await ingestContact(t.ctx, contact());
      const entry = await QueueEntry.findOne({ where: { conversationId: r.conversation.id } });
      const offer = await Offer.findOne({ where: { conversationId: r.conversation.id } });
      expect(entry).toMatchObject({ state: 'offered', offerId: offer!.id });
      expect(offer).toMatchObject({ agentId: a.id, state: 'pending', pendingKey: r.conversation.id, queueEntryId: entry!.id });
      const rows = await ConversationEvent.findAll({ where: { conversationId: r.conversation.id }, order: [['id', 'ASC']] });
      expect(rows.map((e) => e.type)).toEqual(['conversation.created', 'message.received', 'conversation.queued', 'offer.created']);
      expect(published).toEqual([{ conversationId: r.conversation.id, eventIds: rows.map((e) => e.id) }]);
      expect(offered).toEqual([offer!.id]);
      expect([...queued]).toEqual([[r.conversation.id, 'offered']]);
      expect((await a.reload()).lastOfferAt).not.toBeNull();
    });

    test('contacts arriving together are spread over the free agents, each offered in its own commit, one case per agent at capacity 1', async () => {
      const agents = await Promise.all([1, 2, 3, 4, 5].map(() => agent({ allDepartments: true, presence: 'available', capacity: { api: 1 } })));
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => ingestContact(t.ctx, contact())));
      const offers = await Offer.findAll({ where: { state: 'pending' } });
      expect(offers.map((o) => o.conversationId).sort()).toEqual(results.map((r) => r.conversation.id).sort());
      expect(new Set(offers.map((o) => o.agentId)).size).toBe(5);
      expect(offers.map((o) => o.agentId).sort()).toEqual(agents.map((a) => a.id).sort());
      expect(await QueueEntry.count({ where: { state: 'waiting' } })).toBe(0);
      expect([...queued.values()]).toEqual(['offered', 'offered', 'offered', 'offered', 'offered']);
    });

    if (dialect === 'mariadb') {
      test('an agent whose row another transaction holds is not waited for (MariaDB: SKIP LOCKED); the case waits instead', async () => {
        const a = await agent({ allDepartments: true, presence: 'available' });
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = t.ctx.db.transaction(async (tx) => {
          await rawSql(tx).all('SELECT id FROM agents WHERE id = ? FOR UPDATE', [a.id]);
          locked();
          await held;
        });
        await isLocked;
        const started = Date.now();
        const r = await ingestContact(t.ctx, contact());
        const took = Date.now() - started;
        release();
        await holder;
        expect(took).toBeLessThan(5000); // the lock wait timeout is far longer: ingest did not queue behind the lock
        expect((await QueueEntry.findOne({ where: { conversationId: r.conversation.id } }))?.state).toBe('waiting');
        expect(await Offer.count()).toBe(0);
        expect(queued.has(r.conversation.id)).toBe(true);
      });
    }
  });

  test('with the engine running, the queued case is offered to an available agent once, and not reconciled again after commit', async () => {
    const engine = configureRouting(t.ctx, { offerTimeoutMs: 30_000 });
    const reconciled = jest.spyOn(engine, 'caseChanged');
    const stop = engine.start({ sweeper: false }).stop;
    try {
      const a = await agent({ allDepartments: true, presence: 'available' });
      const r = await ingestContact(t.ctx, contact());
      await t.ctx.events.drain();
      expect(reconciled).not.toHaveBeenCalled();
      const entry = await QueueEntry.findOne({ where: { conversationId: r.conversation.id } });
      expect(entry?.state).toBe('offered');
      const offers = await ConversationEvent.findAll({ where: { conversationId: r.conversation.id, type: 'offer.created' } });
      expect(offers.map((e) => (e.data as { agentId: number }).agentId)).toEqual([a.id]);
      expect(await ConversationEvent.count({ where: { conversationId: r.conversation.id, type: 'conversation.queued' } })).toBe(1);
    } finally {
      await stop();
    }
  });
});
