import express, { type Router } from 'express';
import { rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { z } from 'zod';
import { Agent } from '../../db/models';
import { presentSessionAgent } from '../api/presenters';
import type { AppContext } from '../context';
import { AppError, csrfFailed, tooManyRequests, validationError } from '../errors';
import { logger } from '../log';
import { MAX_PASSWORD_LENGTH, hashPassword, needsRehash, verifyDummy, verifyPassword } from './password';
import {
  clearSessionCookie,
  createSession,
  destroySession,
  loadSession,
  originAllowed,
  requireAgent,
  setSessionCookie,
} from './sessions';

const log = logger('auth');

/** Failed passwords in a row that lock an account… */
export const MAX_FAILED_LOGINS = 5;
/** …and for how long. */
export const LOCKOUT_MS = 15 * 60 * 1000;
/** Failed logins one address may make per window, whatever the accounts tried. */
export const LOGIN_IP_LIMIT = 20;
export const LOGIN_IP_WINDOW_MS = 15 * 60 * 1000;

/** The body of POST /auth/login. */
export const LoginSchema = z.object({
  email: z.string().trim().toLowerCase().min(1, 'is required').max(320, 'must be at most 320 characters'),
  password: z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
});
export type LoginBody = z.infer<typeof LoginSchema>;

/**
 * One answer for every failed sign-in: it does not tell a wrong password from an unknown email, an inactive
 * account or a locked one, so it cannot be used to learn which accounts exist.
 */
export const loginFailed = () =>
  new AppError(
    401,
    'login_failed',
    'The email or password is wrong, or the account is locked for 15 minutes after repeated failures. Check both and try again, or ask an administrator.',
  );

/** /api/v1/auth: login, logout and the current session. */
export function authRouter(ctx: AppContext): Router {
  const router = express.Router();

  // Per address, in this process; the per-account lockout below is the limit that holds across processes.
  // Successful logins do not count, so a whole office behind one NAT address can sign in at 8 o'clock.
  const ipLimiter = rateLimit({
    windowMs: LOGIN_IP_WINDOW_MS,
    limit: LOGIN_IP_LIMIT,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, _res, next, options) => {
      const resetAt = (req as AugmentedRequest).rateLimit?.resetTime?.getTime();
      const seconds = resetAt ? Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)) : Math.ceil(options.windowMs / 1000);
      next(tooManyRequests(seconds));
    },
  });

  router.post('/login', ipLimiter, async (req, res) => {
    // A login form posted from another site would sign the victim in to the attacker's account.
    if (!originAllowed(req, ctx.config)) throw csrfFailed();
    const parsed = LoginSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw validationError(issue.path.join('.') || 'body', issue.message);
    }
    const agent = await authenticate(ctx, parsed.data);
    const { token, csrfToken } = await createSession(agent);
    setSessionCookie(res, ctx.config, token);
    log.info({ agentId: agent.id }, 'agent signed in');
    res.status(200).json({ agent: presentSessionAgent(agent), csrfToken });
  });

  router.post('/logout', loadSession(ctx), requireAgent, async (req, res) => {
    await destroySession(req.session!);
    clearSessionCookie(res, ctx.config);
    res.status(204).end();
  });

  router.get('/session', loadSession(ctx), requireAgent, (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ agent: presentSessionAgent(req.agent!), csrfToken: req.session!.csrfToken });
  });

  return router;
}

/**
 * Checks an email and password. Every path runs one scrypt verification, so the time taken does not
 * reveal whether the account exists. Failures are counted on the account's row under a row lock, so the
 * lockout holds across web processes.
 */
export async function authenticate(ctx: AppContext, body: LoginBody): Promise<Agent> {
  const agent = await Agent.findOne({ where: { email: body.email } });
  if (!agent) {
    await verifyDummy(body.password);
    throw loginFailed();
  }
  const passwordOk = await verifyPassword(body.password, agent.passwordHash);
  const now = new Date();

  const outcome = await ctx.db.transaction(async (transaction) => {
    const row = await Agent.findByPk(agent.id, { transaction, lock: transaction.LOCK.UPDATE });
    if (!row) return 'failed' as const;
    const lockExpired = row.lockedUntil !== null && row.lockedUntil.getTime() <= now.getTime();
    if (row.lockedUntil && !lockExpired) return 'locked' as const;
    if (!passwordOk) {
      // A lock that has run out starts a fresh count.
      const failures = (lockExpired ? 0 : row.failedLogins) + 1;
      row.failedLogins = failures;
      row.lockedUntil = failures >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCKOUT_MS) : null;
      await row.save({ transaction, fields: ['failedLogins', 'lockedUntil'] });
      return row.lockedUntil ? ('now_locked' as const) : ('failed' as const);
    }
    if (!row.active) return 'inactive' as const;
    row.failedLogins = 0;
    row.lockedUntil = null;
    row.lastLoginAt = now;
    await row.save({ transaction, fields: ['failedLogins', 'lockedUntil', 'lastLoginAt'] });
    return row;
  });

  if (!(outcome instanceof Agent)) {
    if (outcome === 'now_locked') log.warn({ agentId: agent.id }, 'account locked after repeated failed logins');
    else log.info({ agentId: agent.id, reason: outcome }, 'sign-in refused');
    throw loginFailed();
  }
  if (needsRehash(outcome.passwordHash)) {
    outcome.passwordHash = await hashPassword(body.password);
    await outcome.save({ fields: ['passwordHash'] });
  }
  return outcome;
}
