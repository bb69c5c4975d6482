import { Op } from 'sequelize';
import { Conversation, ConversationEvent, Offer } from '../../db/models';
import { actorOf } from '../../server/commands/actor';
import { addNote } from '../../server/commands/addNote';
import { ingestContact } from '../../server/ingest/ingestContact';
import type { AgentPresenceView, ConversationSummaryView, MessageView, OfferView, SyncResult, ViewerView } from '../../server/realtime/contract';
import { configureRouting } from '../../server/routing/engine';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';
import { cookieFor, openConsole, startWeb, type Console } from './realtimeHarness';

describe.each(DIALECTS)('realtime on %s', (dialect) => {
  let t: TestContext;
  let web: Awaited<ReturnType<typeof startWeb>>;
  let stopRouting: () => Promise<void>;
  const consoles: Console[] = [];

  beforeEach(async () => {
    t = await createTestContext(dialect, { PUBLIC_URL: 'https://ghiseu.primarie.test' });
    stopRouting = configureRouting(t.ctx, { sweepIntervalMs: 200, disconnectGraceMs: 500 }).start().stop;
    web = await startWeb(t.ctx);
  });
  afterEach(async () => {
    for (const c of consoles.splice(0)) c.socket.close();
    await web.close();
    await stopRouting();
    await t.cleanup();
  });
  const open = async (...args: Parameters<typeof openConsole>) => {
    const c = await openConsole(...args);
    consoles.push(c);
    return c;
  };

  test('the handshake is refused without a session cookie, from a foreign Origin, and on the wallboard for a plain agent', async () => {
    await expect(openConsole(web.url)).rejects.toThrow(/unauthenticated/);
    const a = await agent({ allDepartments: true });
    const cookie = await cookieFor(a);
    await expect(openConsole(web.url, { cookie: 'ghiseu_session=forged' })).rejects.toThrow(/unauthenticated/);
    await expect(openConsole(web.url, { cookie, origin: 'https://evil.example' })).rejects.toThrow();
    await expect(openConsole(web.url, { cookie, namespace: '/wallboard' })).rejects.toThrow(/forbidden/);
    // PUBLIC_URL's origin and the server's own host are both accepted.
    await open(web.url, { cookie, origin: 'https://ghiseu.primarie.test' });
    const boss = await agent({ role: 'supervisor' });
    const wall = await open(web.url, { cookie: await cookieFor(boss), namespace: '/wallboard' });
    const snap = await wall.call<{ queues: unknown[] }>('wallboard.snapshot', {});
    expect(snap.ok && snap.data.queues.length).toBeGreaterThan(0);
  });

  test('an ingested contact produces offer.created at exactly one of two connected agents within a second; accept wins the case', async () => {
    const a = await agent({ allDepartments: true });
    const b = await agent({ allDepartments: true });
    const ca = await open(web.url, { cookie: await cookieFor(a) });
    const cb = await open(web.url, { cookie: await cookieFor(b) });
    for (const c of [ca, cb]) expect(await c.call('presence.set', { presence: 'available' })).toMatchObject({ ok: true, data: { presence: 'available' } });
    const bad = await ca.call('presence.set', { presence: 'sleeping' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation_failed' } });

    const started = Date.now();
    const { conversation } = await ingestContact(t.ctx, contact());
    const got = await Promise.race([
      ca.waitFor('offer.created', (p) => (p.offer as OfferView).conversationId === conversation.id, 1000).then((p) => ({ who: ca, p })),
      cb.waitFor('offer.created', (p) => (p.offer as OfferView).conversationId === conversation.id, 1000).then((p) => ({ who: cb, p })),
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
    const other = got.who === ca ? cb : ca;
    await new Promise((r) => setTimeout(r, 400));
    expect(other.received.filter((r) => r.name === 'offer.created')).toHaveLength(0);
    // Made in the commit that opened the case and published with it: once, with the case and the message's preview.
    expect(got.who.received.filter((r) => r.name === 'offer.created')).toHaveLength(1);
    const offer = got.p.offer as OfferView;
    expect(offer.conversation.registrationNumber).toBe(conversation.registrationNumber);
    expect(offer.preview).toBe(contact().text);
    expect(offer.state).toBe('pending');
    const created = await ConversationEvent.findOne({ where: { conversationId: conversation.id, type: 'offer.created' } });
    expect(got.p.eventId).toBe(created!.id);

    const wrong = await other.call('offer.accept', { offerId: offer.id });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const accepted = await got.who.call<{ conversation: { assigneeId: number } }>('offer.accept', { offerId: offer.id });
    expect(accepted.ok && accepted.data.conversation.assigneeId).toBe(offer.agentId);
    await got.who.waitFor('conversation.assigned', (p) => (p.conversation as { id: number }).id === conversation.id);
    expect(await got.who.call('offer.accept', { offerId: offer.id })).toMatchObject({ ok: false, error: { code: 'offer_gone' } });
  });

  test('decline over the socket → the other agent gets the offer; viewers and typing are shared', async () => {
    const a = await agent({ allDepartments: true });
    const b = await agent({ allDepartments: true });
    const ca = await open(web.url, { cookie: await cookieFor(a) });
    const cb = await open(web.url, { cookie: await cookieFor(b) });
    for (const c of [ca, cb]) await c.call('presence.set', { presence: 'available' });
    const { conversation } = await ingestContact(t.ctx, contact());
    const first = await Promise.race([ca, cb].map((c) => c.waitFor('offer.created').then((p) => ({ c, p }))));
    const second = first.c === ca ? cb : ca;
    expect(await first.c.call('offer.decline', { offerId: (first.p.offer as OfferView).id })).toMatchObject({ ok: true });
    const next = await second.waitFor('offer.created', (p) => (p.offer as OfferView).conversationId === conversation.id);
    expect((next.offer as OfferView).agentId).toBe(first.c === ca ? b.id : a.id);

    expect(await ca.call('conversation.view', { conversationId: conversation.id })).toMatchObject({ ok: true });
    await cb.call('conversation.view', { conversationId: conversation.id });
    await ca.call('conversation.typing', { conversationId: conversation.id, typing: true });
    const seen = await cb.waitFor('viewers.changed', (p) => (p.viewers as ViewerView[]).some((v) => v.agentId === a.id && v.typing));
    expect((seen.viewers as ViewerView[]).map((v) => v.agentId).sort()).toEqual([a.id, b.id].sort());
  });

  test("a message's text reaches whoever has the case open and its assignee; the rest of the queue gets cases.updated; a note reaches everyone who may see the case", async () => {
    const viewer = await agent({ allDepartments: true, presence: 'away' });
    const other = await agent({ allDepartments: true, presence: 'away' });
    const cv = await open(web.url, { cookie: await cookieFor(viewer) });
    const co = await open(web.url, { cookie: await cookieFor(other) });
    // Every broadcast the namespace makes, by event name and rooms.
    const adapter = web.realtime.agents.adapter;
    const broadcasts: { event: string; rooms: string[] }[] = [];
    const broadcast = adapter.broadcast.bind(adapter);
    const spy = jest.spyOn(adapter, 'broadcast').mockImplementation((packet, opts) => {
      broadcasts.push({ event: String((packet as { data: unknown[] }).data[0]), rooms: [...opts.rooms] });
      broadcast(packet, opts);
    });
    const { conversation } = await ingestContact(t.ctx, contact());
    // Nobody can have a new case open before it is committed, and whoever opens it after reads its first message:
    // the queues hear of it, the case's own room is not sent to.
    await co.waitFor('cases.updated', (p) => (p.conversations as ConversationSummaryView[]).some((c) => c.id === conversation.id));
    await t.ctx.events.drain();
    spy.mockRestore();
    expect(broadcasts.filter((b) => b.event === 'cases.updated').length).toBeGreaterThan(0);
    expect(broadcasts.filter((b) => b.rooms.includes(`conversation:${conversation.id}`))).toEqual([]);
    expect(await cv.call('conversation.view', { conversationId: conversation.id })).toMatchObject({ ok: true });

    const follow = await ingestContact(t.ctx, contact({ threadConversationId: conversation.id, text: 'Revin: groapa s-a mărit între timp.' }));
    expect(follow.conversation.id).toBe(conversation.id);
    const got = await cv.waitFor('message.created', (p) => (p.message as MessageView).id === follow.message.id);
    expect((got.message as MessageView).text).toContain('s-a mărit');
    await cv.waitFor('conversation.updated', (p) => (p.conversation as ConversationSummaryView).id === conversation.id && (p.eventTypes as string[]).includes('message.received'));
    const listed = await co.waitFor('cases.updated', (p) => (p.eventId as number) >= (got.eventId as number));
    expect((listed.conversations as ConversationSummaryView[]).map((c) => c.id)).toContain(conversation.id);
    await t.ctx.events.drain();
    expect(co.received.filter((r) => r.name === 'message.created' || r.name === 'conversation.updated')).toEqual([]);

    await addNote(t.ctx, await actorOf(viewer), { conversationId: conversation.id, text: 'De verificat pe teren.', mentionAgentIds: [other.id] });
    const note = await co.waitFor('message.created', (p) => (p.message as MessageView).direction === 'note');
    expect((note.message as MessageView).conversationId).toBe(conversation.id);
  });

  test('a burst of new cases reaches the queue as one cases.updated; an agent restricted to a department does not hear of another department\'s cases', async () => {
    const mine = await department('urbanism');
    const other = await department('drumuri');
    const all = await agent({ allDepartments: true, presence: 'away' });
    const restricted = await agent({ allDepartments: false, departmentIds: [mine.id], presence: 'away' });
    const ca = await open(web.url, { cookie: await cookieFor(all) });
    const cr = await open(web.url, { cookie: await cookieFor(restricted) });
    const general = await Promise.all([1, 2, 3].map(() => ingestContact(t.ctx, contact())));
    const ids = general.map((r) => r.conversation.id).sort((a, b) => a - b);
    await t.ctx.events.drain();
    const listed = async (c: Console) => {
      await new Promise((r) => setTimeout(r, 600)); // past the coalescing moment
      return c.received.filter((r) => r.name === 'cases.updated').flatMap((r) => (r.payload.conversations as ConversationSummaryView[]).map((v) => v.id));
    };
    expect([...new Set(await listed(ca))].sort((a, b) => a - b)).toEqual(ids);
    // Three cases, one burst: fewer events than cases (one, or two if the burst straddled a flush).
    expect(ca.received.filter((r) => r.name === 'cases.updated').length).toBeLessThan(3);
    expect(ca.received.filter((r) => r.name === 'conversation.updated')).toEqual([]);
    // Cases without a department are everyone's to see; a case moved to another department is not.
    expect([...new Set(await listed(cr))].sort((a, b) => a - b)).toEqual(ids);
    const moved = general[0]!.conversation.id;
    await Conversation.update({ departmentId: other.id }, { where: { id: moved } });
    const marks = [ca.received.length, cr.received.length];
    t.ctx.events.emit('conversation.changed', { conversationId: moved, eventIds: [] });
    await t.ctx.events.drain();
    await ca.waitFor('cases.updated', (p) => (p.conversations as ConversationSummaryView[]).some((v) => v.id === moved && v.departmentId === other.id));
    await new Promise((r) => setTimeout(r, 300));
    expect(cr.received.slice(marks[1]).filter((r) => r.name === 'cases.updated')).toEqual([]);
  });

  test('presence changes of a burst travel as one event to those who see everyone; an agent restricted to a department hears of themselves only', async () => {
    const d = await department('urbanism');
    const all = await agent({ allDepartments: true, presence: 'away' });
    const restricted = await agent({ allDepartments: false, departmentIds: [d.id], presence: 'away' });
    const ca = await open(web.url, { cookie: await cookieFor(all) });
    const cr = await open(web.url, { cookie: await cookieFor(restricted) });
    await t.ctx.events.drain();
    // The connections' own presence burst is out of the way (bursts are sent at least 500 ms apart).
    await new Promise((r) => setTimeout(r, 700));
    const from = (c: Console) => c.received.length;
    const [markA, markR] = [from(ca), from(cr)];
    /** The first presence.changed a console received after its mark that satisfies `pred`. */
    const nextPresence = async (c: Console, mark: number, pred: (views: AgentPresenceView[]) => boolean) => {
      for (const deadline = Date.now() + 3000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        const hit = c.received.slice(mark).find((r) => r.name === 'presence.changed' && pred(r.payload.agents as AgentPresenceView[]));
        if (hit) return hit.payload.agents as AgentPresenceView[];
      }
      throw new Error('no presence.changed after the mark');
    };
    t.ctx.events.emit('agent.changed', { agentId: all.id });
    t.ctx.events.emit('agent.changed', { agentId: restricted.id });
    const both = await nextPresence(ca, markA, (views) => views.length === 2);
    expect(both.map((v) => v.agentId).sort()).toEqual([all.id, restricted.id].sort());
    await nextPresence(cr, markR, (views) => views.some((v) => v.agentId === restricted.id));
    await t.ctx.events.drain();
    await new Promise((r) => setTimeout(r, 700));
    const burstA = ca.received.slice(markA).filter((r) => r.name === 'presence.changed');
    const burstR = cr.received.slice(markR).filter((r) => r.name === 'presence.changed');
    expect(burstA).toHaveLength(1);
    expect(burstR.flatMap((r) => (r.payload.agents as AgentPresenceView[]).map((v) => v.agentId))).toEqual([restricted.id]);
  });

  test('after a disconnect, reconnect + sync.since returns every visible change with nothing missing; too far behind → sync.required', async () => {
    const a = await agent({ allDepartments: true });
    const cookie = await cookieFor(a);
    const first = await open(web.url, { cookie });
    await first.call('presence.set', { presence: 'available' });
    await ingestContact(t.ctx, contact());
    const seen = await first.waitFor('offer.created');
    const lastEventId = Math.max(...first.received.map((r) => r.payload.eventId ?? 0));
    expect(lastEventId).toBeGreaterThanOrEqual(seen.eventId as number);
    first.socket.close();

    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ingestContact(t.ctx, contact())).conversation.id);
    await t.ctx.events.drain();
    const second = await open(web.url, { cookie });
    // The sweeper may offer a waiting case to the reconnected agent at any moment: bracket the sync.
    const pendingBefore = await Offer.count({ where: { agentId: a.id, state: 'pending' } });
    const maxBefore = (await ConversationEvent.max<number, ConversationEvent>('id')) ?? 0;
    const sync = await second.call<SyncResult>('sync.since', { lastEventId });
    const pendingAfter = await Offer.count({ where: { agentId: a.id, state: 'pending' } });
    expect(sync.ok).toBe(true);
    if (!sync.ok || sync.data.kind !== 'events') throw new Error('expected events');
    expect(sync.data.latestEventId).toBeGreaterThanOrEqual(maxBefore);
    const expected = await ConversationEvent.findAll({ where: { id: { [Op.gt]: lastEventId, [Op.lte]: sync.data.latestEventId } }, order: [['id', 'ASC']] });
    const got = new Set(sync.data.events.map((e) => e.id));
    expect(expected.length).toBeGreaterThan(0);
    for (const e of expected) expect(got.has(e.id)).toBe(true);
    expect(sync.data.conversations.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
    expect(sync.data.messages.map((m) => m.conversationId)).toEqual(expect.arrayContaining(ids));
    // The agent's pending offers are listed whole (not as a delta).
    expect(sync.data.offers.length).toBeGreaterThanOrEqual(pendingBefore);
    expect(sync.data.offers.length).toBeLessThanOrEqual(pendingAfter);

    const ahead = await second.call<SyncResult>('sync.since', { lastEventId: sync.data.latestEventId + 1000 });
    expect(ahead).toMatchObject({ ok: true, data: { kind: 'sync.required', reason: 'unknown_event' } });
    await second.waitFor('sync.required');
    expect(await Conversation.count()).toBe(4);
  });

  test('a console that disconnects loses its pending offer after the grace period; the case goes to the other agent', async () => {
    const a = await agent({ allDepartments: true });
    const b = await agent({ allDepartments: true });
    const ca = await open(web.url, { cookie: await cookieFor(a) });
    const cb = await open(web.url, { cookie: await cookieFor(b) });
    for (const c of [ca, cb]) await c.call('presence.set', { presence: 'available' });
    const { conversation } = await ingestContact(t.ctx, contact());
    const first = await Promise.race([ca, cb].map((c) => c.waitFor('offer.created').then((p) => ({ c, p }))));
    const survivor = first.c === ca ? cb : ca;
    first.c.socket.close();
    const moved = await survivor.waitFor('offer.created', (p) => (p.offer as OfferView).conversationId === conversation.id, 5000);
    expect((moved.offer as OfferView).agentId).toBe(first.c === ca ? b.id : a.id);
    expect((await Offer.findByPk((first.p.offer as OfferView).id))?.reason).toBe('disconnected');
  });
});
