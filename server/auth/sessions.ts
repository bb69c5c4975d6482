import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Op } from 'sequelize';
import { Agent, AgentSession } from '../../db/models';
import type { Role } from '../../db/models/Agent';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { csrfFailed, forbidden, unauthenticated } from '../errors';
import { isOwnOrigin } from '../http/sameOrigin';

/** The console's session cookie (httpOnly; the console learns the CSRF token from the login answer). */
export const SESSION_COOKIE = 'ghiseu_session';
/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** …and in any case this long after sign-in: a shift, not a week. */
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** Sliding the expiry costs a write; one per minute per session is enough. */
const TOUCH_EVERY_MS = 60 * 1000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in agent, set by loadSession. */
    agent?: Agent;
    /** The agent's session row, set by loadSession. */
    session?: AgentSession;
  }
}

/** sha256 of the cookie token: the session's primary key. The token itself is never stored. */
export function sessionId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Parses a Cookie header into name → value (first occurrence wins, values URI-decoded when possible). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in out) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** Opens a session for an agent who has just proved who they are. Returns the cookie token (shown once) and the CSRF token. */
export async function createSession(agent: Agent): Promise<{ token: string; csrfToken: string; session: AgentSession }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = new Date();
  const session = await AgentSession.create({
    id: sessionId(token),
    agentId: agent.id,
    csrfToken,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
    lastSeenAt: now,
    createdAt: now,
  });
  // Housekeeping: the agent's own expired sessions go when they sign in again.
  await AgentSession.destroy({ where: { agentId: agent.id, expiresAt: { [Op.lt]: now } } });
  return { token, csrfToken, session };
}

/** Ends a session (logout). */
export async function destroySession(session: AgentSession): Promise<void> {
  await AgentSession.destroy({ where: { id: session.id } });
}

function cookieAttributes(config: Config): string {
  const secure = config.PUBLIC_URL.startsWith('https:') ? '; Secure' : '';
  return `Path=/; HttpOnly; SameSite=Lax${secure}`;
}

/** Sets the session cookie. No Max-Age: the server decides expiry, and the browser drops the cookie on exit. */
export function setSessionCookie(res: Response, config: Config, token: string): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=${token}; ${cookieAttributes(config)}`);
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(res: Response, config: Config): void {
  res.append('Set-Cookie', `${SESSION_COOKIE}=; ${cookieAttributes(config)}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`);
}

/** The session and agent of a cookie token, or null when it is unknown, expired, past its maximum age or the agent is inactive. Slides the idle expiry. */
export async function findSession(token: string | undefined): Promise<{ agent: Agent; session: AgentSession } | null> {
  if (!token || token.length > 100) return null;
  const session = await AgentSession.findByPk(sessionId(token));
  if (!session) return null;
  const now = Date.now();
  const maxEnd = session.createdAt.getTime() + SESSION_MAX_MS;
  if (session.expiresAt.getTime() <= now || maxEnd <= now) {
    await AgentSession.destroy({ where: { id: session.id } });
    return null;
  }
  const agent = await Agent.findByPk(session.agentId);
  if (!agent || !agent.active) return null;
  if (now - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    session.lastSeenAt = new Date(now);
    session.expiresAt = new Date(Math.min(now + SESSION_IDLE_MS, maxEnd));
    await session.save({ fields: ['lastSeenAt', 'expiresAt'] });
  }
  return { agent, session };
}

/**
 * The signed-in agent for a Cookie header (the socket.io handshake uses this). Null when the header carries
 * no valid session.
 */
export async function agentFromCookieHeader(cookieHeader: string | undefined): Promise<{ agent: Agent; session: AgentSession } | null> {
  return findSession(parseCookies(cookieHeader)[SESSION_COOKIE]);
}

/** Constant-time string equality (false for different lengths without comparing contents). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** When the browser says where a request comes from, it must be our own origin (see isOwnOrigin). */
export function originAllowed(req: Request, config: Config): boolean {
  return isOwnOrigin(req.get('origin'), req.get('host'), req.protocol, config.PUBLIC_URL);
}

const loaded = new WeakSet<Request>();

/**
 * Reads the session cookie and sets req.agent and req.session. A cookie-authenticated request that changes
 * state (anything but GET, HEAD, OPTIONS) must carry the session's X-CSRF-Token and, when it has an Origin
 * header, come from PUBLIC_URL's origin; otherwise it fails with csrf_failed. Safe to mount more than once.
 */
export function loadSession(ctx: AppContext): RequestHandler {
  return async (req, _res, next) => {
    if (loaded.has(req)) return next();
    loaded.add(req);
    const found = await findSession(parseCookies(req.get('cookie'))[SESSION_COOKIE]);
    if (found) {
      if (!SAFE_METHODS.has(req.method)) {
        const header = req.get('x-csrf-token') ?? '';
        if (!safeEqual(header, found.session.csrfToken) || !originAllowed(req, ctx.config)) throw csrfFailed();
      }
      req.agent = found.agent;
      req.session = found.session;
    }
    next();
  };
}

/** Requires a signed-in agent (mount after loadSession). */
export const requireAgent: RequestHandler = (req, _res, next) => {
  if (!req.agent) throw unauthenticated('Sign in to the console first; your session may have expired.');
  next();
};

/** Requires a signed-in agent with one of the roles (mount after loadSession). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.agent) throw unauthenticated('Sign in to the console first; your session may have expired.');
    if (!roles.includes(req.agent.role)) throw forbidden();
    next();
  };
}
