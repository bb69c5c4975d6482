import sharp from 'sharp';
import type { InferCreationAttributes } from 'sequelize';
import { ConversationEvent, Letter, LetterPage } from '../../db/models';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { logger } from '../log';
import { senderIdentities } from '../ingest/identity';
import { findCnps, redactCnpText } from '../text/cnp';
import { extractFields } from './extractFields';
import { LETTER_LIMITS } from './limits';
import { OcrPool } from './ocrPool';
import { readUpright } from './orientation';
import { PdfSession, renderPdfPage, type GreyRaster } from './pdfRender';
import { releaseLetter } from './releaseLetter';

const log = logger('letters.ocr');

const pools = new WeakMap<AppContext, OcrPool>();

/** The OCR worker pool of a context (LETTERS_OCR_CONCURRENCY threads at most). */
export function letterOcrPool(ctx: AppContext): OcrPool {
  let pool = pools.get(ctx);
  if (!pool) {
    pool = new OcrPool(ctx.config.DATA_DIR, ctx.config.LETTERS_OCR_CONCURRENCY);
    pools.set(ctx, pool);
  }
  return pool;
}

/** Stops a context's OCR threads (shutdown, tests). */
export async function closeLetterOcr(ctx: AppContext): Promise<void> {
  const pool = pools.get(ctx);
  pools.delete(ctx);
  await pool?.close();
}

/**
 * One page of a scan as grey pixels for OCR. PDF pages are rendered by MuPDF at 300 dpi (less if the page would
 * pass the pixel limit: the PDF thread bounds the scale); images are decoded by sharp with the pixel limit as a
 * fence and turned upright from their EXIF orientation. Then a 3×3 median takes out scanner speckle (on the
 * noisy test page it brings the error rate from 20 % to under 1 %), and low-resolution scans are enlarged to
 * the text size tesseract reads best. Pixels stay raw from the renderer to the OCR thread: nothing is encoded on the way.
 */
export async function pageRaster(data: Buffer, contentType: string, pageIndex: number, pdf?: PdfSession): Promise<GreyRaster> {
  let source: sharp.Sharp;
  if (contentType === 'application/pdf') {
    const scale = LETTER_LIMITS.renderDpi / 72;
    const rendered = pdf ? await pdf.render(pageIndex, scale, LETTER_LIMITS.maxPagePixels) : await renderPdfPage(data, pageIndex, scale, LETTER_LIMITS.maxPagePixels);
    source = sharp(rendered.pixels, { raw: { width: rendered.width, height: rendered.height, channels: 1 } });
  } else {
    source = sharp(data, { limitInputPixels: LETTER_LIMITS.maxPagePixels, page: pageIndex }).rotate().flatten({ background: '#ffffff' }).greyscale();
  }
  const cleaned = await source.median(3).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (cleaned.info.channels !== 1) throw new Error(`page decoded to ${cleaned.info.channels} channels, expected grey`);
  let out = cleaned;
  // Under about 150 dpi (an A4 page's long side under 1800 px, whichever way it lies): the text is enlarged.
  if (Math.max(cleaned.info.width, cleaned.info.height) < 1800) {
    out = await sharp(cleaned.data, { raw: { width: cleaned.info.width, height: cleaned.info.height, channels: 1 } })
      .resize({ width: 2 * cleaned.info.width, kernel: 'lanczos3' })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
  }
  return { pixels: out.data, width: out.info.width, height: out.info.height };
}

/**
 * One page as the clerk sees it beside the fields (and as the OCR read it): the prepared grey page, turned by
 * `rotation` degrees clockwise (what the OCR job found upright), as PNG.
 */
export async function pageImage(data: Buffer, contentType: string, pageIndex: number, rotation = 0): Promise<{ png: Buffer; width: number; height: number }> {
  const raster = await pageRaster(data, contentType, pageIndex);
  const { data: png, info } = await sharp(raster.pixels, { raw: { width: raster.width, height: raster.height, channels: 1 } })
    .rotate(rotation)
    .toColourspace('b-w')
    .png({ compressionLevel: 6 })
    .toBuffer({ resolveWithObject: true });
  return { png, width: info.width, height: info.height };
}

/** The keyed hash of the first checksum-valid CNP in a page's text, through ingest's identity path; never the CNP. */
export function pageCnpHash(text: string, secret: string): string | null {
  const cnp = findCnps(text).find((m) => m.valid);
  if (!cnp) return null;
  return senderIdentities({ cnp: cnp.digits }, secret).find((i) => i.kind === 'cnp_hash')?.value ?? null;
}

/** Runs `fn` over items with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * The `letter.ocr` job: reads every page not read yet (a retried job continues where it stopped), stores each
 * page's text with CNPs redacted and its confidence, keeps pages done / total up to date for the console, then
 * extracts the fields and either releases the letter (confident, sender found) or holds it for review.
 */
