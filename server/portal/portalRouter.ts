import path from 'node:path';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { rateLimit, type RateLimitRequestHandler, type Store } from 'express-rate-limit';
import type { Language } from '../../channels/contract';
import { Category, Conversation } from '../../db/models';
import type { ConversationStatus } from '../../db/models/Conversation';
import { AppError } from '../errors';
import type { AppContext } from '../context';
import { countPublicRequests, findPublicRequests, publicStatus, serviceRequestId } from '../open311/publicRequests';
import { addInformation } from './addInformation';
import { messages } from './messages';
import { FormParseError, parseForm, type ParsedForm } from './multipart';
import { DbRateLimitStore } from './dbRateLimitStore';
import { rateCase } from './rateCase';
import { newSubmissionId, submitRequest } from './submitRequest';
import { findTrackedCase, publicCaseView } from './tracking';
import { formPage, type CategoryOption, type FieldErrors, type FormValues } from './views/formPage';
import { mapPage } from './views/mapPage';
import { errorPage, notFoundPage, rateLimitedPage, successPage, trackingLive, trackingPage } from './views/pages';

/** Abuse limits per client address. */
export const PORTAL_LIMITS = {
  /** Form submissions (new requests, information, ratings) per window. */
  submissions: { windowMs: 10 * 60_000, limit: 10 },
  /** Tracking links that open nothing (wrong token, no such case) per window: guessing stops here. */
  trackingMisses: { windowMs: 15 * 60_000, limit: 20 },
} as const;

const NINETY_DAYS_MS = 90 * 24 * 60 * 60_000;

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(body);
}

/**
 * The portal's 404 page for a browser that asked for a page nothing serves (a mistyped or outdated link),
 * in Romanian; APIs and webhooks keep their JSON answers. Mounted last, before the JSON 404.
 */
export const portalNotFound: RequestHandler = (req, res, next) => {
  const page = req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && !/^\/(api|open311|twilio|healthz)(\/|$)/.test(req.path);
  if (!page) return next();
  sendHtml(res, 404, notFoundPage(req.path.startsWith('/en/') ? 'en' : 'ro', req.path));
};

async function categoryOptions(language: Language): Promise<CategoryOption[]> {
  const rows = await Category.findAll({ where: { active: true }, order: [['groupCode', 'ASC'], ['sortOrder', 'ASC'], ['id', 'ASC']] });
  return rows.map((c) => ({ code: c.code, name: language === 'en' ? c.nameEn : c.nameRo, groupCode: c.groupCode, locationBased: c.locationBased }));
}

function limiter(opts: { windowMs: number; limit: number }, language: (req: Request) => Language, store?: Store, skipSuccessfulRequests = false): RateLimitRequestHandler {
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests,
    handler: (req, res) => {
      const minutes = Math.ceil(opts.windowMs / 60_000);
      res.setHeader('Retry-After', String(Math.ceil(opts.windowMs / 1000)));
      if (req.path.endsWith('.json')) {
        res.status(429).json(new AppError(429, 'rate_limited', `Too many requests; try again in ${minutes} minutes.`).toJSON());
        return;
      }
      sendHtml(res, 429, rateLimitedPage(language(req), req.path, minutes));
    },
  });
}

/**
 * The citizen portal, server-rendered, Romanian at / and English under /en/: the request form, the
 * tracking page (with live updates, information and rating), the public map; static assets and Leaflet.
 */
