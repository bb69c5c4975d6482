import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { Op } from 'sequelize';
import { z } from 'zod';
import { open311ExternalId, open311PostToContact } from '../../channels/webform/open311Contact';
import { Category, Conversation, Department, Message } from '../../db/models';
import type { ConversationStatus } from '../../db/models/Conversation';
import { findApiKey } from '../auth/apiKeys';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { ingestContact } from '../ingest/ingestContact';
import { logger } from '../log';
import { messages } from '../portal/messages';
import { Open311Error, XmlList, endOfBucharestDay, isoBucharest, sendOpen311, sendOpen311Error, type Open311Format, type XmlNode } from './format';
import { findPublicRequests, parseServiceRequestId, publicStatus, serviceRequestId, type PublicRequest } from './publicRequests';

const log = logger('open311');

/** Open311's own limits for GET /requests. */
export const OPEN311_MAX_RESULTS = 1000;
export const OPEN311_MAX_RANGE_DAYS = 90;
const DAY_MS = 24 * 60 * 60_000;

function formatOf(raw: unknown): Open311Format {
  if (raw === 'json' || raw === 'xml') return raw;
  throw new Open311Error(404, `Unknown format "${String(raw)}": use .json or .xml.`);
}

/** ISO 8601 with a timezone (Z or ±HH:MM), as the spec requires. */
function parseDate(field: string, raw: unknown): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = String(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Open311Error(400, `${field} must be an ISO 8601 date-time with a timezone, e.g. 2026-11-01T00:00:00+02:00.`);
  }
  return new Date(value);
}

function jurisdiction(ctx: AppContext): string {
  return new URL(ctx.config.PUBLIC_URL).hostname;
}

function checkJurisdiction(ctx: AppContext, raw: unknown): void {
  if (raw === undefined || raw === '') return;
  if (String(raw) !== jurisdiction(ctx)) throw new Open311Error(404, `jurisdiction_id "${String(raw)}" is not served here; this endpoint serves ${jurisdiction(ctx)}.`);
}

/** A request as Open311's GET shows it: no name, email, phone or account of anyone. */
function presentRequest(r: PublicRequest): XmlNode {
  const c = r.conversation;
  const t = messages('ro');
  const closed = publicStatus(c.status) === 'closed';
  return {
    service_request_id: serviceRequestId(c),
    status: publicStatus(c.status),
    status_notes: `${t.statuses[c.status as ConversationStatus]}${c.resolution ? ` — ${t.resolutions[c.resolution]}` : ''}`,
    service_name: r.category.nameRo,
    service_code: r.category.code,
    description: r.description,
    agency_responsible: r.department?.nameRo ?? '',
    service_notice: '',
    requested_datetime: isoBucharest(c.registeredAt),
    updated_datetime: isoBucharest(closed ? c.closedAt ?? c.resolvedAt ?? c.updatedAt : c.updatedAt),
    expected_datetime: c.legalDueDate ? endOfBucharestDay(c.legalDueDate) : '',
    address: r.address ?? '',
    address_id: '',
    zipcode: '',
    lat: c.locationLat === null ? '' : Math.round(c.locationLat * 1e5) / 1e5,
    long: c.locationLng === null ? '' : Math.round(c.locationLng * 1e5) / 1e5,
    media_url: '',
  };
}

const PostSchema = z.object({
  api_key: z.string().optional(),
  jurisdiction_id: z.string().optional(),
  service_code: z.string().trim().max(64, 'must be at most 64 characters').optional(),
  lat: z.string().optional(),
  long: z.string().optional(),
  address_string: z.string().trim().max(500, 'must be at most 500 characters').optional(),
  address_id: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  email: z.string().trim().max(320, 'must be at most 320 characters').optional(),
  device_id: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  account_id: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  first_name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  last_name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  phone: z.string().trim().max(40, 'must be at most 40 characters').optional(),
  description: z.string().max(100_000, 'must be at most 100,000 characters').optional(),
  media_url: z.string().trim().max(2000, 'must be at most 2,000 characters').optional(),
});

/** Wraps a handler: Open311 errors and unexpected ones become the spec's errors document. */
function handle(fn: (req: Request, res: Response, format: Open311Format) => Promise<void>) {
  return async (req: Request, res: Response) => {
    let format: Open311Format = 'json';
    try {
      format = formatOf(req.params.format);
      await fn(req, res, format);
    } catch (err) {
      if (err instanceof Open311Error) return sendOpen311Error(res, format, err);
      if (err instanceof AppError && err.status < 500) return sendOpen311Error(res, format, new Open311Error(400, err.message));
      log.error({ err }, 'open311 request failed');
      sendOpen311Error(res, format, new Open311Error(500, 'Something went wrong on our side; try again later.'));
    }
  };
}

