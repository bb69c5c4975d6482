import express, { type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { InboundContactSchema } from '../../channels/contract';
import { requireApiKey } from '../auth/apiKeys';
import type { AppContext } from '../context';
import { tooManyRequests, validationError } from '../errors';
import { ingestContact, type IngestResult } from '../ingest/ingestContact';
import { presentIngestResult } from './presenters';

/** Attachments arrive in JSON as base64; everything else is the InboundContact contract itself. */
const ApiContactSchema = InboundContactSchema.extend({
  channel: InboundContactSchema.shape.channel.default('api'),
  attachments: z
    .array(
      z.object({
        filename: z.string().min(1).max(255),
        contentType: z.string().max(200).optional(),
        contentBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
      }),
    )
    .max(20)
    .optional(),
});
export type ApiContact = z.input<typeof ApiContactSchema>;

/** POST /api/v1/contacts — how other city-hall systems hand contacts in. Idempotent on externalId. */
export function contactsRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(
    rateLimit({
      windowMs: 60_000,
      limit: ctx.config.API_CONTACTS_PER_MINUTE,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      // Per key for integrations; per address (IPv6 grouped by /56) for unauthenticated callers.
      keyGenerator: (req) => req.get('authorization') ?? ipKeyGenerator(req.ip ?? '0.0.0.0'),
      handler: (_req, _res, next, options) => next(tooManyRequests(Math.ceil(options.windowMs / 1000))),
    }),
  );
  router.post('/', requireApiKey, async (req, res) => {
    const parsed = ApiContactSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw validationError(issue.path.join('.') || 'body', issue.message, {
        issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    const { attachments, ...contact } = parsed.data;
    const result: IngestResult = await ingestContact(ctx, {
      ...contact,
      attachments: attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, data: Buffer.from(a.contentBase64, 'base64') })),
      metadata: { ...contact.metadata, apiKeyId: req.apiKey!.id },
    });
    res.status(result.duplicate ? 200 : 201).json(presentIngestResult(result));
  });
  return router;
}
