import request from 'supertest';
import type { Express } from 'express';
import type { InboundContact } from '../../channels/contract';
import { Conversation } from '../../db/models';
import { createApp } from '../../server/app';
import { createAgent } from '../../server/auth/createAgent';
import { distanceMeters, similarity, wordStems } from '../../server/commands/findDuplicates';
import { ingestContact } from '../../server/ingest/ingestContact';
import { category, contact, department } from '../helpers/factories';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(120_000);

const PASSWORD = 'parola-de-test-lunga';
/** A point on Bulevardul Revoluției, Arad, and points about 30 m and 80 m north of it. */
const HERE = { lat: 46.1866, lng: 21.3123 };
const M30 = { lat: HERE.lat + 30 / 111_195, lng: HERE.lng };
const M80 = { lat: HERE.lat + 80 / 111_195, lng: HERE.lng };

interface Session {
  cookie: string;
  csrf: string;
}

interface Suggestion {
  conversation: { id: number; registrationNumber: string; channel: string; subject: string | null; status: string; registeredAt: string };
  reasons: { kind: string; meters?: number; words?: string[]; score?: number }[];
}

describe('duplicate word matching', () => {
  test('folds diacritics and inflections, ignores greetings and street words', () => {
    const a = wordStems('Bună ziua, iluminatul public nu funcționează pe strada Țebei');
    const b = wordStems('Stâlpul de iluminat de pe strada Tebei nu functioneaza');
    const s = similarity(a, b);
    expect(s.words).toEqual(expect.arrayContaining(['iluminatul', 'funcționează', 'țebei']));
    expect(s.words).not.toContain('strada');
    expect(similarity(wordStems('Bună ziua, vă rog'), wordStems('Bună ziua, vă mulțumesc')).score).toBe(0);
  });
  test('distance in metres', () => {
    expect(Math.round(distanceMeters(HERE.lat, HERE.lng, M30.lat, M30.lng))).toBe(30);
    expect(Math.round(distanceMeters(HERE.lat, HERE.lng, M80.lat, M80.lng))).toBe(80);
  });
});

