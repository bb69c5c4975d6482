import request from 'supertest';
import { Agent, AgentDepartment, Category, Citizen, Conversation, Department, Message } from '../../db/models';
import { DEMO_CATEGORIES, seedDemo, seedDemoIfEmpty } from '../../db/seeds/demo';
import { CHANNEL_KINDS } from '../../channels/contract';
import { createApp } from '../../server/app';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(180_000);

/** s and t with a cedilla: the wrong letters, common in old Romanian fonts and copy-paste. */
const CEDILLA = /[\u015E\u015F\u0162\u0163]/;
/** ș and ț with a comma below: the right ones. */
const COMMA_BELOW = /[\u0218\u0219\u021A\u021B]/;

async function counts() {
  return {
    departments: await Department.count(),
    categories: await Category.count(),
    agents: await Agent.count(),
    agentDepartments: await AgentDepartment.count(),
    citizens: await Citizen.count(),
    conversations: await Conversation.count(),
    messages: await Message.count(),
  };
}

describe.each(DIALECTS)('demo seed on %s', (dialect) => {
  let t: TestContext;
  let firstSummary: string;

  beforeAll(async () => {
    t = await createTestContext(dialect);
    const seeded = await seedDemoIfEmpty(t.ctx);
    expect(seeded).not.toBeNull();
    firstSummary = seeded!.summary;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('creates the 24 categories of DOMAIN.md §5 with Open311 groups, legal bases and departments', async () => {
    const categories = await Category.findAll({ order: [['sortOrder', 'ASC']], include: [{ model: Department, as: 'department' }] });
    expect(categories).toHaveLength(24);
    expect(categories.map((c) => c.sortOrder)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(categories.filter((c) => c.locationBased).map((c) => c.sortOrder)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    for (const c of categories) {
      expect(c.legalBasis).toBe(c.code === 'informatii-publice' ? 'public_information' : 'petition');
      expect((c as Category & { department?: Department }).department).toBeTruthy();
      expect(['drumuri', 'iluminat', 'salubrizare', 'spatii-verzi', 'utilitati', 'transport', 'ordine-publica', 'urbanism', 'social', 'taxe', 'administrativ']).toContain(c.groupCode);
      expect(c.nameEn).toMatch(/^[\x20-\x7E]+$/);
    }
    expect(categories[22]!.nameRo).toBe('Informații de interes public (Legea 544)');
    expect(categories[0]!.nameRo).toBe('Drumuri, străzi, gropi în carosabil');
    expect(new Set(categories.map((c) => c.code)).size).toBe(24);
  });

  it('writes Romanian names with ș and ț (comma below), never ş or ţ (cedilla)', async () => {
    const names = [
      ...(await Department.findAll()).flatMap((d) => [d.nameRo]),
      ...(await Category.findAll()).flatMap((c) => [c.nameRo, c.keywords ?? '']),
    ];
    for (const name of names) expect({ name, cedilla: CEDILLA.test(name) }).toEqual({ name, cedilla: false });
    expect(names.filter((n) => COMMA_BELOW.test(n)).length).toBeGreaterThan(10);
    const taxes = await Department.findOne({ where: { code: 'taxe' } });
    expect(taxes!.nameRo).toBe('Direcția Impozite și Taxe Locale');
    expect(taxes!.nameRo).toContain('\u021B');
    expect(taxes!.nameRo).toContain('\u0219');
    // The source list itself, and the demo messages too.
    for (const c of DEMO_CATEGORIES) expect(CEDILLA.test(c.nameRo)).toBe(false);
    for (const m of await Message.findAll()) expect(CEDILLA.test(`${m.subject ?? ''} ${m.text}`)).toBe(false);
  });

  it('creates a supervisor and two agents with random passwords shown once, which sign in', async () => {
    const agents = await Agent.findAll({ order: [['id', 'ASC']] });
    expect(agents.map((a) => a.role).sort()).toEqual(['agent', 'agent', 'supervisor']);
    const restricted = agents.find((a) => !a.allDepartments)!;
    expect(await AgentDepartment.count({ where: { agentId: restricted.id } })).toBeGreaterThan(0);
    for (const a of agents) expect(a.passwordHash).toMatch(/^scrypt\$/);
    // The summary carries the passwords (once); try one of them through the API.
    const lines = firstSummary.split('\n').filter((l) => /@/.test(l));
    expect(lines).toHaveLength(3);
    const [, email, password] = lines.find((l) => l.trim().startsWith('supervisor'))!.trim().split(/\s+/);
    expect(password!.length).toBeGreaterThanOrEqual(16);
    const res = await request(createApp(t.ctx)).post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    expect(res.body.agent.role).toBe('supervisor');
  });

  it('ingests demo cases on every channel, with registration numbers and deadlines', async () => {
    const conversations = await Conversation.findAll({ order: [['id', 'ASC']] });
    expect(conversations.length).toBeGreaterThanOrEqual(6);
    expect(new Set(conversations.map((c) => c.channel))).toEqual(new Set(CHANNEL_KINDS));
    for (const c of conversations) expect(c.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    expect(new Set(conversations.map((c) => c.registrationNumber)).size).toBe(conversations.length);
    const petitions = conversations.filter((c) => c.legalBasis !== 'none');
    expect(petitions.length).toBeGreaterThan(0);
    for (const c of petitions) expect(c.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(conversations.some((c) => c.legalBasis === 'public_information')).toBe(true);
    expect(conversations.some((c) => c.departmentId === null)).toBe(true);
    // The portal case was followed up by SMS: one case, two channels.
    const portal = conversations.find((c) => c.channel === 'portal')!;
    const messages = await Message.findAll({ where: { conversationId: portal.id }, order: [['id', 'ASC']] });
    expect(messages.map((m) => m.channel)).toEqual(['portal', 'sms']);
  });

  it('runs again without duplicating anything or changing passwords, and restores edited names', async () => {
    const before = await counts();
    const hashes = (await Agent.findAll({ order: [['id', 'ASC']] })).map((a) => a.passwordHash);
    await Category.update({ nameRo: 'nume stricat' }, { where: { code: 'taxe-locale' } });

    const again = await seedDemo(t.ctx);
    expect(again.credentials).toEqual([]);
    expect(again.summary).toMatch(/0 new cases/);
    expect(await counts()).toEqual(before);
    expect((await Agent.findAll({ order: [['id', 'ASC']] })).map((a) => a.passwordHash)).toEqual(hashes);
    expect((await Category.findOne({ where: { code: 'taxe-locale' } }))!.nameRo).toBe('Impozite și taxe locale');

    expect(await seedDemoIfEmpty(t.ctx)).toBeNull();
    expect(await counts()).toEqual(before);
  });
});