export async function ocrLetter(ctx: AppContext, letterId: number): Promise<void> {
  const letter = await Letter.findByPk(letterId);
  if (!letter || letter.status !== 'ocr') return;
  const data = await ctx.blobs.get(letter.sha256);
  const done = new Set((await LetterPage.findAll({ where: { letterId }, attributes: ['pageNo'] })).map((p) => p.pageNo));
  const todo = Array.from({ length: letter.pageCount }, (_, i) => i + 1).filter((n) => !done.has(n));
  const pool = letterOcrPool(ctx);
  // A PDF is parsed once per job in the PDF thread and its pages rendered as the OCR lanes need them.
  const pdf = letter.contentType === 'application/pdf' && todo.length ? new PdfSession(data) : undefined;
  // Pages are prepared one at a time, a few ahead of the OCR lanes, so a lane never waits for rendering while
  // a tesseract thread sits idle.
  const prepared = new Map<number, Promise<GreyRaster>>();
  let queued = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const prepareAhead = () => {
    while (queued < todo.length && prepared.size <= pool.size) {
      const pageNo = todo[queued++]!;
      const p = chain.then(() => pageRaster(data, letter.contentType, pageNo - 1, pdf));
      chain = p.catch(() => undefined);
      prepared.set(pageNo, p);
    }
  };

  try {
    prepareAhead();
    await eachLimited(todo, pool.size, async (pageNo) => {
      let row: Omit<InferCreationAttributes<LetterPage>, 'id' | 'createdAt' | 'updatedAt'>;
      try {
        prepareAhead();
        const raster = prepared.get(pageNo) ?? pageRaster(data, letter.contentType, pageNo - 1, pdf);
        let image: GreyRaster;
        try {
          image = await raster;
        } finally {
          prepared.delete(pageNo);
          prepareAhead();
        }
        const result = await readUpright(pool, image);
        row = {
          letterId,
          pageNo,
          status: 'done',
          text: redactCnpText(result.text),
          confidence: result.confidence,
          width: result.image.width,
          height: result.image.height,
          ocrMs: result.ms,
          error: null,
          rotation: result.rotation,
          cnpHash: pageCnpHash(result.text, ctx.config.SESSION_SECRET),
        };
      } catch (err) {
        log.warn({ letterId, pageNo, err: (err as Error).message }, 'page could not be read');
        row = { letterId, pageNo, status: 'failed', text: '', confidence: 0, width: 0, height: 0, ocrMs: 0, error: (err as Error).message.slice(0, 500), rotation: 0, cnpHash: null };
      }
      await LetterPage.upsert(row);
      await Letter.update({ pagesDone: await LetterPage.count({ where: { letterId } }) }, { where: { id: letterId } });
    });
  } finally {
    // Lanes stop early only on a database error: let prepared pages settle before the PDF closes.
    await Promise.allSettled(prepared.values());
    await pdf?.close();
  }

  const pages = await LetterPage.findAll({ where: { letterId }, order: [['pageNo', 'ASC']] });
  const read = pages.filter((p) => p.status === 'done');
  const text = read.map((p) => p.text).join('\n\n');
  const confidence = read.length ? read.reduce((s, p) => s + p.confidence, 0) / read.length : 0;
  const fields = extractFields(text);
  const reasons: string[] = [];
  if (pages.some((p) => p.status === 'failed')) reasons.push('ocr_failed');
  if (text.replace(/[^\p{L}]/gu, '').length < 20) reasons.push('no_text');
  else if (confidence < LETTER_LIMITS.minConfidence) reasons.push('low_confidence');
  if (!fields.senderName || !(fields.postalAddress || fields.email || fields.phone)) reasons.push('no_sender');

  await Letter.update({ confidence, fields, reviewReasons: reasons, pagesDone: pages.length }, { where: { id: letterId } });
  if (!reasons.length) {
    try {
      await releaseLetter(ctx, letterId, { fields, byAgentId: null });
      return;
    } catch (err) {
      // A field ingest refuses (an unparseable phone): a clerk decides instead.
      if (!(err instanceof AppError && err.code === 'validation_failed')) throw err;
      reasons.push('invalid_field');
      await Letter.update({ reviewReasons: reasons }, { where: { id: letterId } });
    }
  }
  const [changed] = await Letter.update({ status: 'review' }, { where: { id: letterId, status: 'ocr' } });
  if (changed && letter.conversationId) {
    const event = await ConversationEvent.create({ conversationId: letter.conversationId, type: 'letter.review_needed', actorType: 'system', actorId: null, data: { letterId, reasons, confidence: Math.round(confidence) }, public: false });
    ctx.events.emit('conversation.changed', { conversationId: letter.conversationId, eventIds: [event.id] });
  }
}