describe.each(DIALECTS)('duplicate suggestions on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let supervisor: Session;
  let roads: Session;
  /** Case ids by a short name. */
  const c: Record<string, number> = {};

  async function login(email: string): Promise<Session> {
    const res = await request(app).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(res.status).toBe(200);
    return { cookie: (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!, csrf: res.body.csrfToken };
  }
  const ingest = async (over: Partial<InboundContact>) => (await ingestContact(t.ctx, contact(over))).conversation.id;
  const suggestions = async (s: Session, id: number) => {
    const res = await request(app).get(`/api/v1/conversations/${id}/duplicates`).set('Cookie', s.cookie);
    expect(res.status).toBe(200);
    return res.body.items as Suggestion[];
  };
  const byId = (items: Suggestion[]) => new Map(items.map((i) => [i.conversation.id, i]));

  beforeAll(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    await category('drumuri-gropi', { departmentCode: 'drumuri', locationBased: true });
    await category('iluminat-public', { departmentCode: 'iluminat', locationBased: true });
    await department('taxe');
    await createAgent(t.ctx, { email: 'sef@primarie.test', name: 'Sorina Șef', role: 'supervisor', password: PASSWORD });
    await createAgent(t.ctx, { email: 'drumuri@primarie.test', name: 'Dan Drumaru', role: 'agent', password: PASSWORD, departments: ['drumuri'] });
    supervisor = await login('sef@primarie.test');
    roads = await login('drumuri@primarie.test');

    const ion = { name: 'Ion Popescu', email: 'ion.popescu@exemplu.ro', phone: '0722 123 456' };
    const pothole = 'Groapă adâncă în carosabil în fața blocului 14, mașinile își rup roțile.';
    c.target = await ingest({ channel: 'portal', from: ion, subject: 'Groapă în carosabil pe Bulevardul Revoluției', text: pothole, categoryCode: 'drumuri-gropi', location: { ...HERE, address: 'Bd. Revoluției 14' } });
    // The same citizen by SMS about something else, in another department: suggested for the citizen.
    c.sameCitizenSms = await ingest({ channel: 'sms', from: { phone: '+40722123456' }, text: 'Nu mi-a venit decizia de impunere pentru casă.', departmentCode: 'taxe' });
    // The same citizen on a lamp (department iluminat), which the roads agent cannot see.
    c.sameCitizenLamp = await ingest({ channel: 'email', from: ion, subject: 'Bec ars', text: 'Becul din stâlpul 7 e ars de o săptămână.', categoryCode: 'iluminat-public' });
    // The same citizen, already answered: not joinable, never suggested.
    c.sameCitizenResolved = await ingest({ channel: 'email', from: ion, subject: 'Altă problemă', text: 'Mulțumesc pentru răspuns.', categoryCode: 'drumuri-gropi' });
    await Conversation.update({ status: 'resolved', resolution: 'answered' }, { where: { id: c.sameCitizenResolved } });
    // Someone else, same category, similar words, no location: similar text.
    c.similar = await ingest({ channel: 'email', from: { name: 'Maria Ionescu', email: 'maria@exemplu.ro' }, subject: 'Groapă mare pe Bulevardul Revoluției', text: 'În carosabil este o groapă adâncă lângă blocul 14.', categoryCode: 'drumuri-gropi' });
    // The same words, but registered 40 days earlier: outside the window.
    c.similarOld = await ingest({ channel: 'email', from: { name: 'Vasile Pop', email: 'vasile@exemplu.ro' }, subject: 'Groapă în carosabil pe Bulevardul Revoluției', text: pothole, categoryCode: 'drumuri-gropi' });
    await Conversation.update({ registeredAt: new Date(Date.now() - 40 * 86_400_000) }, { where: { id: c.similarOld } });
    // Same category, unrelated words, no location: not suggested.
    c.unrelated = await ingest({ channel: 'email', from: { name: 'Ana Marin', email: 'ana@exemplu.ro' }, subject: 'Trotuar spart', text: 'Dalele de pe trotuarul de lângă piață sunt sparte.', categoryCode: 'drumuri-gropi' });
    // Someone else, other words, 30 m away: nearby. 80 m away: not.
    c.nearby = await ingest({ channel: 'portal', from: { name: 'Dan Radu', email: 'dan@exemplu.ro' }, subject: 'Capac lipsă', text: 'Lipsește capacul de canal.', categoryCode: 'drumuri-gropi', location: { ...M30, address: 'Bd. Revoluției 16' } });
    c.far = await ingest({ channel: 'portal', from: { name: 'Elena Dobre', email: 'elena@exemplu.ro' }, subject: 'Capac lipsă', text: 'Lipsește capacul de canal.', categoryCode: 'drumuri-gropi', location: { ...M80, address: 'Bd. Revoluției 20' } });
    // Near and similar, but in the lighting department: the roads agent never sees it.
    c.hiddenNearby = await ingest({ channel: 'portal', from: { name: 'Radu Mihai', email: 'radu@exemplu.ro' }, subject: 'Groapă și stâlp căzut', text: 'Stâlp căzut lângă groapa din carosabil.', categoryCode: 'iluminat-public', location: { ...M30, address: 'Bd. Revoluției 16' } });
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  test('no session → 401; a bad id → 400; a case the agent may not see → 404, like one that does not exist', async () => {
    expect((await request(app).get(`/api/v1/conversations/${c.target}/duplicates`)).status).toBe(401);
    const bad = await request(app).get('/api/v1/conversations/abc/duplicates').set('Cookie', supervisor.cookie);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('id');
    expect((await request(app).get('/api/v1/conversations/999999/duplicates').set('Cookie', supervisor.cookie)).status).toBe(404);
    const hidden = await request(app).get(`/api/v1/conversations/${c.sameCitizenLamp}/duplicates`).set('Cookie', roads.cookie);
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(hidden.body)).not.toContain('Bec ars');
  });

  test('suggests the citizen\'s open cases on any channel, similar recent cases, and nearby reports, each with why', async () => {
    const items = await suggestions(supervisor, c.target);
    const got = byId(items);
    expect(got.get(c.sameCitizenSms)?.reasons).toEqual([{ kind: 'same_citizen' }]);
    expect(got.get(c.sameCitizenSms)?.conversation.channel).toBe('sms');
    expect(got.get(c.sameCitizenLamp)?.reasons.map((r) => r.kind)).toEqual(['same_citizen']);
    const similar = got.get(c.similar)?.reasons.find((r) => r.kind === 'similar_text');
    expect(similar?.words).toEqual(expect.arrayContaining(['groapă', 'carosabil']));
    expect(got.get(c.nearby)?.reasons).toEqual([{ kind: 'nearby', meters: 30 }]);
    const hidden = got.get(c.hiddenNearby)?.reasons.map((r) => r.kind);
    expect(hidden).toEqual(expect.arrayContaining(['nearby']));
    for (const id of [c.target, c.sameCitizenResolved, c.similarOld, c.unrelated, c.far]) expect(got.has(id)).toBe(false);
    // Strongest first: the citizen's own cases lead.
    expect(items.slice(0, 2).map((i) => i.reasons[0]!.kind)).toEqual(['same_citizen', 'same_citizen']);
    for (const i of items) expect(i.conversation.registrationNumber).toMatch(/^\d+\/\d{4}$/);
  });

  test('an agent restricted to roads gets no suggestion from a department they cannot see', async () => {
    const got = byId(await suggestions(roads, c.target));
    expect(got.has(c.sameCitizenLamp)).toBe(false);
    expect(got.has(c.hiddenNearby)).toBe(false);
    // Taxes is not theirs either; roads cases they may see are still there.
    expect(got.has(c.sameCitizenSms)).toBe(false);
    expect(got.has(c.similar)).toBe(true);
    expect(got.has(c.nearby)).toBe(true);
  });

  test('the suggested cases are joined by the join command and then no longer suggested', async () => {
    const join = await request(app)
      .post(`/api/v1/conversations/${c.target}/join`)
      .set('Cookie', supervisor.cookie)
      .set('X-CSRF-Token', supervisor.csrf)
      .send({ duplicateIds: [c.similar, c.nearby] });
    expect(join.status).toBe(200);
    expect(join.body.joined.map((j: { status: string }) => j.status)).toEqual(['joined', 'joined']);
    const got = byId(await suggestions(supervisor, c.target));
    expect(got.has(c.similar)).toBe(false);
    expect(got.has(c.nearby)).toBe(false);
    expect(got.has(c.sameCitizenSms)).toBe(true);
  });
});
