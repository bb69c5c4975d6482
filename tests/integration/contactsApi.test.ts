import request from 'supertest';
import type { Express } from 'express';
import { ApiKey, Conversation, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createApiKey } from '../../server/auth/apiKeys';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

describe.each(DIALECTS)('POST /api/v1/contacts on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let key: string;
  beforeAll(async () => {
    t = await createTestContext(dialect);
    app = createApp(t.ctx);
    key = (await createApiKey('registratura-electronica')).key;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const body = (over: Record<string, unknown> = {}) => ({
    externalId: `dosar-${Math.random().toString(36).slice(2)}`,
    from: { name: 'Andrei Mureșan', email: 'andrei@exemplu.ro', phone: '0744 555 666' },
    subject: 'Cerere certificat de urbanism',
    text: 'Solicit eliberarea unui certificat de urbanism pentru terenul din str. Ștefan cel Mare.',
    ...over,
  });

  test('without a key → 401 telling how to get one; a wrong key → 401; nothing written', async () => {
    const before = await Message.count();
    const none = await request(app).post('/api/v1/contacts').send(body());
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');
    expect(none.body.error.message).toMatch(/Authorization: Bearer/);
    const wrong = await request(app).post('/api/v1/contacts').set('Authorization', 'Bearer gk_not-a-real-key').send(body());
    expect(wrong.status).toBe(401);
    expect(await Message.count()).toBe(before);
  });

  test('a revoked key is refused', async () => {
    const { key: k, apiKey } = await createApiKey('old');
    await apiKey.update({ revokedAt: new Date() });
    const r = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${k}`).send(body());
    expect(r.status).toBe(401);
  });

  test('a valid contact → 201 with the registration number; the same again → 200 duplicate', async () => {
    const b = body();
    const first = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).send(b);
    expect(first.status).toBe(201);
    expect(first.body.duplicate).toBe(false);
    expect(first.body.conversation.registrationNumber).toMatch(/^\d+\/\d{4}$/);
    expect(first.body.conversation.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(first.body.message.channel).toBe('api');
    const again = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).send(b);
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.message.id).toBe(first.body.message.id);
    expect(await Message.count({ where: { externalId: b.externalId } })).toBe(1);
    const stored = await Message.findByPk(first.body.message.id);
    expect(stored!.metadata).toEqual({ apiKeyId: (await ApiKey.findOne({ where: { name: 'registratura-electronica' } }))!.id });
  });

  test.each([
    [{ externalId: undefined }, 'externalId'],
    [{ from: { phone: 'nu e telefon' } }, 'from.phone'],
    [{ from: { email: 'fără-arobas' } }, 'from.email'],
    [{ channel: 'telegram' }, 'channel'],
    [{ text: 42 }, 'text'],
    [{ from: { name: 'X', extra: 1 } }, 'from'],
    [{ attachments: [{ filename: 'a.pdf', contentBase64: '***' }] }, 'attachments.0.contentBase64'],
    [{ location: { lat: 200, lng: 0 } }, 'location.lat'],
  ])('malformed body %j → 400 naming %s, nothing written', async (over, field) => {
    const before = { c: await Conversation.count(), m: await Message.count() };
    const r = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).send(body(over));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.details.field).toBe(field);
    expect(r.body.error.message.startsWith(field)).toBe(true);
    expect({ c: await Conversation.count(), m: await Message.count() }).toEqual(before);
  });

  test('broken JSON → 400 malformed_json', async () => {
    const r = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send('{"externalId": ');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('malformed_json');
  });

  test('a body over the limit → 413 with the limit named', async () => {
    const big = 'x'.repeat(41 * 1024 * 1024);
    const r = await request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).set('Content-Type', 'application/json').send(`{"text":"${big}"}`);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  test('base64 attachments are stored with the sniffed type', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const r = await request(app)
      .post('/api/v1/contacts')
      .set('Authorization', `Bearer ${key}`)
      .send(body({ attachments: [{ filename: 'cerere.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') }] }));
    expect(r.status).toBe(201);
    const m = await Message.findByPk(r.body.message.id, { include: ['attachments'] });
    const att = (m as unknown as { attachments: { contentType: string; size: number }[] }).attachments;
    expect(att).toHaveLength(1);
    expect(att[0]).toMatchObject({ contentType: 'application/pdf', size: pdf.length });
  });
});

describe('POST /api/v1/contacts rate limit per integration key', () => {
  test('beyond API_CONTACTS_PER_MINUTE a key gets 429 with Retry-After and nothing is written; another key is not held back', async () => {
    const t = await createTestContext('sqlite', { API_CONTACTS_PER_MINUTE: '3' });
    try {
      const app = createApp(t.ctx);
      const a = (await createApiKey('a')).key;
      const b = (await createApiKey('b')).key;
      const post = (key: string, i: number) =>
        request(app).post('/api/v1/contacts').set('Authorization', `Bearer ${key}`).send({ externalId: `rl-${key.slice(-6)}-${i}`, from: { email: `rl${i}@exemplu.ro` }, text: 'Sesizare' });
      for (let i = 0; i < 3; i++) expect((await post(a, i)).status).toBe(201);
      const before = await Message.count();
      const refused = await post(a, 3);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(await Message.count()).toBe(before);
      expect((await post(b, 0)).status).toBe(201);
    } finally {
      await t.cleanup();
    }
  });
});
