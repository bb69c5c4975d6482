import busboy from 'busboy';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { Conversation, Letter, LetterPage } from '../../db/models';
import { canSee, conversationScope } from '../auth/visibility';
import type { LetterStatus } from '../../db/models/Letter';
import { requireAgent } from '../auth/sessions';
import type { AppContext } from '../context';
import { badRequest, conflict, notFound, validationError } from '../errors';
import { redactCnpDeep } from '../text/cnp';
import { fileAwayLetter, mayFileAway } from './fileAwayLetter';
import { holdOversized, intakeLetter } from './intakeLetter';
import { LETTER_LIMITS } from './limits';
import { pageImage } from './ocrLetter';
import { releaseLetter } from './releaseLetter';

/** The fields a clerk may correct in review; every one optional, empty strings clear a field. */
export const LetterFieldsSchema = z
  .object({
    senderName: z.string().trim().max(200).nullable().optional(),
    postalAddress: z.string().trim().max(500).nullable().optional(),
    email: z.union([z.literal(''), z.string().trim().max(320).email('must be an email address')]).nullable().optional(),
    phone: z.string().trim().max(40).nullable().optional(),
    letterDate: z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')]).nullable().optional(),
    referenceNumber: z.union([z.literal(''), z.string().regex(/^\d{1,7}\/\d{4}$/, 'must look like 1234/2026')]).nullable().optional(),
    subject: z.string().trim().max(998).nullable().optional(),
    wantsEmailReply: z.boolean().optional(),
  })
  .strict();
export type LetterFieldsInput = z.infer<typeof LetterFieldsSchema>;

export const FileAwaySchema = z
  .object({ reason: z.string().trim().min(3, 'say why the letter is filed away (at least 3 characters)').max(1000) })
  .strict();

export const ListLettersQuery = z.object({
  status: z.enum(['received', 'rejected', 'ocr', 'review', 'released', 'filed_away']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A letter as the console sees it: progress, status, fields and (with pages) the redacted text. CNPs never. */
export function letterView(letter: Letter, pages?: LetterPage[]) {
  return redactCnpDeep({
    id: letter.id,
    filename: letter.filename,
    contentType: letter.contentType,
    size: Number(letter.size),
    source: letter.source,
    status: letter.status,
    refusal: letter.status === 'rejected' ? { code: letter.rejectCode, reason: letter.rejectReason } : null,
    progress: { pagesDone: letter.pagesDone, pages: letter.pageCount },
    confidence: letter.confidence === null ? null : Math.round(letter.confidence),
    conversationId: letter.conversationId,
    fields: letter.fields,
    reviewReasons: letter.reviewReasons,
    /** How to answer: by email when the letter gave an address and asked for it, else a printed letter. */
    replyChannel: letter.fields.wantsEmailReply && letter.fields.email ? 'email' : 'letter',
    receivedAt: letter.createdAt,
    releasedAt: letter.releasedAt,
    // rotation: how far the page was turned to read upright (its image is served turned the same way).
    pages: pages?.map((p) => ({ pageNo: p.pageNo, status: p.status, confidence: Math.round(p.confidence), rotation: p.rotation, text: p.text, error: p.error })),
  });
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw validationError(issue.path.join('.') || 'body', issue.message);
}

const idParam = (req: Request) => {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id < 1) throw notFound('The letter');
  return id;
};

/** Normalises a clerk's input: empty strings become null. */
function cleanFields(input: LetterFieldsInput) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) out[k] = v === '' ? null : v;
  return out as import('../../db/models/Letter').LetterFields;
}

interface Upload {
  filename: string;
  data: Buffer;
  /** The file passed LETTER_LIMITS.maxBytes: `data` holds its first maxBytes bytes. */
  truncated: boolean;
}

/**
 * Reads the uploaded files of a multipart request, each kept up to the letter size limit: a file passing it is
 * marked truncated, with its first LETTER_LIMITS.maxBytes bytes (the rest is read and dropped).
 */
function readUploads(req: Request): Promise<Upload[]> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 20, fileSize: LETTER_LIMITS.maxBytes, fields: 10 } });
    } catch {
      reject(badRequest('Send the scans as multipart/form-data, one "files" part per file.', 'multipart_expected'));
      return;
    }
    const files: Upload[] = [];
    const pending: Promise<void>[] = [];
    bb.on('file', (_field, stream, info) => {
      const chunks: Buffer[] = [];
      pending.push(
        new Promise((done) => {
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.push({ filename: info.filename || 'scan', data: Buffer.concat(chunks), truncated: (stream as unknown as { truncated: boolean }).truncated });
            done();
          });
        }),
      );
    });
    bb.on('filesLimit', () => reject(badRequest('At most 20 files per upload; send the rest in another upload.', 'too_many_files')));
    bb.on('error', (err) => reject(badRequest(`The upload could not be read: ${(err as Error).message}`, 'bad_multipart')));
    bb.on('close', () => void Promise.all(pending).then(() => resolve(files)));
    req.pipe(bb);
  });
}

