import request from 'supertest';
import type { Express } from 'express';
import { Conversation, Message } from '../../db/models';
import { createApp } from '../../server/app';
import { createApiKey } from '../../server/auth/apiKeys';
import { createTestContext, type TestContext } from '../helpers/context';
import { category } from '../helpers/factories';
import { resolveCase } from '../helpers/portal';
import { DIALECTS } from '../helpers/services';

const V2 = '/open311/v2';
/** The request fields of Open311 GeoReport v2 GET responses, exactly. */
const REQUEST_FIELDS = [
  'service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice',
  'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url',
].sort();
const ISO_TZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;

describe.each(DIALECTS)('Open311 GeoReport v2 on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let key: string;
  beforeAll(async () => {
    t = await createTestContext(dialect, { PUBLIC_URL: 'https://ghiseu.primaria-test.ro' });
    app = createApp(t.ctx);
    key = (await createApiKey('civic-app')).key;
    await category('drumuri-gropi', { locationBased: true, legalBasis: 'none' });
    await category('taxe-locale', { locationBased: false, legalBasis: 'petition', departmentCode: 'taxe' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const post = (fields: Record<string, string>, format = 'json') => request(app).post(`${V2}/requests.${format}`).type('form').send(fields);
  const valid = (over: Record<string, string> = {}) => ({
    api_key: key,
    service_code: 'drumuri-gropi',
    lat: '46.17123',
    long: '21.31987',
    description: 'Groapă mare pe banda 1.',
    first_name: 'Radu',
    last_name: 'Georgescu',
    email: 'radu.georgescu@exemplu.ro',
    phone: '0721 234 567',
    ...over,
  });
  const expectJsonError = (r: request.Response, status: number, text: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.body).toEqual([{ code: status, description: expect.stringMatching(text) }]);
  };
  const expectXmlError = (r: request.Response, status: number, text: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/text\/xml/);
    expect(r.text).toMatch(new RegExp(`^<\\?xml version="1.0" encoding="utf-8"\\?>\\n<errors><error><code>${status}</code><description>[^<]+</description></error></errors>$`));
    expect(r.text).toMatch(text);
  };

  test('discovery in JSON and XML names the v2 endpoint and both formats', async () => {
    const json = await request(app).get(`${V2}/discovery.json`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({
      changeset: expect.stringMatching(ISO_TZ),
      endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: 'https://ghiseu.primaria-test.ro/open311/v2/', type: 'production', formats: ['text/xml', 'application/json'] }],
    });
    expect(Object.keys(json.body).sort()).toEqual(['changeset', 'contact', 'endpoints', 'key_service']);
    const xml = await request(app).get(`${V2}/discovery.xml`);
    expect(xml.status).toBe(200);
    expect(xml.text).toContain('<discovery><changeset>');
    expect(xml.text).toContain('<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>');
    expect(xml.text).toContain('<formats><format>text/xml</format><format>application/json</format></formats>');
  });

  test('services list with the spec fields; XML the same', async () => {
    const json = await request(app).get(`${V2}/services.json`);
    expect(json.status).toBe(200);
    const pothole = json.body.find((s: { service_code: string }) => s.service_code === 'drumuri-gropi');
    expect(Object.keys(pothole).sort()).toEqual(['description', 'group', 'keywords', 'metadata', 'service_code', 'service_name', 'type'].sort());
    expect(pothole).toMatchObject({ service_name: 'Drumuri, străzi, gropi în carosabil', metadata: true, type: 'realtime', group: 'drumuri' });
    const xml = await request(app).get(`${V2}/services.xml`);
    expect(xml.text).toMatch(/<services><service><service_code>[^<]+<\/service_code><service_name>/);
    expect(xml.text).toContain('<metadata>true</metadata><type>realtime</type>');
  });

  test('service definition; an unknown code → 404 in both formats', async () => {
    const json = await request(app).get(`${V2}/services/drumuri-gropi.json`);
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ service_code: 'drumuri-gropi', attributes: [] });
    const xml = await request(app).get(`${V2}/services/drumuri-gropi.xml`);
    expect(xml.text).toContain('<service_definition><service_code>drumuri-gropi</service_code><attributes/></service_definition>');
    expectJsonError(await request(app).get(`${V2}/services/nu-exista.json`), 404, /nu-exista/);
    expectXmlError(await request(app).get(`${V2}/services/nu-exista.xml`), 404, /nu-exista/);
  });

  test('POST without or with a wrong api_key → 403; nothing written', async () => {
    const before = await Conversation.count();
    expectJsonError(await post(valid({ api_key: '' })), 403, /api_key/);
    expectXmlError(await post(valid({ api_key: 'gk_wrong' }), 'xml'), 403, /api_key/);
    expect(await Conversation.count()).toBe(before);
  });

  test.each([
    [{ service_code: '' }, /service_code is required/],
    [{ service_code: 'nu-exista' }, /not a service here/],
    [{ lat: '', long: '' }, /location is required/],
    [{ lat: '46.1' , long: '' }, /together/],
    [{ lat: '123', long: '21' }, /within/],
    [{ description: '<b>groapă</b>' }, /plain text/],
    [{ description: 'x'.repeat(4001) }, /4,000/] as [Record<string, string>, RegExp],
    [{ email: 'nu-e-email' }, /email/],
    [{ phone: 'abc' }, /phone/],
    [{ service_code: 'taxe-locale', first_name: '', last_name: '' }, /petition/],
  ])('POST case %# → 400 with the reason; nothing written', async (over, reason) => {
    const before = await Conversation.count();
    expectJsonError(await post(valid(over)), 400, reason);
    expectXmlError(await post(valid(over), 'xml'), 400, reason);
    expect(await Conversation.count()).toBe(before);
  });

  test('POST a wrong jurisdiction_id → 404', async () => {
    expectJsonError(await post(valid({ jurisdiction_id: 'alt-oras.ro' })), 404, /jurisdiction_id/);
  });

  test('POST → service_request_id and token; the token resolves; GET shows it without any personal data', async () => {
    const r = await post(valid({ address_string: 'Bd. Revoluției 5', description: 'Groapă mare. Sunați-mă la 0721 234 567, Radu Georgescu, radu.georgescu@exemplu.ro' }));
    expect(r.status).toBe(201);
    expect(r.body).toEqual([{ service_request_id: expect.stringMatching(/^\d{4}-\d+$/), token: expect.any(String), service_notice: expect.stringContaining('Înregistrată cu nr.'), account_id: '' }]);
    const { service_request_id: id, token } = r.body[0];
    const c = (await Conversation.findOne({ where: { registrationNumber: `${id.split('-')[1]}/${id.split('-')[0]}` } }))!;
    expect(c.channel).toBe('portal');
    expect((await Message.findOne({ where: { conversationId: c.id } }))!.metadata).toMatchObject({ source: 'open311' });

    const tok = await request(app).get(`${V2}/tokens/${token}.json`);
    expect(tok.body).toEqual([{ service_request_id: id, token }]);
    const tokXml = await request(app).get(`${V2}/tokens/${token}.xml`);
    expect(tokXml.text).toContain(`<service_requests><request><service_request_id>${id}</service_request_id><token>${token}</token></request></service_requests>`);
    expectJsonError(await request(app).get(`${V2}/tokens/00000000-0000-0000-0000-000000000000.json`), 404, /token/);

    const one = await request(app).get(`${V2}/requests/${id}.json`);
    expect(one.status).toBe(200);
    expect(one.body).toHaveLength(1);
    const req0 = one.body[0];
    expect(Object.keys(req0).sort()).toEqual(REQUEST_FIELDS);
    expect(req0).toMatchObject({ service_request_id: id, status: 'open', service_code: 'drumuri-gropi', address: 'Bd. Revoluției 5', lat: 46.17123, long: 21.31987, agency_responsible: 'Direcția drumuri' });
    expect(req0.requested_datetime).toMatch(ISO_TZ);
    expect(req0.updated_datetime).toMatch(ISO_TZ);
    const text = JSON.stringify(one.body);
    for (const secret of ['Radu', 'Georgescu', 'radu.georgescu', '0721', 'first_name', 'last_name', 'email', 'phone']) expect(text).not.toContain(secret);
    const xml = await request(app).get(`${V2}/requests/${id}.xml`);
    expect(xml.text).toMatch(new RegExp(`^<\\?xml[^>]+>\\n<service_requests><request><service_request_id>${id}</service_request_id><status>open</status>`));
    expect(xml.text).toContain('<address>Bd. Revoluției 5</address><address_id/><zipcode/>');
    expect(xml.text).not.toMatch(/Radu|Georgescu|0721/);

    expectJsonError(await request(app).get(`${V2}/requests/2026-999999.json`), 404, /2026-999999/);
    expectXmlError(await request(app).get(`${V2}/requests/nu-e-id.xml`), 404, /nu-e-id/);
  });

  test('a petition posted with identity is registered but never shown by GET', async () => {
    const r = await post(valid({ service_code: 'taxe-locale', address_string: 'Str. Unirii 1' }));
    expect(r.status).toBe(201);
    const id = r.body[0].service_request_id;
    expect((await request(app).get(`${V2}/requests/${id}.json`)).status).toBe(404);
    expect((await request(app).get(`${V2}/requests.json?service_request_id=${id}`)).body).toEqual([]);
  });

  test('GET requests: filters by id list, service_code, status and dates; expected_datetime is the legal deadline', async () => {
    const a = (await post(valid({ description: 'Prima groapă' }))).body[0].service_request_id;
    const b = (await post(valid({ description: 'A doua groapă', first_name: '', last_name: '', email: '', phone: '' }))).body[0].service_request_id;
    const cb = await Conversation.findOne({ where: { registrationNumber: `${b.split('-')[1]}/${b.split('-')[0]}` } });
    await resolveCase(t.ctx, cb!.id, 'fixed');

    const byIds = await request(app).get(`${V2}/requests.json?service_request_id=${a},${b}&status=open`);
    // service_request_id overrides the other filters.
    expect(byIds.body.map((x: { service_request_id: string }) => x.service_request_id).sort()).toEqual([a, b].sort());

    const open = await request(app).get(`${V2}/requests.json?status=open&service_code=drumuri-gropi`);
    expect(open.body.every((x: { status: string }) => x.status === 'open')).toBe(true);
    expect(open.body.some((x: { service_request_id: string }) => x.service_request_id === a)).toBe(true);
    const closed = await request(app).get(`${V2}/requests.json?status=closed`);
    expect(closed.body.map((x: { service_request_id: string }) => x.service_request_id)).toContain(b);
    const closedB = closed.body.find((x: { service_request_id: string }) => x.service_request_id === b);
    expect(closedB.status_notes).toContain('Problemă remediată');

    const now = Date.now();
    const inRange = await request(app).get(`${V2}/requests.json`).query({ start_date: new Date(now - 3600_000).toISOString(), end_date: new Date(now + 60_000).toISOString() });
    expect(inRange.body.length).toBeGreaterThanOrEqual(2);
    const past = await request(app).get(`${V2}/requests.json`).query({ start_date: '2025-01-01T00:00:00+02:00', end_date: '2025-02-01T00:00:00+02:00' });
    expect(past.body).toEqual([]);

    // A petition with a legal deadline shows it as expected_datetime, at the end of that Bucharest day.
    const petitionCategory = await category('drumuri-petitie', { locationBased: true, legalBasis: 'petition' });
    const p = (await post(valid({ service_code: petitionCategory.code }))).body[0].service_request_id;
    const pc = (await Conversation.findOne({ where: { registrationNumber: `${p.split('-')[1]}/${p.split('-')[0]}` } }))!;
    const shown = (await request(app).get(`${V2}/requests/${p}.json`)).body[0];
    expect(pc.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(shown.expected_datetime).toMatch(new RegExp(`^${pc.legalDueDate}T23:59:59\\+0[23]:00$`));
    const xml = await request(app).get(`${V2}/requests.xml?service_code=drumuri-gropi`);
    expect(xml.text).toMatch(/^<\?xml[^>]+>\n<service_requests>(<request>.*<\/request>)+<\/service_requests>$/s);
  });

  test.each([
    [{ start_date: '2026-01-01' }, /timezone/],
    [{ end_date: 'ieri' }, /timezone/],
    [{ start_date: '2026-01-01T00:00:00Z', end_date: '2026-06-01T00:00:00Z' }, /90 days/],
    [{ start_date: '2026-06-01T00:00:00Z', end_date: '2026-01-01T00:00:00Z' }, /before/],
    [{ status: 'pending' }, /status/],
    [{ service_code: 'nu-exista' }, /service_code/],
  ])('GET requests %j → 400 in JSON and XML', async (query, reason) => {
    expectJsonError(await request(app).get(`${V2}/requests.json`).query(query), 400, reason);
    expectXmlError(await request(app).get(`${V2}/requests.xml`).query(query), 400, reason);
  });

  test('at most 1,000 results per answer', async () => {
    const c = await category('drumuri-gropi');
    const first = await Conversation.findOne({ order: [['id', 'ASC']] });
    const rows = Array.from({ length: 1005 }, (_, i) => ({
      registrationYear: 2099, registrationSeq: i + 1, registrationNumber: `${i + 1}/2099`, registeredAt: new Date(Date.now() - i * 1000),
      citizenId: null, channel: 'portal' as const, subject: null, categoryId: c.id, departmentId: first!.departmentId, resolution: null, assigneeId: null,
      locationLat: 46.17, locationLng: 21.31, address: null, legalDueDate: null, internalDueDate: null, legalExtendedAt: null, firstResponseDueAt: null,
      nextResponseDueAt: null, resolutionDueAt: null, dueAt: null, slaPausedAt: null, firstRespondedAt: null, answeredAt: null, fixedAt: null,
      resolvedAt: null, closedAt: null, joinedIntoId: null, portalTokenHash: null, lastMessageAt: null, lastInboundAt: null,
    }));
    await Conversation.bulkCreate(rows);
    const r = await request(app).get(`${V2}/requests.json`);
    expect(r.body).toHaveLength(1000);
  });

  test('an unknown format or path → 404 in the spec shape', async () => {
    expect((await request(app).get(`${V2}/services.csv`)).status).toBe(404);
    expectXmlError(await request(app).get(`${V2}/nimic.xml`), 404, /Nothing here/);
  });
});
