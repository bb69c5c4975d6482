import request from 'supertest';
import { Offer } from '../../db/models';
import { createApp } from '../../server/app';
import { createSession, SESSION_COOKIE } from '../../server/auth/sessions';
import { ingestContact } from '../../server/ingest/ingestContact';
import { configureRouting } from '../../server/routing/engine';
import { createTestContext, type TestContext } from '../helpers/context';
import { agent, contact } from '../helpers/factories';
import { DIALECTS } from '../helpers/services';

describe.each(DIALECTS)('routing REST API on %s', (dialect) => {
  let t: TestContext;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    t = await createTestContext(dialect);
    stop = configureRouting(t.ctx, {}).start({ sweeper: false }).stop;
  });
  afterEach(async () => {
    await stop();
    await t.cleanup();
  });

  async function login(role: 'agent' | 'supervisor') {
    const a = await agent({ role, allDepartments: true });
    const { token, csrfToken } = await createSession(a);
    return { agent: a, cookie: `${SESSION_COOKIE}=${token}`, csrf: csrfToken };
  }

  test('needs a session, CSRF on writes, and a supervisor role for the queue overview and reassignment', async () => {
    const app = createApp(t.ctx);
    await request(app).get('/api/v1/routing/me').expect(401);
    const me = await login('agent');
    await request(app).put('/api/v1/routing/presence').set('cookie', me.cookie).send({ presence: 'available' }).expect(403);
    await request(app).put('/api/v1/routing/presence').set('cookie', me.cookie).set('x-csrf-token', me.csrf).send({ presence: 'napping' }).expect(400);
    const ok = await request(app).put('/api/v1/routing/presence').set('cookie', me.cookie).set('x-csrf-token', me.csrf).send({ presence: 'available' }).expect(200);
    expect(ok.body.presence).toMatchObject({ agentId: me.agent.id, presence: 'available' });
    await request(app).get('/api/v1/routing/queues').set('cookie', me.cookie).expect(403);
    const { conversation } = await ingestContact(t.ctx, contact());
    await t.ctx.events.drain();
    await request(app).post(`/api/v1/routing/conversations/${conversation.id}/assign`).set('cookie', me.cookie).set('x-csrf-token', me.csrf).send({ agentId: me.agent.id }).expect(403);

    const boss = await login('supervisor');
    const overview = await request(app).get('/api/v1/routing/queues').set('cookie', boss.cookie).expect(200);
    expect(overview.body.queues.find((q: { queueId: unknown }) => q.queueId === 'general')).toMatchObject({ offered: 1 });
  });

  test('an agent sees their offer, accepts it over HTTP, and a second accept answers 409 offer_gone', async () => {
    const app = createApp(t.ctx);
    const me = await login('agent');
    await request(app).put('/api/v1/routing/presence').set('cookie', me.cookie).set('x-csrf-token', me.csrf).send({ presence: 'available' }).expect(200);
    const { conversation } = await ingestContact(t.ctx, contact());
    await t.ctx.events.drain();
    const mine = await request(app).get('/api/v1/routing/offers').set('cookie', me.cookie).expect(200);
    expect(mine.body.offers).toHaveLength(1);
    const offerId = mine.body.offers[0].id as number;
    expect(mine.body.offers[0].conversation.id).toBe(conversation.id);
    const accepted = await request(app).post(`/api/v1/routing/offers/${offerId}/accept`).set('cookie', me.cookie).set('x-csrf-token', me.csrf).expect(200);
    expect(accepted.body.conversation).toMatchObject({ id: conversation.id, assigneeId: me.agent.id, status: 'open' });
    const again = await request(app).post(`/api/v1/routing/offers/${offerId}/accept`).set('cookie', me.cookie).set('x-csrf-token', me.csrf).expect(409);
    expect(again.body.error.code).toBe('offer_gone');
    expect((await Offer.findByPk(offerId))?.state).toBe('accepted');
    const empty = await request(app).post('/api/v1/routing/pull').set('cookie', me.cookie).set('x-csrf-token', me.csrf).send({}).expect(404);
    expect(empty.body.error.code).toBe('queue_empty');
  });
});