/** A letter the signed-in agent may see: its case must be visible to them (department scope), as the scan is. */
async function visibleLetter(req: Request): Promise<Letter> {
  const letter = await Letter.findByPk(idParam(req));
  if (!letter) throw notFound('The letter');
  if (letter.conversationId) {
    const conversation = await Conversation.findByPk(letter.conversationId);
    if (conversation && !canSee(await conversationScope(req.agent!), conversation)) throw notFound('The letter');
  }
  return letter;
}

/** The registry's letter API: upload, progress, the review queue ("de verificat"), corrections and release. */
export function lettersRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);

  router.post('/', async (req, res) => {
    const files = await readUploads(req);
    if (!files.length) throw validationError('files', 'attach at least one scan (PDF, TIFF, JPEG or PNG)');
    const items = [];
    for (const f of files) {
      // A file over the limit is refused, and what arrived of it is kept with the reason for the registry to see.
      const r = f.truncated
        ? await holdOversized(ctx, { data: f.data, filename: f.filename, source: 'upload', uploadedById: req.agent!.id })
        : await intakeLetter(ctx, { data: f.data, filename: f.filename, source: 'upload', uploadedById: req.agent!.id });
      items.push({ filename: f.filename, duplicate: r.duplicate, letter: letterView(r.letter), refusal: r.refusal });
    }
    res.status(items.some((i) => i.letter && !i.duplicate && !i.refusal) ? 201 : 200).json({ items });
  });

  router.get('/', async (req, res) => {
    const q = parse(ListLettersQuery, req.query);
    const where = q.status ? { status: q.status as LetterStatus } : {};
    let letters = await Letter.findAll({ where, order: [['id', 'DESC']], limit: q.limit });
    const scope = await conversationScope(req.agent!);
    if (!scope.all) {
      const ids = letters.map((l) => l.conversationId).filter((id): id is number => id !== null);
      const cases = ids.length ? await Conversation.findAll({ where: { id: ids } }) : [];
      const visible = new Set(cases.filter((c) => canSee(scope, c)).map((c) => c.id));
      letters = letters.filter((l) => l.conversationId === null || visible.has(l.conversationId));
    }
    // Whether this agent may file letters away (the console shows the action only then; the server checks again).
    res.json({ items: letters.map((l) => letterView(l)), canFileAway: mayFileAway(req.agent!) });
  });

  router.get('/:id', async (req, res) => {
    const letter = await visibleLetter(req);
    const pages = await LetterPage.findAll({ where: { letterId: letter.id }, order: [['pageNo', 'ASC']] });
    res.json(letterView(letter, pages));
  });

  // The page image for the clerk's review; the scan itself never leaves through the JSON API.
  router.get('/:id/pages/:pageNo/image', async (req, res) => {
    const letter = await visibleLetter(req);
    const pageNo = Number(req.params.pageNo);
    if (letter.status === 'rejected' || !Number.isInteger(pageNo) || pageNo < 1 || pageNo > letter.pageCount) throw notFound('The page');
    // Turned the way the OCR found the page upright (a page scanned upside down is shown the right way up).
    const page = await LetterPage.findOne({ where: { letterId: letter.id, pageNo }, attributes: ['rotation'] });
    const image = await pageImage(await ctx.blobs.get(letter.sha256), letter.contentType, pageNo - 1, page?.rotation ?? 0);
    res.type('image/png').set('Cache-Control', 'private, no-store').send(image.png);
  });

  router.patch('/:id/fields', async (req, res) => {
    const input = cleanFields(parse(LetterFieldsSchema, req.body));
    const letter = await visibleLetter(req);
    if (letter.status !== 'review') throw conflict(`This letter is ${letter.status}; only letters waiting for review can be corrected here.`, 'letter_not_in_review');
    letter.fields = redactCnpDeep({ ...letter.fields, ...input });
    await letter.save();
    res.json(letterView(letter));
  });

  router.post('/:id/release', async (req, res) => {
    const input = cleanFields(parse(LetterFieldsSchema, req.body ?? {}));
    const letter = await visibleLetter(req);
    const id = letter.id;
    if (letter.status !== 'review') throw conflict(`This letter is ${letter.status}; only letters waiting for review can be released here.`, 'letter_not_in_review');
    const fields = { ...letter.fields, ...input };
    if (!fields.senderName && !fields.postalAddress && !fields.email) {
      // Art. 7 OG 27/2002: a petition without identification is filed away; the clerk must say who wrote it or file it.
      throw validationError('senderName', 'fill in who wrote the letter (name and an address) before releasing it');
    }
    const released = await releaseLetter(ctx, id, { fields, byAgentId: req.agent!.id });
    res.json(letterView(released));
  });

  // A letter nobody can be identified from is filed away unanswered (OG 27/2002 art. 7): out of the review
  // queue, its case `filed_away`, never routed. The registry and supervisors decide it.
  router.post('/:id/file-away', async (req, res) => {
    const { reason } = parse(FileAwaySchema, req.body ?? {});
    const letter = await visibleLetter(req);
    const filed = await fileAwayLetter(ctx, req.agent!, letter.id, reason);
    res.json(letterView(filed));
  });

  return router;
}
