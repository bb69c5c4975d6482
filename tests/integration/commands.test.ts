import request from 'supertest';
import type { Express } from 'express';
import { Agent, CannedResponse, Conversation, ConversationEvent, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import type { DomainEvents } from '../../server/events/bus';
import { ingestContact } from '../../server/ingest/ingestContact';
import { createTestContext, type TestContext } from '../helpers/context';
import { category, contact, department } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

const PASSWORD = 'parola-lunga-de-test';

/** A signed-in console: the session cookie and its CSRF token, as the browser holds them. */
interface Session {
  cookie: string;
  csrf: string;
  id: number;
}

describe.each(DIALECTS)('case commands on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let clerk: Session; // serves every queue
  let roads: Session; // roads department only
  let urbanism: Session; // urban planning only
  let sup: Session; // supervisor
  const changed: DomainEvents['conversation.changed'][] = [];
  const mentioned: DomainEvents['note.mentioned'][] = [];

  async function login(email: string): Promise<Session> {
    const r = await request(app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(r.status).toBe(200);
    const cookie = String(r.headers['set-cookie']![0]).split(';')[0]!;
    return { cookie, csrf: r.body.csrfToken, id: r.body.agent.id };
  }
  const post = (s: Session, path: string, body: unknown) => request(app).post(path).set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).send(body as object);
  const get = (s: Session, path: string) => request(app).get(path).set('Cookie', s.cookie);

  async function newCase(over: Parameters<typeof contact>[0] = {}): Promise<Conversation> {
    return (await ingestContact(t.ctx, contact({ departmentCode: 'drumuri', ...over }))).conversation;
  }
  const eventsOf = async (conversationId: number, type?: string) =>
    ConversationEvent.findAll({ where: { conversationId, ...(type ? { type } : {}) }, order: [['id', 'ASC']] });

  beforeAll(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    await department('drumuri');
    await department('urbanism');
    await category('drumuri-gropi');
    await category('urbanism-certificat', { departmentCode: 'urbanism' });
    for (const [email, name, role, departments, all] of [
      ['clerk@primarie.test', 'Ana Registratură', 'agent', [], true],
      ['ion.drum@primarie.test', 'Ion Drumaru', 'agent', ['drumuri'], false],
      ['maria.urb@primarie.test', 'Maria Urbanescu', 'agent', ['urbanism'], false],
      ['sef@primarie.test', 'Șef Tura', 'supervisor', [], true],
    ] as const) {
      await createAgent(t.ctx, { email, name, role, password: PASSWORD, departments: [...departments], allDepartments: all });
    }
    clerk = await login('clerk@primarie.test');
    roads = await login('ion.drum@primarie.test');
    urbanism = await login('maria.urb@primarie.test');
    sup = await login('sef@primarie.test');
    t.ctx.events.on('conversation.changed', (p) => void changed.push(p));
    t.ctx.events.on('note.mentioned', (p) => void mentioned.push(p));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  describe('authentication and CSRF come first', () => {
    test('no session → 401; a session without or with a wrong X-CSRF-Token → 403 csrf_failed; nothing changes', async () => {
      const c = await newCase();
      const anon = await request(app).post(`/api/v1/conversations/${c.id}/status`).send({ status: 'open' });
      expect(anon.status).toBe(401);
      const noCsrf = await request(app).post(`/api/v1/conversations/${c.id}/status`).set('Cookie', clerk.cookie).send({ status: 'open' });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.error.code).toBe('csrf_failed');
      const wrong = await request(app).post(`/api/v1/conversations/${c.id}/replies`).set('Cookie', clerk.cookie).set('X-CSRF-Token', sup.csrf).send({ text: 'x' });
      expect(wrong.status).toBe(403);
      const foreignOrigin = await request(app)
        .post(`/api/v1/conversations/${c.id}/status`)
        .set('Cookie', clerk.cookie)
        .set('X-CSRF-Token', clerk.csrf)
        .set('Origin', 'https://evil.example')
        .send({ status: 'open' });
      expect(foreignOrigin.status).toBe(403);
      await c.reload();
      expect(c.status).toBe('new');
      expect(await Message.count({ where: { conversationId: c.id, direction: 'outbound' } })).toBe(0);
      expect(await eventsOf(c.id, 'conversation.status_changed')).toHaveLength(0);
    });

    test('search and canned responses need a session too', async () => {
      expect((await request(app).get('/api/v1/search?q=1/2026')).status).toBe(401);
      expect((await request(app).get('/api/v1/canned-responses')).status).toBe(401);
    });
  });

  describe('bad input is refused naming the field, and nothing is written', () => {
    test.each([
      ['status', { status: 'joined' }, 'status'],
      ['status', { status: 'resolved' }, 'resolution'],
      ['status', { status: 'open', resolution: 'fixed' }, 'resolution'],
      ['status', { status: 'open', extra: 1 }, 'body'],
      ['replies', { text: '   ' }, 'text'],
      ['replies', { text: 'ok', statusAfter: 'nope' }, 'statusAfter'],
      ['notes', { text: 'notă', mentionAgentIds: [999999] }, 'mentionAgentIds'],
      ['category', { categoryId: 999999 }, 'categoryId'],
      ['department', { departmentId: 'drumuri' }, 'departmentId'],
      ['transfer', { toAgentId: 999999 }, 'toAgentId'],
      ['transfer', {}, 'body'],
      ['join', { duplicateIds: [] }, 'duplicateIds'],
    ])('POST …/%s %j → 400 on %s', async (action, body, field) => {
      const c = await newCase();
      const before = { m: await Message.count(), e: await ConversationEvent.count() };
      const r = await post(clerk, `/api/v1/conversations/${c.id}/${action}`, body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.details.field).toBe(field);
      expect({ m: await Message.count(), e: await ConversationEvent.count() }).toEqual(before);
    });

    test('an id that is not a number → 400; an unknown case → 404', async () => {
      expect((await post(clerk, '/api/v1/conversations/abc/status', { status: 'open' })).status).toBe(400);
      const r = await post(clerk, '/api/v1/conversations/99999999/status', { status: 'open' });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    });
  });

  test('a case of another department answers like a missing one (404), for every command', async () => {
    const c = await newCase({ departmentCode: 'urbanism' });
    for (const [action, body] of [
      ['status', { status: 'open' }],
      ['replies', { text: 'Răspuns' }],
      ['notes', { text: 'notă' }],
      ['transfer', { toDepartmentId: null }],
    ] as const) {
      const r = await post(roads, `/api/v1/conversations/${c.id}/${action}`, body);
      expect(r.status).toBe(404);
    }
    expect((await post(urbanism, `/api/v1/conversations/${c.id}/status`, { status: 'open' })).status).toBe(200);
  });

  describe('replyToConversation', () => {
    test('answers on the citizen channel, opens a new case, writes a public event and publishes after commit', async () => {
      const c = await newCase({ channel: 'email', from: { name: 'Ioana Pop', email: 'ioana.pop@exemplu.ro' } });
      changed.length = 0;
      const r = await post(roads, `/api/v1/conversations/${c.id}/replies`, { text: 'Am transmis sesizarea echipei de intervenție.' });
      expect(r.status).toBe(201);
      expect(r.body.message).toMatchObject({ direction: 'outbound', channel: 'email', deliveryStatus: 'queued' });
      expect(r.body.message.subject).toContain(c.registrationNumber);
      expect(r.body.conversation.status).toBe('open');
      const msg = await Message.findByPk(r.body.message.id);
      expect(msg!.agentId).toBe(roads.id);
      const events = await eventsOf(c.id);
      const queued = events.find((e) => e.type === 'message.queued')!;
      expect(queued.public).toBe(true);
      const status = events.find((e) => e.type === 'conversation.status_changed')!;
      expect(status.data).toMatchObject({ from: 'new', to: 'open' });
      expect(status.actorId).toBe(roads.id);
      const published = changed.filter((p) => p.conversationId === c.id).flatMap((p) => p.eventIds);
      expect(published).toEqual(expect.arrayContaining([queued.id, status.id]));
    });

    test('with statusAfter resolved it is answered (not fixed); pending_citizen waits on the citizen', async () => {
      const c = await newCase();
      const r = await post(clerk, `/api/v1/conversations/${c.id}/replies`, { text: 'Vă rugăm să trimiteți o fotografie.', statusAfter: 'pending_citizen' });
      expect(r.body.conversation.status).toBe('pending_citizen');
      const r2 = await post(clerk, `/api/v1/conversations/${c.id}/replies`, { text: 'Groapa a fost programată.', statusAfter: 'resolved' });
      expect(r2.status).toBe(201);
      await c.reload();
      expect(c.status).toBe('resolved');
      expect(c.resolution).toBe('answered');
      expect(c.answeredAt).toBeInstanceOf(Date);
      expect(c.fixedAt).toBeNull();
      expect(c.firstRespondedAt).toBeInstanceOf(Date);
    });

    test('a closed case or one marked spam cannot be answered (409, nothing queued)', async () => {
      const c = await newCase();
      await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'spam' });
      const r = await post(clerk, `/api/v1/conversations/${c.id}/replies`, { text: 'x' });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('case_not_answerable');
      expect(await Message.count({ where: { conversationId: c.id, direction: 'outbound' } })).toBe(0);
    });

    test('a failing status after the reply rolls the reply back too (one transaction)', async () => {
      const c = await newCase();
      await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'fixed' });
      const r = await post(clerk, `/api/v1/conversations/${c.id}/replies`, { text: 'Reparat.', statusAfter: 'pending_department' });
      expect(r.status).toBe(409);
      expect(await Message.count({ where: { conversationId: c.id, direction: 'outbound' } })).toBe(0);
      expect(await eventsOf(c.id, 'message.queued')).toHaveLength(0);
    });
  });

  describe('changeStatus', () => {
    test('answered and fixed are kept apart, each with its own time; the events are public', async () => {
      const c = await newCase();
      expect((await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'answered' })).status).toBe(200);
      await c.reload();
      const answeredAt = c.answeredAt;
      expect(answeredAt).toBeInstanceOf(Date);
      expect(c.fixedAt).toBeNull();
      const again = await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'answered' });
      expect(again.status).toBe(409);
      expect((await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'fixed' })).status).toBe(200);
      await c.reload();
      expect(c.resolution).toBe('fixed');
      expect(c.answeredAt!.getTime()).toBe(answeredAt!.getTime());
      expect(c.fixedAt).toBeInstanceOf(Date);
      expect(c.resolvedAt).toBeInstanceOf(Date);
      const events = await eventsOf(c.id, 'conversation.status_changed');
      expect(events.map((e) => [e.data.to, e.data.resolution, e.public])).toEqual([
        ['resolved', 'answered', true],
        ['resolved', 'fixed', true],
      ]);
    });

    test('transitions outside the machine → 409 invalid_transition; reopening a closed case is for supervisors (403 for agents)', async () => {
      const c = await newCase();
      const skip = await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'closed' });
      expect(skip.status).toBe(409);
      expect(skip.body.error.code).toBe('invalid_transition');
      await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'answered' });
      expect((await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'closed' })).status).toBe(200);
      await c.reload();
      expect(c.closedAt).toBeInstanceOf(Date);
      const agentReopen = await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'open' });
      expect(agentReopen.status).toBe(403);
      expect(agentReopen.body.error.code).toBe('forbidden');
      const supReopen = await post(sup, `/api/v1/conversations/${c.id}/status`, { status: 'open', reason: 'Cetățeanul a revenit' });
      expect(supReopen.status).toBe(200);
      await c.reload();
      expect([c.status, c.resolution, c.resolvedAt, c.closedAt]).toEqual(['open', null, null, null]);
    });

    test('race: ten agents change the status at once from "open" → exactly one wins, the event chain is consistent', async () => {
      const c = await newCase();
      await post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'open' });
      const targets = ['pending_citizen', 'pending_department', 'spam', 'filed_away', 'resolved'] as const;
      const sessions = [clerk, roads, sup];
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const status = targets[i % targets.length]!;
          return post(sessions[i % sessions.length]!, `/api/v1/conversations/${c.id}/status`, {
            status,
            expectedStatus: 'open',
            ...(status === 'resolved' ? { resolution: 'answered' } : {}),
          });
        }),
      );
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'status_changed')).toBe(true);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
      await c.reload();
      expect(c.status).toBe(ok[0]!.body.conversation.status);
      const chain = (await eventsOf(c.id, 'conversation.status_changed')).map((e) => e.data as { from: string; to: string });
      expect(chain).toHaveLength(2);
      expect(chain[1]!.from).toBe(chain[0]!.to);
    });

    test('race without expectedStatus: the machine still keeps every event consistent with the row', async () => {
      const c = await newCase();
      const results = await Promise.all([
        post(clerk, `/api/v1/conversations/${c.id}/status`, { status: 'resolved', resolution: 'answered' }),
        post(roads, `/api/v1/conversations/${c.id}/status`, { status: 'pending_citizen' }),
        post(sup, `/api/v1/conversations/${c.id}/status`, { status: 'spam' }),
      ]);
      expect(results.every((r) => [200, 409].includes(r.status))).toBe(true);
      const chain = (await eventsOf(c.id, 'conversation.status_changed')).map((e) => e.data as { from: string; to: string });
      expect(chain.length).toBe(results.filter((r) => r.status === 200).length);
      let status = 'new';
      for (const link of chain) {
        expect(link.from).toBe(status);
        status = link.to;
      }
      await c.reload();
      expect(c.status).toBe(status);
    });
  });

  describe('notes with mentions', () => {
    test('mentions by picked id and by @handle land in the event and in note.mentioned; never sent out', async () => {
      const c = await newCase();
      mentioned.length = 0;
      const r = await post(clerk, `/api/v1/conversations/${c.id}/notes`, { text: 'Vezi poza, @maria.urb — pare de urbanism.', mentionAgentIds: [roads.id] });
      expect(r.status).toBe(201);
      expect(r.body.mentionedAgentIds).toEqual([roads.id, urbanism.id].sort((a, b) => a - b));
      const note = await Message.findByPk(r.body.message.id);
      expect(note).toMatchObject({ direction: 'note', channel: 'internal', deliveryStatus: null });
      const [event] = await eventsOf(c.id, 'note.added');
      expect(event!.public).toBe(false);
      expect(event!.data.mentionedAgentIds).toEqual(r.body.mentionedAgentIds);
      await t.ctx.events.drain();
      expect(mentioned).toEqual([{ conversationId: c.id, messageId: note!.id, eventId: event!.id, agentIds: r.body.mentionedAgentIds, byAgentId: clerk.id }]);
    });
  });

  describe('category, department, transfer', () => {
    test('category follows to its department when asked; department change lets go of the owner', async () => {
      const c = await newCase();
      await post(sup, `/api/v1/conversations/${c.id}/transfer`, { toAgentId: roads.id });
      const cat = await category('urbanism-certificat', { departmentCode: 'urbanism' });
      const r = await post(clerk, `/api/v1/conversations/${c.id}/category`, { categoryId: cat.id, moveToDepartment: true });
      expect(r.status).toBe(200);
      expect(r.body.conversation).toMatchObject({ categoryId: cat.id, departmentId: cat.departmentId, assigneeId: null });
      const types = (await eventsOf(c.id)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['conversation.transferred', 'conversation.category_changed', 'conversation.department_changed']));
      // Now in urbanism: the roads agent no longer sees it.
      expect((await post(roads, `/api/v1/conversations/${c.id}/notes`, { text: 'x' })).status).toBe(404);
    });

    test('transfer to an agent makes them the owner; to a department empties the owner; to the same owner → 409', async () => {
      const c = await newCase();
      const a = await post(clerk, `/api/v1/conversations/${c.id}/transfer`, { toAgentId: roads.id, note: 'Te rog preia.' });
      expect(a.status).toBe(200);
      expect(a.body.conversation.assigneeId).toBe(roads.id);
      expect((await post(clerk, `/api/v1/conversations/${c.id}/transfer`, { toAgentId: roads.id })).status).toBe(409);
      const d = await post(roads, `/api/v1/conversations/${c.id}/transfer`, { toDepartmentId: null, note: 'Nu e de la noi' });
      expect(d.status).toBe(200);
      expect(d.body.conversation).toMatchObject({ assigneeId: null, departmentId: null });
      const [dept] = await eventsOf(c.id, 'conversation.department_changed');
      expect(dept!.data).toMatchObject({ reason: 'transfer', previousAssigneeId: roads.id, to: null, note: 'Nu e de la noi' });
    });
    test('transfer to a colleague respects their capacity per channel (409 capacity_full), like routing does', async () => {
      await Agent.update({ capacity: { voice: 1, sms: 4, email: 5, portal: 5, letter: 5, api: 1 } }, { where: { id: urbanism.id } });
      const first = await newCase();
      const second = await newCase();
      expect((await post(sup, `/api/v1/conversations/${first.id}/transfer`, { toAgentId: urbanism.id })).status).toBe(200);
      const full = await post(sup, `/api/v1/conversations/${second.id}/transfer`, { toAgentId: urbanism.id });
      expect(full.status).toBe(409);
      expect(full.body.error.code).toBe('capacity_full');
      await second.reload();
      expect(second.assigneeId).toBeNull();
      await first.reload();
      expect(first.status).toBe('open');
    });
  });

  describe('joinConversations', () => {
    test('duplicates are joined under one case that gets one answer, sent to each citizen', async () => {
      const target = await newCase({ channel: 'email', from: { name: 'Ana', email: 'ana.j@exemplu.ro' } });
      const dupSame = await newCase({ channel: 'email', from: { name: 'Ana', email: 'ana.j@exemplu.ro' }, text: 'Aceeași groapă, din nou.' });
      const dupOther = await newCase({ channel: 'sms', from: { name: 'Vasile', phone: '0744 123 456' }, text: 'Groapă mare pe Mărășești' });
      const r = await post(clerk, `/api/v1/conversations/${target.id}/join`, { duplicateIds: [dupSame.id, dupOther.id] });
      expect(r.status).toBe(200);
      for (const d of [dupSame, dupOther]) {
        await d.reload();
        expect(d.status).toBe('joined');
        expect(d.joinedIntoId).toBe(target.id);
        const [ev] = await eventsOf(d.id, 'conversation.joined');
        expect(ev!.public).toBe(true);
        expect(ev!.data.intoRegistrationNumber).toBe(target.registrationNumber);
      }
      expect((await eventsOf(target.id, 'conversation.duplicates_joined'))[0]!.data.duplicateIds).toEqual([dupSame.id, dupOther.id]);

      const onJoined = await post(clerk, `/api/v1/conversations/${dupOther.id}/replies`, { text: 'x' });
      expect(onJoined.status).toBe(409);
      const reply = await post(clerk, `/api/v1/conversations/${target.id}/replies`, { text: 'Groapa va fi reparată săptămâna aceasta.', statusAfter: 'resolved' });
      expect(reply.status).toBe(201);
      // The same citizen gets one answer; the other citizen gets a copy on their own channel.
      expect(reply.body.joinedCopies).toHaveLength(1);
      expect(reply.body.joinedCopies[0]).toMatchObject({ conversationId: dupOther.id, channel: 'sms' });
      expect(await Message.count({ where: { conversationId: dupSame.id, direction: 'outbound' } })).toBe(0);

      const again = await post(clerk, `/api/v1/conversations/${target.id}/join`, { duplicateIds: [dupOther.id] });
      expect(again.status).toBe(409);
      expect((await post(clerk, `/api/v1/conversations/${target.id}/join`, { duplicateIds: [target.id] })).status).toBe(400);
    });
  });

  describe('canned responses', () => {
    test('agents may not write them (403); unknown variables are refused; variables are filled per case', async () => {
      const body = { title: 'Confirmare', shortcut: `conf-${dialect}`, body: 'Stimată/Stimate {{name}}, solicitarea nr. {{registrationNumber}} va primi răspuns până la {{legalDueDate}}.' };
      const denied = await post(clerk, '/api/v1/canned-responses', body);
      expect(denied.status).toBe(403);
      expect(await CannedResponse.count()).toBe(0);
      const bad = await post(sup, '/api/v1/canned-responses', { ...body, body: 'Bună ziua {{nume}}' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('body');
      const created = await post(sup, '/api/v1/canned-responses', body);
      expect(created.status).toBe(201);
      expect((await post(sup, '/api/v1/canned-responses', body)).status).toBe(409);

      const list = await get(clerk, '/api/v1/canned-responses');
      expect(list.body.items.map((i: { id: number }) => i.id)).toContain(created.body.id);
      const c = await newCase({ from: { name: 'Elena Ștefănescu', email: 'elena.s@exemplu.ro' } });
      const rendered = await get(clerk, `/api/v1/canned-responses/${created.body.id}/render?conversationId=${c.id}`);
      expect(rendered.status).toBe(200);
      const [y, m, d] = c.legalDueDate!.split('-');
      expect(rendered.body.text).toBe(`Stimată/Stimate Elena Ștefănescu, solicitarea nr. ${c.registrationNumber} va primi răspuns până la ${d}.${m}.${y}.`);
      // Rendering for a case the agent may not see answers 404.
      const hidden = await newCase({ departmentCode: 'urbanism' });
      expect((await get(roads, `/api/v1/canned-responses/${created.body.id}/render?conversationId=${hidden.id}`)).status).toBe(404);

      const patchDenied = await request(app).patch(`/api/v1/canned-responses/${created.body.id}`).set('Cookie', roads.cookie).set('X-CSRF-Token', roads.csrf).send({ title: 'X' });
      expect(patchDenied.status).toBe(403);
      const patched = await request(app).patch(`/api/v1/canned-responses/${created.body.id}`).set('Cookie', sup.cookie).set('X-CSRF-Token', sup.csrf).send({ active: false });
      expect(patched.body.active).toBe(false);
      expect((await get(clerk, '/api/v1/canned-responses')).body.items).toHaveLength(0);
      const del = await request(app).delete(`/api/v1/canned-responses/${created.body.id}`).set('Cookie', sup.cookie).set('X-CSRF-Token', sup.csrf);
      expect(del.status).toBe(204);
      expect(await CannedResponse.count()).toBe(0);
    });
  });

  describe('search', () => {
    test('by registration number, phone in any format, email, name and text — within what the agent may see', async () => {
      const c = await newCase({ channel: 'sms', from: { name: 'Gheorghița Țăranu', phone: '+40 723 456 789', email: 'gheorghita.t@exemplu.ro' }, text: 'Stâlp de iluminat căzut lângă școala nr. 7', subject: undefined });
      const hidden = await newCase({ departmentCode: 'urbanism', from: { name: 'Gheorghița Țăranu', phone: '0723456789' }, text: 'Autorizație' });
      const ids = async (s: Session, q: string) => (await get(s, `/api/v1/search?q=${encodeURIComponent(q)}`)).body.items.map((i: { conversation: { id: number } }) => i.conversation.id);

      expect(await ids(clerk, c.registrationNumber)).toEqual([c.id]);
      expect(await ids(clerk, '0723 456 789')).toEqual(expect.arrayContaining([c.id, hidden.id]));
      expect(await ids(clerk, '0040723456789')).toEqual(expect.arrayContaining([c.id]));
      // The second case came from the same phone: the same citizen, so their email finds both.
      expect((await ids(clerk, 'GHEORGHITA.T@exemplu.ro')).sort()).toEqual([c.id, hidden.id].sort());
      expect(await ids(roads, 'gheorghita.t@exemplu.ro')).toEqual([c.id]);
      expect(await ids(clerk, 'Țăranu')).toEqual(expect.arrayContaining([c.id, hidden.id]));
      expect(await ids(clerk, 'iluminat căzut')).toEqual([c.id]);
      const byText = await get(clerk, `/api/v1/search?q=${encodeURIComponent('iluminat căzut')}`);
      expect(byText.body.items[0].matchedBy).toContain('text');
      // The roads agent sees the roads case and not the urban-planning one.
      expect(await ids(roads, '0723456789')).toEqual([c.id]);
      expect((await get(clerk, '/api/v1/search?q=%25')).status).toBe(400);
      expect(await ids(clerk, '100%_')).toEqual([]);
    });
  });

  test('the directory lists colleagues with their @handle, departments and categories', async () => {
    const r = await get(roads, '/api/v1/directory');
    expect(r.status).toBe(200);
    expect(r.body.agents).toEqual(expect.arrayContaining([expect.objectContaining({ id: urbanism.id, handle: 'maria.urb' })]));
    expect(r.body.agents[0]).not.toHaveProperty('email');
    expect(r.body.departments.map((d: { code: string }) => d.code)).toEqual(expect.arrayContaining(['drumuri', 'urbanism']));
    expect(await Agent.count()).toBe(4);
  });
});
