import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../server/app';
import { createTestContext, type TestContext } from '../helpers/context';

describe('addresses nothing serves', () => {
  let t: TestContext;
  let app: Express;
  beforeAll(async () => {
    t = await createTestContext('sqlite');
    app = createApp(t.ctx);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('a browser gets the portal page in Romanian, or English under /en/', async () => {
    const ro = await request(app).get('/cereri/inexistenta').set('Accept', 'text/html,application/xhtml+xml');
    expect(ro.status).toBe(404);
    expect(ro.type).toBe('text/html');
    expect(ro.text).toMatch(/<html lang="ro"/);
    const en = await request(app).get('/en/nowhere').set('Accept', 'text/html');
    expect(en.status).toBe(404);
    expect(en.text).toMatch(/<html lang="en"/);
  });

  test('APIs and clients asking for JSON keep the JSON error with its code', async () => {
    for (const [path, accept] of [['/api/v1/nowhere', 'text/html'], ['/cereri/inexistenta', 'application/json']]) {
      const r = await request(app).get(path!).set('Accept', accept!);
      expect(r.status).toBe(404);
      expect(r.type).toBe('application/json');
      expect(r.body.error.code).toBe('not_found');
    }
    // Open311 answers in its own specification's shape.
    const o = await request(app).get('/open311/v2/nowhere').set('Accept', 'text/html');
    expect(o.status).toBe(404);
    expect(o.type).not.toBe('text/html');
  });
});
