import request from 'supertest';
import sharp from 'sharp';
import type { Express } from 'express';
import { Attachment, Conversation, ConversationEvent, Message, Rating } from '../../db/models';
import { createApp } from '../../server/app';
import { createOutboundMessage } from '../../server/outbound/createOutboundMessage';
import { PORTAL_LIMITS } from '../../server/portal/portalRouter';
import { issueTrackingToken, rotateTrackingToken, trackingTokenMatches } from '../../server/portal/trackingToken';
import { createTestContext, type TestContext } from '../helpers/context';
import { category } from '../helpers/factories';
import { jpegPhoto, resolveCase, submissionId } from '../helpers/portal';
import { DIALECTS } from '../helpers/services';

let ipCounter = 0;
/** Each test speaks from its own address, so the per-address limits are tested where they are meant to be. */
const nextIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

describe.each(DIALECTS)('citizen portal on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  beforeAll(async () => {
    t = await createTestContext(dialect, { TRUST_PROXY: 'true', PUBLIC_URL: 'http://portal.test' });
    app = createApp(t.ctx);
    await category('drumuri-gropi', { locationBased: true, legalBasis: 'none' });
    await category('taxe-locale', { locationBased: false, legalBasis: 'petition', departmentCode: 'taxe' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const counts = async () => ({ c: await Conversation.count(), m: await Message.count(), a: await Attachment.count() });

  type Fields = Record<string, string>;
  const pothole = (over: Fields = {}): Fields => ({
    submissionId: submissionId(),
    category: 'drumuri-gropi',
    description: 'Groapă adâncă în carosabil, în dreptul numărului 12, de două săptămâni.',
    lat: '46.18661',
    lng: '21.31227',
    address: 'Str. Mărășești 12',
    ...over,
  });
  const submit = (fields: Fields, files: { data: Buffer; name: string }[] = [], opts: { ip?: string; path?: string } = {}) => {
    let r = request(app).post(opts.path ?? '/').set('X-Forwarded-For', opts.ip ?? nextIp());
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    for (const f of files) r = r.attach('photos', f.data, f.name);
    return r;
  };
  const trackingPath = (html: string) => {
    const m = /id="tracking-link" href="http:\/\/portal\.test(\/(?:en\/)?t\/\d{4}\/\d+\/[A-Za-z0-9_-]+)"/.exec(html);
    if (!m) throw new Error('no tracking link on the page');
    return m[1]!;
  };

  test('the form is Romanian at / and English at /en/, grouped categories, honeypot, submission id, comma-below diacritics', async () => {
    const ro = await request(app).get('/');
    expect(ro.status).toBe(200);
    expect(ro.text).toMatch(/<html lang="ro">/);
    expect(ro.text).toMatch(/<optgroup label="Drumuri și trotuare">/);
    expect(ro.text).toMatch(/name="submissionId" value="[A-Za-z0-9_-]{24}"/);
    expect(ro.text).toMatch(/name="website"/);
    expect(ro.text).toMatch(/<label for="description">/);
    expect(ro.text).not.toMatch(/[şţŞŢ]/);
    expect(ro.text).toContain('Notă de informare');
    const en = await request(app).get('/en/');
    expect(en.status).toBe(200);
    expect(en.text).toMatch(/<html lang="en">/);
    expect(en.text).toContain('Report a problem or send a petition');
  });

  test('the rest of the app still answers next to the portal', async () => {
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/api/v1/conversations')).status).toBe(401);
    expect((await request(app).get('/console/')).status).toBe(200);
    expect((await request(app).get('/portal-assets/leaflet/leaflet.js')).status).toBe(200);
    expect((await request(app).get('/open311/v2/discovery.json')).status).toBe(200);
  });

  test('a petition without identification is refused next to the field; nothing is written', async () => {
    const before = await counts();
    const r = await submit({ submissionId: submissionId(), category: 'taxe-locale', description: 'Vă rog să îmi recalculați impozitul pe clădire.' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('role="alert"');
    expect(r.text).toMatch(/id="name"[^>]*aria-describedby="name-error"[^>]*aria-invalid="true"/);
    expect(r.text).toContain('OG 27/2002, art. 7');
    // What the citizen typed comes back.
    expect(r.text).toContain('Vă rog să îmi recalculați impozitul pe clădire.');
    expect(await counts()).toEqual(before);
  });

  test('a street report without any location is refused with a clear message; nothing is written', async () => {
    const before = await counts();
    const r = await submit(pothole({ lat: '', lng: '', address: '' }));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/id="address-error" role="alert"/);
    expect(r.text).toContain('puneți un reper pe hartă, scrieți adresa');
    expect(await counts()).toEqual(before);
  });

  test('a 20 MB upload is refused with the size limit named; nothing is written', async () => {
    const before = await counts();
    const big = Buffer.concat([await jpegPhoto(), Buffer.alloc(20 * 1024 * 1024, 1)]);
    const r = await submit(pothole(), [{ data: big, name: 'mare.jpg' }]);
    expect(r.status).toBe(413);
    expect(r.text).toContain('„mare.jpg” are mai mult de 8 MB');
    expect(await counts()).toEqual(before);
  });

  test('an executable renamed .jpg is refused as not an image; nothing is written', async () => {
    const before = await counts();
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(4096, 0x41)]);
    const r = await submit(pothole(), [{ data: exe, name: 'poza.jpg' }]);
    expect(r.status).toBe(400);
    expect(r.text).toContain('„poza.jpg” nu este o imagine');
    expect(r.text).toMatch(/id="photos"[^>]*aria-invalid="true"/);
    expect(await counts()).toEqual(before);
  });

  test('six photos are refused (at most five)', async () => {
    const photo = await jpegPhoto();
    const r = await submit(pothole(), Array.from({ length: 6 }, (_, i) => ({ data: photo, name: `p${i}.jpg` })));
    expect(r.status).toBe(400);
    expect(r.text).toContain('cel mult 5 fotografii');
  });

  test('the honeypot field filled in → refused, nothing written', async () => {
    const before = await counts();
    const r = await submit(pothole({ website: 'http://spam.example' }));
    expect(r.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  test('script in the description is stored as text and echoed escaped, never as markup', async () => {
    const evil = '<script>alert("x")</script> groapă';
    const refused = await submit(pothole({ description: evil, lat: '', lng: '', address: '' }));
    expect(refused.status).toBe(400);
    expect(refused.text).not.toContain('<script>alert');
    expect(refused.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; groapă');
    const ok = await submit(pothole({ description: evil }));
    expect(ok.status).toBe(201);
    const number = /id="registration-number">(\d+\/\d{4})</.exec(ok.text)![1]!;
    const c = (await Conversation.findOne({ where: { registrationNumber: number } }))!;
    const stored = (await Message.findOne({ where: { conversationId: c.id } }))!;
    expect(stored.text).toBe(evil);
    expect(stored.html).toBeNull();
  });

  test('an anonymous street report with a photo: number and secret link; GPS from EXIF used; metadata stripped', async () => {
    const photo = await jpegPhoto({ lat: 46.1701, lng: 21.3102 });
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const r = await submit(pothole({ lat: '', lng: '', address: '' }), [{ data: photo, name: 'groapa.jpg' }]);
    expect(r.status).toBe(201);
    const number = /id="registration-number">(\d+\/\d{4})</.exec(r.text)![1]!;
    const c = (await Conversation.findOne({ where: { registrationNumber: number } }))!;
    expect(c.channel).toBe('portal');
    expect(c.anonymous).toBe(true);
    expect(c.legalBasis).toBe('none');
    expect(c.locationLat).toBeCloseTo(46.1701, 3);
    expect(c.locationLng).toBeCloseTo(21.3102, 3);
    expect(c.portalTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.text).toContain('anonimă');
    const msg = (await Message.findOne({ where: { conversationId: c.id } }))!;
    const att = (await Attachment.findOne({ where: { messageId: msg.id } }))!;
    expect(att.contentType).toBe('image/jpeg');
    const stored = await t.ctx.blobs.get(att.sha256);
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(stored.includes(Buffer.from('Ioana Popescu'))).toBe(false);
    const page = await request(app).get(trackingPath(r.text)).set('X-Forwarded-For', nextIp());
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Cererea nr. ${number}`);
  });

  test('a double submit of one form makes one case; the page shows the same number and link again', async () => {
    const fields = pothole();
    const first = await submit(fields);
    expect(first.status).toBe(201);
    const before = await counts();
    const second = await submit(fields);
    expect(second.status).toBe(200);
    expect(second.text).toContain('fusese deja trimisă');
    expect(await counts()).toEqual(before);
    expect(/id="registration-number">([^<]+)</.exec(second.text)![1]).toBe(/id="registration-number">([^<]+)</.exec(first.text)![1]);
    // The same link both times, and it works.
    expect(trackingPath(second.text)).toBe(trackingPath(first.text));
    expect((await request(app).get(trackingPath(second.text)).set('X-Forwarded-For', nextIp())).status).toBe(200);
  });

  test('an identified petition gets the 30-day legal deadline; English tracking link for an English form', async () => {
    const r = await submit(
      { submissionId: submissionId(), category: 'taxe-locale', description: 'Please recalculate my building tax for 2026.', name: 'Ana Ionescu', email: 'ana.ionescu@exemplu.ro', consent: 'yes' },
      [],
      { path: '/en/' },
    );
    expect(r.status).toBe(201);
    expect(r.text).toMatch(/<html lang="en">/);
    const path = trackingPath(r.text);
    expect(path.startsWith('/en/t/')).toBe(true);
    const c = (await Conversation.findOne({ order: [['id', 'DESC']] }))!;
    expect(c.anonymous).toBe(false);
    expect(c.legalBasis).toBe('petition');
    expect(c.legalDueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const page = await request(app).get(path).set('X-Forwarded-For', nextIp());
    expect(page.text).toContain('Legal deadline for the answer');
    expect(page.text).not.toContain('ana.ionescu@exemplu.ro');
    expect(page.text).not.toContain('Ana Ionescu');
  });

  test('tracking tokens: the same from every caller, stored hashed; rotation revokes the old link', async () => {
    const r = await submit(pothole());
    const number = /id="registration-number">(\d+\/\d{4})</.exec(r.text)![1]!;
    const c = (await Conversation.findOne({ where: { registrationNumber: number } }))!;
    const a = await issueTrackingToken(t.ctx, c.id);
    const b = await issueTrackingToken(t.ctx, c.id);
    expect(a.token).toBe(b.token);
    expect(a.url).toBe(`http://portal.test${trackingPath(r.text)}`);
    const stored = (await Conversation.findByPk(c.id))!;
    expect(stored.portalTokenHash).not.toContain(a.token);
    expect(trackingTokenMatches(stored, a.token)).toBe(true);
    const rotated = await rotateTrackingToken(t.ctx, c.id);
    const after = (await Conversation.findByPk(c.id))!;
    expect(trackingTokenMatches(after, a.token)).toBe(false);
    expect(trackingTokenMatches(after, rotated.token)).toBe(true);
    expect((await request(app).get(trackingPath(r.text)).set('X-Forwarded-For', nextIp())).status).toBe(404);
  });

  test('a body that is not a form, or is larger than all photos together, is refused with a page saying what to do', async () => {
    const before = await counts();
    const json = await request(app).post('/').set('X-Forwarded-For', nextIp()).set('Content-Type', 'application/json').send('{"category":"drumuri-gropi"}');
    expect(json.status).toBe(400);
    expect(json.text).toContain('Formularul nu a putut fi citit');
    const huge = await request(app).post('/').set('X-Forwarded-For', nextIp()).set('Content-Type', 'multipart/form-data; boundary=x').set('Content-Length', String(60 * 1024 * 1024)).send('--x--');
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('depășește dimensiunea permisă');
    expect(await counts()).toEqual(before);
  });

  test('contact data without consent is refused next to the consent box', async () => {
    const r = await submit(pothole({ name: 'Ion Pop', email: 'ion@exemplu.ro' }));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/id="consent-error" role="alert"/);
  });

  describe('tracking', () => {
    let path: string;
    let conversationId: number;
    beforeAll(async () => {
      const r = await submit(pothole({ name: 'Maria Stan', email: 'maria.stan@exemplu.ro', consent: 'yes' }));
      expect(r.status).toBe(201);
      path = trackingPath(r.text);
      conversationId = (await Conversation.findOne({ order: [['id', 'DESC']] }))!.id;
    });

    test('a wrong token, a missing case and a malformed link all get the same 404 page', async () => {
      const [, , year, seq, token] = path.split('/');
      const wrongToken = await request(app).get(`/t/${year}/${seq}/${'A'.repeat(token!.length)}`).set('X-Forwarded-For', nextIp());
      const missing = await request(app).get(`/t/${year}/999999/${token}`).set('X-Forwarded-For', nextIp());
      const short = await request(app).get(`/t/${year}/${seq}/x`).set('X-Forwarded-For', nextIp());
      expect([wrongToken.status, missing.status, short.status]).toEqual([404, 404, 404]);
      expect(wrongToken.text).toBe(missing.text.replace(`/t/${year}/999999/${token}`, `/t/${year}/${seq}/${'A'.repeat(token!.length)}`));
      expect(wrongToken.text).toContain('Pagina nu a fost găsită');
      const json = await request(app).get(`/t/${year}/${seq}/${'B'.repeat(32)}/status.json`).set('X-Forwarded-For', nextIp());
      expect(json.status).toBe(404);
    });

    test('guessing tokens from one address is stopped after the limit, with a clear message', async () => {
      const ip = nextIp();
      const [, , year, seq] = path.split('/');
      const statuses: number[] = [];
      for (let i = 0; i < PORTAL_LIMITS.trackingMisses.limit + 3; i++) {
        statuses.push((await request(app).get(`/t/${year}/${seq}/${submissionId()}`).set('X-Forwarded-For', ip)).status);
      }
      expect(statuses.slice(0, PORTAL_LIMITS.trackingMisses.limit).every((s) => s === 404)).toBe(true);
      const blocked = await request(app).get(path).set('X-Forwarded-For', ip);
      expect(blocked.status).toBe(429);
      expect(blocked.text).toContain('Prea multe încercări');
      expect(blocked.headers['retry-after']).toBeDefined();
      // Another address is unaffected.
      expect((await request(app).get(path).set('X-Forwarded-For', nextIp())).status).toBe(200);
    });

    test('the public timeline shows status changes and replies, never notes, internal events or names', async () => {
      await Message.create({
        conversationId, citizenId: null, agentId: null, direction: 'note', channel: 'internal', externalId: null, subject: null,
        text: 'NOTĂ INTERNĂ: vecinul reclamă des', html: null, deliveryStatus: null, deliveryError: null, deliveryUpdatedAt: null, receivedAt: new Date(),
      });
      await ConversationEvent.create({ conversationId, type: 'conversation.assigned', actorType: 'agent', actorId: 1, data: { agentName: 'Agent Secret' }, public: false });
      await createOutboundMessage(t.ctx, { conversationId, agentId: null, kind: 'reply', text: 'Echipa de intervenție a fost programată pentru joi.' });
      const page = await request(app).get(path).set('X-Forwarded-For', nextIp());
      expect(page.text).toContain('Echipa de intervenție a fost programată pentru joi.');
      expect(page.text).toContain('Cererea a fost înregistrată.');
      expect(page.text).not.toContain('NOTĂ INTERNĂ');
      expect(page.text).not.toContain('Agent Secret');
      expect(page.text).not.toContain('Maria Stan');
      expect(page.text).not.toContain('maria.stan@exemplu.ro');
      expect(page.text).toContain('Încă nu a fost trimis un răspuns.');
      expect(page.text).toContain('Problema nu a fost încă remediată.');
    });

    test('the citizen adds information and a photo: a new inbound portal message on the same case', async () => {
      const before = await Message.count({ where: { conversationId, direction: 'inbound' } });
      const page = await request(app).get(path).set('X-Forwarded-For', nextIp());
      const sid = /name="submissionId" value="([^"]+)"/.exec(page.text)![1]!;
      const empty = await request(app).post(`${path}/info`).set('X-Forwarded-For', nextIp()).field('submissionId', sid).field('text', '');
      expect(empty.status).toBe(400);
      expect(empty.text).toMatch(/id="info-error" role="alert"/);
      const r = await request(app)
        .post(`${path}/info`)
        .set('X-Forwarded-For', nextIp())
        .field('submissionId', sid)
        .field('text', 'Groapa s-a mărit după ploaie.')
        .attach('photos', await jpegPhoto(), 'dupa-ploaie.jpg');
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe(`${path}?done=info`);
      // The same form sent twice adds nothing more.
      await request(app).post(`${path}/info`).set('X-Forwarded-For', nextIp()).field('submissionId', sid).field('text', 'Groapa s-a mărit după ploaie.');
      const inbound = await Message.findAll({ where: { conversationId, direction: 'inbound' }, order: [['id', 'ASC']] });
      expect(inbound).toHaveLength(before + 1);
      expect(inbound.at(-1)!.channel).toBe('portal');
      expect(inbound.at(-1)!.text).toBe('Groapa s-a mărit după ploaie.');
      const after = await request(app).get(`${path}?done=info`).set('X-Forwarded-For', nextIp());
      expect(after.text).toContain('Informațiile au fost adăugate la cerere.');
      expect(after.text).toContain('Ați adăugat informații (1 fotografii).');
    });

    test('rating: refused before resolution; once resolved "fixed" is shown apart from "answered"; stored once', async () => {
      const early = await request(app).post(`${path}/rating`).set('X-Forwarded-For', nextIp()).field('score', '5');
      expect(early.status).toBe(409);
      expect(await Rating.count({ where: { conversationId } })).toBe(0);
      const v1 = (await request(app).get(`${path}/status.json`).set('X-Forwarded-For', nextIp())).body.version;
      await resolveCase(t.ctx, conversationId, 'fixed');
      const json = await request(app).get(`${path}/status.json`).set('X-Forwarded-For', nextIp());
      expect(json.body.version).not.toBe(v1);
      expect(json.body.status).toBe('resolved');
      expect(json.body.html).toContain('Problemă remediată');
      const page = await request(app).get(path).set('X-Forwarded-For', nextIp());
      expect(page.text).toMatch(/id="case-fixed">(?!Problema nu)/);
      expect(page.text).toContain('Încă nu a fost trimis un răspuns.');
      expect(page.text).toContain('Cum apreciați rezolvarea?');
      const bad = await request(app).post(`${path}/rating`).set('X-Forwarded-For', nextIp()).field('score', '9');
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/id="score-error" role="alert"/);
      const ok = await request(app).post(`${path}/rating`).set('X-Forwarded-For', nextIp()).field('score', '4').field('comment', 'Rapid, mulțumesc!');
      expect(ok.status).toBe(303);
      const again = await request(app).post(`${path}/rating`).set('X-Forwarded-For', nextIp()).field('score', '1');
      expect(again.status).toBe(409);
      const ratings = await Rating.findAll({ where: { conversationId } });
      expect(ratings.map((x) => [x.score, x.comment])).toEqual([[4, 'Rapid, mulțumesc!']]);
      const done = await request(app).get(path).set('X-Forwarded-For', nextIp());
      expect(done.text).toContain('Ați evaluat rezolvarea cu nota 4 din 5');
      expect(done.text).not.toContain('Cum apreciați rezolvarea?');
    });
  });

  test('the public map lists street reports with counts, filterable, without personal data', async () => {
    const r = await request(app).get('/harta').set('X-Forwarded-For', nextIp());
    expect(r.status).toBe(200);
    expect(r.text).toContain('Harta sesizărilor');
    expect(r.text).toMatch(/id="total-open">\d+</);
    expect(r.text).not.toContain('Maria Stan');
    expect(r.text).not.toContain('@exemplu.ro');
    expect(r.text).not.toContain('Ana Ionescu');
    const points = JSON.parse(/<script type="application\/json" id="map-points">([^<]*)<\/script>/.exec(r.text)![1]!);
    // The counts come from the database and agree with the cases there.
    const open = Number(/id="total-open">(\d+)</.exec(r.text)![1]);
    const closedCount = Number(/id="total-closed">(\d+)</.exec(r.text)![1]);
    const pothole = (await category('drumuri-gropi')).id;
    expect(open).toBe(await Conversation.count({ where: { categoryId: pothole, status: ['new', 'open', 'pending_citizen', 'pending_department'] } }));
    expect(closedCount).toBe(await Conversation.count({ where: { categoryId: pothole, status: ['resolved', 'closed', 'joined', 'filed_away'] } }));
    expect(open).toBeGreaterThan(0);
    expect(points.length).toBeGreaterThan(0);
    expect(Object.keys(points[0]).sort()).toEqual(['category', 'id', 'lat', 'lng', 'status']);
    const closed = await request(app).get('/harta?status=closed&category=drumuri-gropi').set('X-Forwarded-For', nextIp());
    expect(closed.text).toMatch(/id="total-open">0</);
    expect(closed.text).toMatch(/id="total-closed">[1-9]\d*</);
    const en = await request(app).get('/en/map').set('X-Forwarded-For', nextIp());
    expect(en.text).toContain('Map of reports');
  });

  test('50 submissions a minute from one address: the first ones are handled, the rest refused with a clear message', async () => {
    const ip = nextIp();
    const before = await counts();
    const statuses: number[] = [];
    let lastText = '';
    for (let i = 0; i < 50; i++) {
      // Invalid on purpose (no category): they still count against the limit and write nothing.
      const r = await submit({ submissionId: submissionId(), description: 'x' }, [], { ip });
      statuses.push(r.status);
      lastText = r.text;
    }
    expect(statuses.slice(0, PORTAL_LIMITS.submissions.limit).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(PORTAL_LIMITS.submissions.limit).every((s) => s === 429)).toBe(true);
    expect(lastText).toContain('Ați trimis prea multe cereri');
    expect(await counts()).toEqual(before);
    // The count lives in the database: another web process (another app on the same database) refuses too.
    const otherProcess = createApp(t.ctx);
    const elsewhere = await request(otherProcess).post('/').set('X-Forwarded-For', ip).field('submissionId', submissionId()).field('description', 'x');
    expect(elsewhere.status).toBe(429);
    // Someone else is not affected.
    expect((await submit(pothole())).status).toBe(201);
  });
});