/** Open311 GeoReport v2 under /open311/v2: discovery, services, definitions, requests (GET, POST), tokens. */
export function open311Router(ctx: AppContext): Router {
  const router = express.Router();
  router.use(rateLimit({ windowMs: 60_000, limit: 300, standardHeaders: 'draft-8', legacyHeaders: false, handler: (_req, res) => sendOpen311Error(res, 'json', new Open311Error(429, 'Too many requests; slow down to at most 300 a minute.')) }));
  const base = `${ctx.config.PUBLIC_URL}/open311/v2/`;

  router.get('/discovery.:format', handle(async (_req, res, format) => {
    sendOpen311(res, format, 200, 'discovery', null, {
      changeset: '2026-11-24T00:00:00Z',
      contact: `${ctx.config.PUBLIC_URL}/`,
      key_service: 'Ask the city hall’s administrator for an API key (npm run cli -- apikey:create).',
      endpoints: new XmlList('endpoint', [
        { specification: 'http://wiki.open311.org/GeoReport_v2', url: base, changeset: '2026-11-24T00:00:00Z', type: 'production', formats: new XmlList('format', ['text/xml', 'application/json']) },
      ]),
    });
  }));

  router.get('/services.:format', handle(async (req, res, format) => {
    checkJurisdiction(ctx, req.query.jurisdiction_id);
    const categories = await Category.findAll({ where: { active: true }, order: [['groupCode', 'ASC'], ['sortOrder', 'ASC'], ['id', 'ASC']] });
    sendOpen311(
      res, format, 200, 'services', 'service',
      categories.map((c) => ({
        service_code: c.code,
        service_name: c.nameRo,
        description: c.descriptionRo ?? c.nameEn,
        metadata: true,
        type: 'realtime',
        keywords: c.keywords ?? '',
        group: c.groupCode,
      })),
    );
  }));

  router.get('/services/:code.:format', handle(async (req, res, format) => {
    checkJurisdiction(ctx, req.query.jurisdiction_id);
    const category = await Category.findOne({ where: { code: String(req.params.code), active: true } });
    if (!category) throw new Open311Error(404, `No service with service_code "${String(req.params.code)}"; GET services.${format} lists them.`);
    // No service asks for extra attributes yet: the definition is the code with an empty attribute list.
    sendOpen311(res, format, 200, 'service_definition', null, { service_code: category.code, attributes: new XmlList('attribute', []) });
  }));

  router.get('/requests.:format', handle(async (req, res, format) => {
    checkJurisdiction(ctx, req.query.jurisdiction_id);
    const q = req.query;
    const ids = typeof q.service_request_id === 'string' && q.service_request_id.trim() ? q.service_request_id.split(',').map((s) => s.trim()).filter(Boolean) : null;
    let rows: PublicRequest[];
    if (ids) {
      // service_request_id overrides every other filter.
      const parsed = ids.slice(0, OPEN311_MAX_RESULTS).map(parseServiceRequestId).filter((x): x is { year: number; seq: number } => x !== null);
      rows = parsed.length ? await findPublicRequests({ ids: parsed, limit: OPEN311_MAX_RESULTS }) : [];
    } else {
      const start = parseDate('start_date', q.start_date);
      const end = parseDate('end_date', q.end_date);
      const to = end ?? (start ? new Date(start.getTime() + OPEN311_MAX_RANGE_DAYS * DAY_MS) : new Date());
      const from = start ?? new Date(to.getTime() - OPEN311_MAX_RANGE_DAYS * DAY_MS);
      if (from > to) throw new Open311Error(400, 'start_date must be before end_date.');
      if (to.getTime() - from.getTime() > OPEN311_MAX_RANGE_DAYS * DAY_MS) throw new Open311Error(400, `The date range may span at most ${OPEN311_MAX_RANGE_DAYS} days; narrow start_date and end_date.`);
      const statuses = typeof q.status === 'string' && q.status ? [...new Set(q.status.split(',').map((s) => s.trim()))] : [];
      if (statuses.some((s) => s !== 'open' && s !== 'closed')) throw new Open311Error(400, 'status must be open, closed or both (comma-separated).');
      let categoryIds: number[] | undefined;
      if (typeof q.service_code === 'string' && q.service_code) {
        const codes = q.service_code.split(',').map((s) => s.trim());
        const found = await Category.findAll({ where: { code: { [Op.in]: codes } } });
        if (found.length < new Set(codes).size) throw new Open311Error(400, `Unknown service_code in "${q.service_code}"; GET services.${format} lists them.`);
        categoryIds = found.map((c) => c.id);
      }
      rows = await findPublicRequests({ categoryIds, status: statuses.length === 1 ? (statuses[0] as 'open' | 'closed') : undefined, from, to, limit: OPEN311_MAX_RESULTS });
    }
    sendOpen311(res, format, 200, 'service_requests', 'request', rows.map(presentRequest));
  }));

  router.get('/requests/:id.:format', handle(async (req, res, format) => {
    checkJurisdiction(ctx, req.query.jurisdiction_id);
    const id = parseServiceRequestId(String(req.params.id));
    const rows = id ? await findPublicRequests({ ids: [id], limit: 1 }) : [];
    if (!rows.length) throw new Open311Error(404, `No public service request with id "${String(req.params.id)}".`);
    sendOpen311(res, format, 200, 'service_requests', 'request', rows.map(presentRequest));
  }));

  router.get('/tokens/:token.:format', handle(async (req, res, format) => {
    checkJurisdiction(ctx, req.query.jurisdiction_id);
    const token = String(req.params.token);
    const message = /^[0-9a-f-]{36}$/.test(token) ? await Message.findOne({ where: { channel: 'portal', externalId: open311ExternalId(token) } }) : null;
    const conversation = message ? await Conversation.findByPk(message.conversationId) : null;
    if (!conversation) throw new Open311Error(404, `No request was filed with token "${token}".`);
    sendOpen311(res, format, 200, 'service_requests', 'request', [{ service_request_id: serviceRequestId(conversation), token }]);
  }));

  router.post('/requests.:format', express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 100 }), handle(async (req, res, format) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const parsed = PostSchema.safeParse(Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string')));
    if (!parsed.success) throw new Open311Error(400, `${String(parsed.error.issues[0]!.path[0])}: ${parsed.error.issues[0]!.message}`);
    const p = parsed.data;
    const apiKey = p.api_key ? await findApiKey(p.api_key) : null;
    if (!apiKey) throw new Open311Error(403, 'api_key is missing or not valid; ask the city hall for a key.');
    checkJurisdiction(ctx, p.jurisdiction_id);
    if (!p.service_code) throw new Open311Error(400, 'service_code is required; GET services to list them.');
    const category = await Category.findOne({ where: { code: p.service_code, active: true } });
    if (!category) throw new Open311Error(400, `service_code "${p.service_code}" is not a service here; GET services.${format} lists them.`);
    const lat = p.lat !== undefined && p.lat !== '' ? Number(p.lat) : undefined;
    const long = p.long !== undefined && p.long !== '' ? Number(p.long) : undefined;
    if ((lat === undefined) !== (long === undefined)) throw new Open311Error(400, 'lat and long must be sent together.');
    if (lat !== undefined && (!Number.isFinite(lat) || Math.abs(lat) > 90 || !Number.isFinite(long!) || Math.abs(long!) > 180)) throw new Open311Error(400, 'lat must be within ±90 and long within ±180 (WGS84 decimal degrees).');
    if (lat === undefined && !p.address_string && !p.address_id) throw new Open311Error(400, 'A location is required: lat and long, address_string or address_id.');
    const description = p.description?.trim() ?? '';
    if (description.length > 4000) throw new Open311Error(400, 'description may be at most 4,000 characters.');
    if (/<[a-z!/][^>]*>/i.test(description)) throw new Open311Error(400, 'description must be plain text, without HTML.');
    if (p.email && !z.string().email().safeParse(p.email).success) throw new Open311Error(400, 'email is not a valid email address.');
    if (p.phone && !parsePhoneNumberFromString(p.phone, 'RO')?.isPossible()) throw new Open311Error(400, 'phone is not a number we can dial; send it as +40721234567.');
    const name = [p.first_name, p.last_name].filter(Boolean).join(' ');
    if (!category.locationBased && !(name && (p.email || p.phone))) {
      throw new Open311Error(400, `service_code "${category.code}" is a petition: first_name or last_name, and email or phone, are required (OG 27/2002 art. 7).`);
    }
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) {
      const m = /^attribute\[(.{1,64})\]$/.exec(k);
      if (m && typeof v === 'string') attributes[m[1]!] = v.slice(0, 1000);
    }
    const requestId = randomUUID();
    const result = await ingestContact(
      ctx,
      open311PostToContact({
        requestId, apiKeyId: apiKey.id, serviceCode: category.code, serviceName: category.nameRo, lat, long, addressString: p.address_string, addressId: p.address_id,
        email: p.email, deviceId: p.device_id, accountId: p.account_id, firstName: p.first_name, lastName: p.last_name, phone: p.phone, description, mediaUrl: p.media_url, attributes,
      }),
    );
    const department = result.conversation.departmentId ? await Department.findByPk(result.conversation.departmentId) : null;
    sendOpen311(res, format, 201, 'service_requests', 'request', [
      {
        service_request_id: serviceRequestId(result.conversation),
        token: requestId,
        service_notice: department ? `Înregistrată cu nr. ${result.conversation.registrationNumber}; se ocupă ${department.nameRo}.` : `Înregistrată cu nr. ${result.conversation.registrationNumber}.`,
        account_id: p.account_id ?? '',
      },
    ]);
  }));

  router.use((req, res) => sendOpen311Error(res, /\.xml$/.test(req.path) ? 'xml' : 'json', new Open311Error(404, `Nothing here: ${req.method} /open311/v2${req.path}. See discovery.json.`)));
  // Body-parser failures (too large, bad encoding) answered in the spec's error shape too.
  router.use((err: unknown, req: Request, res: Response, _next: express.NextFunction) => {
    const tooLarge = (err as { type?: string })?.type === 'entity.too.large';
    sendOpen311Error(res, /\.xml$/.test(req.path) ? 'xml' : 'json', new Open311Error(tooLarge ? 413 : 400, tooLarge ? 'The request body is larger than 100 kB.' : 'The request body could not be read; send application/x-www-form-urlencoded UTF-8.'));
  });
  return router;
}