export function portalRouter(ctx: AppContext): Router {
  const router = express.Router();
  const langOf = (req: Request): Language => (req.baseUrl.startsWith('/en') || req.originalUrl.startsWith('/en/') ? 'en' : 'ro');
  // Submissions are counted in the database, so the limit holds across web processes. Tracking misses are
  // counted per process: successful page loads and live-update polls would otherwise each cost two writes,
  // and the 192-bit tokens, not this limit, are what makes guessing hopeless.
  const submitLimit = limiter(PORTAL_LIMITS.submissions, langOf, new DbRateLimitStore(ctx.db, 'portal-submit'));
  const trackingLimit = limiter(PORTAL_LIMITS.trackingMisses, langOf, undefined, true);

  router.use('/portal-assets/leaflet', express.static(path.dirname(require.resolve('leaflet/dist/leaflet.js')), { maxAge: '7d', fallthrough: false }));
  router.use('/portal-assets', express.static(path.join(__dirname, 'assets'), { maxAge: '1h', fallthrough: false }));

  for (const language of ['ro', 'en'] as const) {
    const r = express.Router();
    const t = messages(language);
    const prefix = language === 'en' ? '/en' : '';
    const showForm = async (res: Response, status: number, values: FormValues = {}, errors: FieldErrors = {}) =>
      sendHtml(
        res,
        status,
        formPage({ language, categories: await categoryOptions(language), values, errors, submissionId: newSubmissionId(), mapTileUrl: ctx.config.MAP_TILE_URL, mapCenter: ctx.config.MAP_CENTER }),
      );
    const readForm = async (req: Request, res: Response, back: string): Promise<ParsedForm | null> => {
      try {
        return await parseForm(req);
      } catch (err) {
        if (!(err instanceof FormParseError)) throw err;
        res.setHeader('Connection', 'close');
        sendHtml(res, err.reason === 'too_large' ? 413 : 400, errorPage(language, back, err.reason === 'too_large' ? t.errTooLarge : t.errForm));
        return null;
      }
    };

    r.get('/', async (_req, res) => showForm(res, 200));
    r.post('/', submitLimit, async (req, res) => {
      const form = await readForm(req, res, '/');
      if (!form) return;
      const outcome = await submitRequest(ctx, language, form);
      if (!outcome.ok) return showForm(res, outcome.status, outcome.values, outcome.errors);
      sendHtml(res, outcome.duplicate ? 200 : 201, successPage({ language, ...outcome }));
    });

    const tracked = async (req: Request, res: Response): Promise<Conversation | null> => {
      const { year, seq, token } = req.params as Record<string, string>;
      const conversation = await findTrackedCase(year!, seq!, token!);
      if (!conversation) {
        if (req.path.endsWith('.json')) res.status(404).json(new AppError(404, 'not_found', 'No case matches this link; check that it was copied whole.').toJSON());
        else sendHtml(res, 404, notFoundPage(language, req.path));
      }
      return conversation;
    };
    const base = (c: Conversation, token: string) => `${prefix}/t/${c.registrationYear}/${c.registrationSeq}/${token}`;
    const showTracking = async (res: Response, c: Conversation, token: string, status = 200, flash?: string, errors?: { info?: string; rating?: string }) =>
      sendHtml(res, status, trackingPage({ language, view: await publicCaseView(c, language), basePath: base(c, token), submissionId: newSubmissionId(), flash, errors }));

    r.get('/t/:year/:seq/:token', trackingLimit, async (req, res) => {
      const c = await tracked(req, res);
      if (c) await showTracking(res, c, req.params.token as string, 200, req.query.done === 'info' ? t.addInfoDone : req.query.done === 'rating' ? t.rateDone : undefined);
    });
    r.get('/t/:year/:seq/:token/status.json', trackingLimit, async (req, res) => {
      const c = await tracked(req, res);
      if (!c) return;
      const view = await publicCaseView(c, language);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ version: view.version, status: view.status, resolution: view.resolution, html: trackingLive(language, view, base(c, req.params.token as string)).value });
    });
    r.post('/t/:year/:seq/:token/info', trackingLimit, submitLimit, async (req, res) => {
      const c = await tracked(req, res);
      if (!c) return void req.resume();
      const form = await readForm(req, res, req.path);
      if (!form) return;
      if (!['new', 'open', 'pending_citizen', 'pending_department', 'resolved'].includes(c.status)) return showTracking(res, c, req.params.token as string, 409);
      const outcome = await addInformation(ctx, c, language, form);
      if (!outcome.ok) return showTracking(res, c, req.params.token as string, outcome.status, undefined, { info: outcome.error });
      // Post/redirect/get: a reload does not send the information twice.
      res.redirect(303, `${base(c, req.params.token as string)}?done=info`);
    });
    r.post('/t/:year/:seq/:token/rating', trackingLimit, submitLimit, async (req, res) => {
      const c = await tracked(req, res);
      if (!c) return void req.resume();
      const form = await readForm(req, res, req.path);
      if (!form) return;
      const score = Number(form.fields.score);
      if (!Number.isInteger(score) || score < 1 || score > 5) return showTracking(res, c, req.params.token as string, 400, undefined, { rating: t.errRating });
      try {
        await rateCase(ctx, c.id, { score, comment: form.fields.comment });
      } catch (err) {
        if (err instanceof AppError && err.status === 409) return showTracking(res, (await Conversation.findByPk(c.id))!, req.params.token as string, 409);
        throw err;
      }
      res.redirect(303, `${base(c, req.params.token as string)}?done=rating`);
    });

    const mapPath = language === 'ro' ? '/harta' : '/map';
    r.get(mapPath, async (req, res) => {
      const categories = (await categoryOptions(language)).filter((c) => c.locationBased);
      const category = typeof req.query.category === 'string' && categories.some((c) => c.code === req.query.category) ? req.query.category : '';
      const status = req.query.status === 'open' || req.query.status === 'closed' ? req.query.status : '';
      const rows = await Category.findAll({ where: { locationBased: true, ...(category ? { code: category } : {}) } });
      const requests = await findPublicRequests({
        categoryIds: rows.map((c) => c.id),
        status: status || undefined,
        from: new Date(Date.now() - NINETY_DAYS_MS),
        limit: 1000,
      });
      const tally = await countPublicRequests(new Date(Date.now() - NINETY_DAYS_MS), rows.map((c) => c.id));
      const idOf = new Map(rows.map((c) => [c.code, c.id]));
      const counts = categories
        .filter((c) => !category || c.code === category)
        .map((c) => {
          const n = tally.get(idOf.get(c.code) ?? -1) ?? { open: 0, closed: 0 };
          return { code: c.code, name: c.name, open: status === 'closed' ? 0 : n.open, closed: status === 'open' ? 0 : n.closed };
        });
      const name = (r: (typeof requests)[number]) => (language === 'en' ? r.category.nameEn : r.category.nameRo);
      sendHtml(
        res,
        200,
        mapPage({
          language,
          categories,
          filter: { category, status },
          counts,
          list: requests.slice(0, 200).map((r) => ({
            id: serviceRequestId(r.conversation),
            registeredAt: r.conversation.registeredAt,
            category: name(r),
            status: t.statuses[r.conversation.status as ConversationStatus],
            place: r.address ?? (r.conversation.locationLat !== null ? `${r.conversation.locationLat.toFixed(4)}, ${r.conversation.locationLng!.toFixed(4)}` : ''),
          })),
          points: requests
            .filter((r) => r.conversation.locationLat !== null && r.conversation.locationLng !== null)
            .map((r) => ({
              id: serviceRequestId(r.conversation),
              // About 11 m: enough to find a pothole, not enough to point at a front door.
              lat: Math.round(r.conversation.locationLat! * 1e4) / 1e4,
              lng: Math.round(r.conversation.locationLng! * 1e4) / 1e4,
              category: name(r),
              status: publicStatus(r.conversation.status),
            })),
          mapTileUrl: ctx.config.MAP_TILE_URL,
          mapCenter: ctx.config.MAP_CENTER,
        }),
      );
    });
    // Anything else under /en/ that the portal does not know: the portal's own 404, in English.
    if (language === 'en') r.use((req, res) => sendHtml(res, 404, notFoundPage('en', req.path)));
    if (language === 'en') router.use('/en', r);
    else router.use(r);
  }
  return router;
}
