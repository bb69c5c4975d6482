import express from 'express';
import request from 'supertest';
import type { Express } from 'express';
import { Agent, AgentSession } from '../../db/models';
import { createApp } from '../../server/app';
import { MAX_FAILED_LOGINS } from '../../server/auth/authRoutes';
import { createAgent } from '../../server/auth/createAgent';
import { hashPassword, needsRehash, verifyPassword } from '../../server/auth/password';
import { agentFromCookieHeader, loadSession, parseCookies, requireRole, sessionId } from '../../server/auth/sessions';
import type { AppContext } from '../../server/context';
import { createTestContext, type TestContext } from '../helpers/context';
import { DIALECTS } from '../helpers/services';

jest.setTimeout(120_000);

const PASSWORD = 'corect-cal-baterie-capsa';

/** A route only supervisors and administrators may use, mounted the way feature modules are. */
function supervisorsOnly(ctx: AppContext) {
  const router = express.Router();
  router.use(loadSession(ctx), requireRole('supervisor', 'admin'));
  router.get('/', (req, res) => {
    res.json({ ok: true, role: req.agent!.role });
  });
  router.post('/', (_req, res) => {
    res.json({ ok: true });
  });
  return router;
}

function appFor(ctx: AppContext): Express {
  return createApp(ctx, [{ path: '/test/supervisors', router: supervisorsOnly }]);
}

function sessionCookie(res: request.Response): string {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = (header ?? []).find((c) => c.startsWith('ghiseu_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return cookie.split(';')[0]!;
}

async function login(app: Express, email: string, password = PASSWORD): Promise<{ cookie: string; csrf: string; res: request.Response }> {
  const res = await request(app).post('/api/v1/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return { cookie: sessionCookie(res), csrf: res.body.csrfToken as string, res };
}

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies in constant time', async () => {
    const hash = await hashPassword('parolă-cu-diacritice');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('parolă-cu-diacritice', hash)).toBe(true);
    expect(await verifyPassword('parola-cu-diacritice', hash)).toBe(false);
    expect(await hashPassword('parolă-cu-diacritice')).not.toBe(hash);
    expect(needsRehash(hash)).toBe(false);
    expect(needsRehash(hash.replace('$16384$', '$1024$'))).toBe(true);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
    // A stored hash asking for absurd memory is refused, not computed.
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
  });

  it('parses cookie headers', () => {
    expect(parseCookies('a=1; ghiseu_session=abc%3D; b="q"; a=2')).toEqual({ a: '1', ghiseu_session: 'abc=', b: 'q' });
    expect(parseCookies(undefined)).toEqual({});
  });
});

