import request from 'supertest';
import type { Express } from 'express';
import type { InboundContact } from '../../channels/contract';
import { Agent, Category, Conversation, ConversationEvent, Department } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { cnpHash } from '../../server/ingest/identity';
import { ingestContact } from '../../server/ingest/ingestContact';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(120_000);

const PASSWORD = 'parola-de-test-lunga';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const CNP = '1800101123456';

interface Session {
  cookie: string;
  csrf: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('agent API on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let supervisor: Session;
  let restricted: Session;
  let restrictedAgent: Agent;
  /** Conversation ids by a short name. */
  const c: Record<string, number> = {};
  let ionCitizenId: number;

  async function login(email: string): Promise<Session> {
    const res = await request(app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    return { cookie, csrf: res.body.csrfToken };
  }

  async function ingest(contact: InboundContact): Promise<number> {
    const result = await ingestContact(t.ctx, contact);
    // Distinct milliseconds keep the expected timeline order independent of timer resolution.
    await sleep(5);
    return result.conversation.id;
  }

  const list = (s: Session, query = '') => request(app).get(`/api/v1/conversations${query}`).set('Cookie', s.cookie);
  const ids = (res: request.Response) => (res.body.items as { id: number }[]).map((i) => i.id);

  beforeAll(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    const departments: Record<string, Department> = {};
    for (const [code, nameRo, nameEn] of [
      ['drumuri', 'Direcția Tehnică – Drumuri', 'Roads'],
      ['iluminat', 'Serviciul Iluminat Public', 'Street lighting'],
      ['taxe', 'Direcția Impozite și Taxe Locale', 'Local taxes'],
    ] as const) {
      departments[code] = await Department.create({ code, nameRo, nameEn, email: null });
    }
    for (const [code, dept, nameRo] of [
      ['drumuri-gropi', 'drumuri', 'Drumuri, străzi, gropi în carosabil'],
      ['iluminat-public', 'iluminat', 'Iluminat public (bec/stâlp defect)'],
      ['taxe-locale', 'taxe', 'Impozite și taxe locale'],
    ] as const) {
      await Category.create({ code, nameRo, nameEn: code, groupCode: dept, descriptionRo: null, descriptionEn: null, keywords: null, departmentId: departments[dept]!.id, locationBased: code !== 'taxe-locale' });
    }
    await createAgent(t.ctx, { email: 'sef@primarie.test', name: 'Sorina Șef', role: 'supervisor', password: PASSWORD });
    restrictedAgent = await createAgent(t.ctx, { email: 'drumuri@primarie.test', name: 'Dan Drumaru', role: 'agent', password: PASSWORD, departments: ['drumuri'] });
    await createAgent(t.ctx, { email: 'registratura@primarie.test', name: 'Radu Registru', role: 'agent', password: PASSWORD, allDepartments: true });

    // One case reached on three channels: a portal form, an SMS quoting its number, an emailed reply.
    c.pothole = await ingest({
      channel: 'portal',
      externalId: 'portal-1',
      from: { name: 'Ion Popescu', email: 'ion.popescu@example.ro', phone: '0722 123 456', cnp: CNP },
      subject: 'Groapă pe Str. Eminescu',
      text: 'Groapă adâncă în fața numărului 14.',
      categoryCode: 'drumuri-gropi',
      location: { lat: 46.18664, lng: 21.31226, address: 'Str. Mihai Eminescu nr. 14' },
      attachments: [{ filename: 'groapa.png', contentType: 'image/png', data: PNG }],
    });
    const potholeNumber = (await Conversation.findByPk(c.pothole))!.registrationNumber;
    c.lamp = await ingest({ channel: 'sms', externalId: 'SM-lamp', from: { phone: '+40733555666' }, text: 'Becul de pe Str. Câmpineanu e ars.', categoryCode: 'iluminat-public' });
    expect(await ingest({ channel: 'sms', externalId: 'SM-followup', from: { phone: '+40722123456' }, text: `Revin la sesizarea nr. ${potholeNumber}: groapa s-a mărit.` })).toBe(c.pothole);
    c.tax = await ingest({ channel: 'letter', externalId: 'letter-1', from: { name: 'Gheorghe Dumitrescu', postalAddress: 'Str. Vasile Goldiș nr. 3, Arad' }, text: 'Cerere de eșalonare a impozitului.', categoryCode: 'taxe-locale' });
    expect(
      await ingest({ channel: 'email', externalId: '<reply-1@example.ro>', inReplyTo: ['portal-1'], from: { email: 'ion.popescu@example.ro' }, subject: 'Re: Groapă', text: 'Vă mulțumesc, aștept răspunsul.' }),
    ).toBe(c.pothole);
    c.general = await ingest({ channel: 'email', externalId: '<general-1@example.ro>', from: { name: 'Elisabeta Mureșan', email: 'elisabeta.muresan@example.ro' }, subject: 'Întrebare', text: 'Ce acte trebuie pentru ajutorul de încălzire?' });
    c.call = await ingest({ channel: 'voice', externalId: 'CA-1', from: { phone: '+40745111222' }, text: 'Apel despre impozitul auto.', categoryCode: 'taxe-locale' });
    c.abandoned = await ingest({ channel: 'api', externalId: 'city-report-1', from: {}, text: 'Autoturism abandonat pe Str. Independenței.', categoryCode: 'drumuri-gropi' });
    c.ionTax = await ingest({ channel: 'email', externalId: '<ion-tax@example.ro>', from: { email: 'ion.popescu@example.ro' }, subject: 'Impozit', text: 'Am o întrebare despre impozitul pe clădiri.', categoryCode: 'taxe-locale' });
    // A taxes call assigned to the roads agent: theirs to see although it is not their department.
    await Conversation.update({ assigneeId: restrictedAgent.id }, { where: { id: c.call } });
    await ConversationEvent.create({ conversationId: c.pothole, type: 'conversation.assigned', actorType: 'system', actorId: null, data: { to: restrictedAgent.id } });

    ionCitizenId = (await Conversation.findByPk(c.pothole))!.citizenId!;
    supervisor = await login('sef@primarie.test');
    restricted = await login('drumuri@primarie.test');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('requires a session', async () => {
    const res = await request(app).get('/api/v1/conversations');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect((await request(app).get(`/api/v1/conversations/${c.pothole}`)).status).toBe(401);
    expect((await request(app).get(`/api/v1/citizens/${ionCitizenId}`)).status).toBe(401);
  });

  it('lists every case to a supervisor, most recently active first', async () => {
    const res = await list(supervisor);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(new Set(ids(res))).toEqual(new Set(Object.values(c)));
    const items = res.body.items as { id: number; updatedAt: string }[];
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1]!, items[i]!];
      expect(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id)).toBe(true);
    }
    const pothole = (res.body.items as Record<string, unknown>[]).find((i) => i.id === c.pothole)!;
    expect(pothole).toMatchObject({
      channel: 'portal',
      status: 'new',
      legalBasis: 'petition',
      category: { code: 'drumuri-gropi' },
      department: { code: 'drumuri' },
      assignee: null,
      citizen: { id: ionCitizenId, name: 'Ion Popescu' },
    });
    expect(pothole.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    expect(pothole.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The general queue is a case without a department.
    expect((res.body.items as Record<string, unknown>[]).find((i) => i.id === c.general)!.department).toBeNull();
  });

  it('filters by status, queue, assignee and channel', async () => {
    expect(new Set(ids(await list(supervisor, '?status=new,open')))).toEqual(new Set(Object.values(c)));
    expect(ids(await list(supervisor, '?status=resolved'))).toEqual([]);
    expect(new Set(ids(await list(supervisor, '?queue=drumuri')))).toEqual(new Set([c.pothole, c.abandoned]));
    expect(ids(await list(supervisor, '?queue=general'))).toEqual([c.general]);
    expect(new Set(ids(await list(supervisor, '?queue=taxe')))).toEqual(new Set([c.tax, c.call, c.ionTax]));
    expect(ids(await list(supervisor, `?assignee=${restrictedAgent.id}`))).toEqual([c.call]);
    expect(ids(await list(restricted, '?assignee=me'))).toEqual([c.call]);
    expect(ids(await list(supervisor, '?assignee=me'))).toEqual([]);
    expect(new Set(ids(await list(supervisor, '?assignee=none')))).toEqual(new Set(Object.values(c).filter((id) => id !== c.call)));
    expect(ids(await list(supervisor, '?channel=sms'))).toEqual([c.lamp]);
    expect(new Set(ids(await list(supervisor, '?channel=letter,voice')))).toEqual(new Set([c.tax, c.call]));
    expect(new Set(ids(await list(supervisor, '?channel=letter&channel=voice')))).toEqual(new Set([c.tax, c.call]));
    expect(ids(await list(supervisor, '?queue=drumuri&channel=api'))).toEqual([c.abandoned]);
    expect(ids(await list(supervisor, '?queue=taxe&channel=voice&assignee=none'))).toEqual([]);
  });

  it('pages with an opaque cursor that stays stable when cases arrive meanwhile', async () => {
    const all = ids(await list(supervisor));
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await list(supervisor, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(res));
      cursor = res.body.nextCursor;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      pages++;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));

    // A new case arrives between page 1 and page 2: page 2 is what it would have been, with no repeat.
    const first = await list(supervisor, '?limit=3');
    const newcomer = await ingest({ channel: 'sms', externalId: 'SM-newcomer', from: { phone: '+40799000111' }, text: 'Sesizare nouă.' });
    const second = await list(supervisor, `?limit=3&cursor=${first.body.nextCursor}`);
    expect(ids(first)).toEqual(all.slice(0, 3));
    expect(ids(second)).toEqual(all.slice(3, 6));
    expect(ids(second)).not.toContain(newcomer);
    expect(ids(await list(supervisor, '?limit=1'))).toEqual([newcomer]);
    await Conversation.destroy({ where: { id: newcomer } });
  });

  it('sorts by creation on request, with its own cursors', async () => {
    const page1 = await list(supervisor, '?sort=created&limit=4');
    const page2 = await list(supervisor, `?sort=created&limit=4&cursor=${page1.body.nextCursor}`);
    const all = [...ids(page1), ...ids(page2)];
    expect(all).toEqual([...Object.values(c)].sort((a, b) => b - a));
    const mixed = await list(supervisor, `?cursor=${page1.body.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details.field).toBe('cursor');
  });

  it('rejects bad queries, naming the field', async () => {
    for (const [query, field] of [
      ['?status=bogus', 'status'],
      ['?status=new,bogus', 'status'],
      ['?status=', 'status'],
      ['?channel=fax', 'channel'],
      ['?queue=nowhere', 'queue'],
      ['?assignee=someone', 'assignee'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?sort=random', 'sort'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('{"s":"updated","i":-1}').toString('base64url')}`, 'cursor'],
    ] as const) {
      const res = await list(supervisor, query);
      expect({ query, status: res.status, code: res.body.error?.code, field: res.body.error?.details?.field }).toEqual({ query, status: 400, code: 'validation_failed', field });
      expect(res.body.error.message).toMatch(new RegExp(`^${field}: `));
    }
    expect((await list(supervisor, '?limit=100')).status).toBe(200);
  });

  it('shows one case with its people, queue and one timeline across channels in time order', async () => {
    const res = await request(app).get(`/api/v1/conversations/${c.pothole}`).set('Cookie', supervisor.cookie);
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body).toMatchObject({
      id: c.pothole,
      channel: 'portal',
      category: { code: 'drumuri-gropi', nameRo: 'Drumuri, străzi, gropi în carosabil' },
      department: { code: 'drumuri' },
      assignee: null,
      location: { lat: 46.18664, lng: 21.31226, address: 'Str. Mihai Eminescu nr. 14' },
      citizen: { id: ionCitizenId, name: 'Ion Popescu', language: 'ro' },
    });
    const identities = body.citizen.identities as { kind: string; value?: string }[];
    expect(identities.map((i) => i.kind).sort()).toEqual(['cnp_hash', 'email', 'phone']);
    expect(identities.find((i) => i.kind === 'cnp_hash')).not.toHaveProperty('value');
    expect(identities.find((i) => i.kind === 'phone')!.value).toBe('+40722123456');

    const timeline = body.timeline as { kind: 'message' | 'event'; at: string; message?: Record<string, unknown>; event?: Record<string, unknown> }[];
    const times = timeline.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(timeline.map((e) => (e.kind === 'message' ? `message:${e.message!.channel}` : `event:${e.event!.type}`))).toEqual([
      'message:portal',
      'event:conversation.created',
      'event:message.received',
      'message:sms',
      'event:message.received',
      'message:email',
      'event:message.received',
      'event:conversation.assigned',
    ]);
    const portal = timeline[0]!.message!;
    expect(portal).toMatchObject({ direction: 'inbound', subject: 'Groapă pe Str. Eminescu', text: 'Groapă adâncă în fața numărului 14.', author: null });
    expect(portal.attachments).toEqual([
      { id: expect.any(Number), filename: 'groapa.png', contentType: 'image/png', declaredType: 'image/png', size: PNG.length, inline: false, contentId: null },
    ]);

    // Nothing that points at the files on disk, and no CNP, not even hashed.
    const raw = JSON.stringify(body);
    expect(raw).not.toContain(t.dataDir);
    expect(raw).not.toContain('blobs');
    expect(raw).not.toContain('sha256');
    expect(raw).not.toContain(cnpHash(CNP, t.ctx.config.SESSION_SECRET));
    expect(raw).not.toContain(CNP);
  });

  it('hides what a department-restricted agent may not see, as if it did not exist', async () => {
    const res = await list(restricted);
    expect(new Set(ids(res))).toEqual(new Set([c.pothole, c.abandoned, c.general, c.call]));
    expect(ids(await list(restricted, '?queue=taxe'))).toEqual([c.call]);
    expect(ids(await list(restricted, '?queue=iluminat'))).toEqual([]);

    for (const hidden of [c.lamp, c.tax, c.ionTax]) {
      const r = await request(app).get(`/api/v1/conversations/${hidden}`).set('Cookie', restricted.cookie);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    for (const visible of [c.pothole, c.general, c.call]) {
      expect((await request(app).get(`/api/v1/conversations/${visible}`).set('Cookie', restricted.cookie)).status).toBe(200);
    }
    // A supervisor sees all of them.
    expect((await request(app).get(`/api/v1/conversations/${c.lamp}`).set('Cookie', supervisor.cookie)).status).toBe(200);
    // Agents serving all departments too.
    const registry = await login('registratura@primarie.test');
    expect(new Set(ids(await list(registry)))).toEqual(new Set(Object.values(c)));
  });

  it('answers 404 for an unknown case and 400 for a malformed id', async () => {
    expect((await request(app).get('/api/v1/conversations/999999').set('Cookie', supervisor.cookie)).status).toBe(404);
    const bad = await request(app).get('/api/v1/conversations/abc').set('Cookie', supervisor.cookie);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('id');
  });

  it('shows a citizen with identities (the CNP only as a kind) and their cases, newest first', async () => {
    const res = await request(app).get(`/api/v1/citizens/${ionCitizenId}`).set('Cookie', supervisor.cookie);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ionCitizenId, name: 'Ion Popescu', language: 'ro' });
    const identities = res.body.identities as { kind: string; value?: string }[];
    expect(identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'email', value: 'ion.popescu@example.ro' }),
        expect.objectContaining({ kind: 'phone', value: '+40722123456' }),
      ]),
    );
    expect(identities.find((i) => i.kind === 'cnp_hash')).toEqual({ id: expect.any(Number), kind: 'cnp_hash', verified: false });
    expect(JSON.stringify(res.body)).not.toContain(cnpHash(CNP, t.ctx.config.SESSION_SECRET));
    expect((res.body.conversations as { id: number }[]).map((x) => x.id)).toEqual([c.ionTax, c.pothole]);
    expect(res.body.conversations[0]).toMatchObject({ citizen: { id: ionCitizenId }, department: { code: 'taxe' } });

    // The roads agent sees the person but only the cases they could open.
    const limited = await request(app).get(`/api/v1/citizens/${ionCitizenId}`).set('Cookie', restricted.cookie);
    expect(limited.status).toBe(200);
    expect((limited.body.conversations as { id: number }[]).map((x) => x.id)).toEqual([c.pothole]);

    expect((await request(app).get('/api/v1/citizens/999999').set('Cookie', supervisor.cookie)).status).toBe(404);
    const bad = await request(app).get('/api/v1/citizens/x1').set('Cookie', supervisor.cookie);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('id');
  });
});