describe.each(DIALECTS)('auth on %s', (dialect) => {
  let t: TestContext;
  let app: Express;
  let agent: Agent;
  let supervisor: Agent;

  beforeAll(async () => {
    t = await createTestContext(dialect);
    agent = await createAgent(t.ctx, { email: 'agent@primarie.test', name: 'Ana Agent', role: 'agent', password: PASSWORD });
    supervisor = await createAgent(t.ctx, { email: 'sef@primarie.test', name: 'Sorin Supervizor', role: 'supervisor', password: PASSWORD, allDepartments: true });
    await createAgent(t.ctx, { email: 'admin@primarie.test', name: 'Adi Admin', role: 'admin', password: PASSWORD, allDepartments: true });
  });
  afterAll(async () => {
    await t?.cleanup();
  });
  // A fresh app per test: the per-address limiter lives in the app, so tests do not share its count.
  beforeEach(() => {
    app = appFor(t.ctx);
  });

  it('signs in with the right password: agent, CSRF token and an httpOnly, SameSite=Lax cookie', async () => {
    const { cookie, csrf, res } = await login(app, ' Agent@Primarie.TEST ');
    expect(res.body).toEqual({ agent: { id: agent.id, name: 'Ana Agent', email: 'agent@primarie.test', role: 'agent' }, csrfToken: csrf });
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);

    // Only the token's hash is stored.
    const token = cookie.slice('ghiseu_session='.length);
    expect(await AgentSession.findByPk(token)).toBeNull();
    expect(await AgentSession.findByPk(sessionId(token))).not.toBeNull();

    const session = await request(app).get('/api/v1/auth/session').set('Cookie', cookie);
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ agent: { id: agent.id, name: 'Ana Agent', email: 'agent@primarie.test', role: 'agent' }, csrfToken: csrf });
    expect((await Agent.findByPk(agent.id))!.lastLoginAt).not.toBeNull();
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const httpsApp = appFor({ ...t.ctx, config: { ...t.ctx.config, PUBLIC_URL: 'https://ghiseu.primarie.test' } });
    const res = await request(httpsApp).post('/api/v1/auth/login').send({ email: 'agent@primarie.test', password: PASSWORD });
    expect(res.status).toBe(200);
    expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; Secure/);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const wrong = await request(app).post('/api/v1/auth/login').send({ email: 'agent@primarie.test', password: 'not-the-password' });
    const unknown = await request(app).post('/api/v1/auth/login').send({ email: 'nobody@primarie.test', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('login_failed');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    await Agent.update({ failedLogins: 0 }, { where: { id: agent.id } });
  });

  it('names the missing field of a malformed login', async () => {
    const res = await request(app).post('/api/v1/auth/login').send({ email: 'agent@primarie.test' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'password' } });
  });

  it('locks an account after 5 failures, across processes, for 15 minutes', async () => {
    const victim = await createAgent(t.ctx, { email: 'tinta@primarie.test', name: 'Tudor Tinta', role: 'agent', password: PASSWORD });
    // Two apps stand for two web processes: the count lives in the database, not in either of them.
    const other = appFor(t.ctx);
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      const res = await request(i % 2 ? other : app).post('/api/v1/auth/login').send({ email: 'tinta@primarie.test', password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    let row = (await Agent.findByPk(victim.id))!;
    expect(row.failedLogins).toBe(MAX_FAILED_LOGINS);
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
    expect(row.lockedUntil!.getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000);

    // Locked: even the right password is refused, with the same answer as any failure.
    const locked = await request(other).post('/api/v1/auth/login').send({ email: 'tinta@primarie.test', password: PASSWORD });
    expect(locked.status).toBe(401);
    expect(locked.body.error.code).toBe('login_failed');

    // Once the lock has run out the right password works and the count starts again.
    await Agent.update({ lockedUntil: new Date(Date.now() - 1000) }, { where: { id: victim.id } });
    await login(app, 'tinta@primarie.test');
    row = (await Agent.findByPk(victim.id))!;
    expect(row.failedLogins).toBe(0);
    expect(row.lockedUntil).toBeNull();
  });

  it('resets the failure count after a successful login', async () => {
    const a = await createAgent(t.ctx, { email: 'uituc@primarie.test', name: 'Ugo Uituc', role: 'agent', password: PASSWORD });
    for (let i = 0; i < 3; i++) await request(app).post('/api/v1/auth/login').send({ email: 'uituc@primarie.test', password: 'wrong-password' }).expect(401);
    expect((await Agent.findByPk(a.id))!.failedLogins).toBe(3);
    await login(app, 'uituc@primarie.test');
    expect((await Agent.findByPk(a.id))!.failedLogins).toBe(0);
  });

  it('refuses inactive agents, and ends the sessions of an agent made inactive', async () => {
    const a = await createAgent(t.ctx, { email: 'plecat@primarie.test', name: 'Paul Plecat', role: 'agent', password: PASSWORD });
    const { cookie } = await login(app, 'plecat@primarie.test');
    await Agent.update({ active: false }, { where: { id: a.id } });
    const res = await request(app).post('/api/v1/auth/login').send({ email: 'plecat@primarie.test', password: PASSWORD });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('login_failed');
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', cookie)).status).toBe(401);
  });

  it('limits failed logins per address with 429 and Retry-After', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await request(app).post('/api/v1/auth/login').send({ email: `nimeni${i}@primarie.test`, password: 'guess-guess' });
      expect(res.status).toBe(401);
    }
    const limited = await request(app).post('/api/v1/auth/login').send({ email: 'agent@primarie.test', password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    // Another process (app) has its own count; the per-account lockout is what holds across them.
    await login(appFor(t.ctx), 'agent@primarie.test');
  });

  it('does not count successful logins against the address', async () => {
    for (let i = 0; i < 22; i++) {
      const res = await request(app).post('/api/v1/auth/login').send({ email: 'admin@primarie.test', password: PASSWORD });
      expect(res.status).toBe(200);
    }
  });

  it('logs out: the session row goes, the cookie is cleared, the token no longer works', async () => {
    const { cookie, csrf } = await login(app, 'agent@primarie.test');
    const res = await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf);
    expect(res.status).toBe(204);
    expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^ghiseu_session=;.*Max-Age=0/);
    expect(await AgentSession.findByPk(sessionId(cookie.split('=')[1]!))).toBeNull();
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', cookie)).status).toBe(401);
    expect((await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf)).status).toBe(401);
  });

  it('answers 401 without a session', async () => {
    const res = await request(app).get('/api/v1/auth/session');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', 'ghiseu_session=forged')).status).toBe(401);
  });

  it('expires idle sessions, slides active ones, and ends every session after 12 hours', async () => {
    const idle = await login(app, 'agent@primarie.test');
    const idleId = sessionId(idle.cookie.split('=')[1]!);
    await AgentSession.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { id: idleId } });
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', idle.cookie)).status).toBe(401);
    expect(await AgentSession.findByPk(idleId)).toBeNull();

    const active = await login(app, 'agent@primarie.test');
    const activeId = sessionId(active.cookie.split('=')[1]!);
    await AgentSession.update({ lastSeenAt: new Date(Date.now() - 2 * 3600_000), expiresAt: new Date(Date.now() + 10 * 60_000) }, { where: { id: activeId } });
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', active.cookie)).status).toBe(200);
    const slid = (await AgentSession.findByPk(activeId))!;
    expect(slid.expiresAt.getTime()).toBeGreaterThan(Date.now() + 7.9 * 3600_000);
    expect(slid.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000);

    await AgentSession.update({ createdAt: new Date(Date.now() - 12 * 3600_000 - 1000) }, { where: { id: activeId } });
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', active.cookie)).status).toBe(401);
  });

  it('requires the CSRF token and our Origin on cookie-authenticated writes', async () => {
    const { cookie, csrf } = await login(app, 'agent@primarie.test');
    const noToken = await request(app).post('/api/v1/auth/logout').set('Cookie', cookie);
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf_failed');
    expect((await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf.slice(1) + 'x')).status).toBe(403);
    expect((await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', 'short')).status).toBe(403);

    const wrongOrigin = await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf).set('Origin', 'https://evil.example');
    expect(wrongOrigin.status).toBe(403);
    expect(wrongOrigin.body.error.code).toBe('csrf_failed');
    // The session survived every refused attempt.
    expect((await request(app).get('/api/v1/auth/session').set('Cookie', cookie)).status).toBe(200);

    const origin = new URL(t.ctx.config.PUBLIC_URL).origin;
    expect((await request(app).post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf).set('Origin', origin)).status).toBe(204);

    // Feature routes behind loadSession get the same protection.
    const s = await login(app, 'sef@primarie.test');
    expect((await request(app).post('/test/supervisors').set('Cookie', s.cookie)).status).toBe(403);
    expect((await request(app).post('/test/supervisors').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf)).status).toBe(200);

    // A login posted from another site is refused too.
    const crossSiteLogin = await request(app).post('/api/v1/auth/login').set('Origin', 'https://evil.example').send({ email: 'agent@primarie.test', password: PASSWORD });
    expect(crossSiteLogin.status).toBe(403);
  });

  it('checks roles', async () => {
    expect((await request(app).get('/test/supervisors')).status).toBe(401);
    const a = await login(app, 'agent@primarie.test');
    const refused = await request(app).get('/test/supervisors').set('Cookie', a.cookie);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    const s = await login(app, 'sef@primarie.test');
    expect((await request(app).get('/test/supervisors').set('Cookie', s.cookie)).body).toEqual({ ok: true, role: 'supervisor' });
    const admin = await login(app, 'admin@primarie.test');
    expect((await request(app).get('/test/supervisors').set('Cookie', admin.cookie)).body).toEqual({ ok: true, role: 'admin' });
  });

  it('finds the agent of a Cookie header for the realtime handshake', async () => {
    const { cookie } = await login(app, 'sef@primarie.test');
    const found = await agentFromCookieHeader(`other=1; ${cookie}`);
    expect(found?.agent.id).toBe(supervisor.id);
    expect(await agentFromCookieHeader('ghiseu_session=nope')).toBeNull();
    expect(await agentFromCookieHeader(undefined)).toBeNull();
  });
});
