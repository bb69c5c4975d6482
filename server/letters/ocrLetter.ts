import sharp from 'sharp';
import type { InferCreationAttributes } from 'sequelize';
import { ConversationEvent, Letter, LetterPage } from '../../db/models';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { logger } from '../log';
import { redactCnpText } from '../text/cnp';
import { extractFields } from './extractFields';
import { LETTER_LIMITS } from './limits';
import { OcrPool } from './ocrPool';
import { PdfSession, pdfInfo, renderPdfPage } from './pdfRender';
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
 * One page of a scan as a grey PNG for OCR. PDF pages are rendered by MuPDF at 300 dpi (less if the page
 * would pass the pixel limit); images are decoded by sharp with the pixel limit as a fence and turned upright
 * from their EXIF orientation. Then a 3×3 median takes out scanner speckle (on the noisy test page it brings
 * the error rate from 20 % to under 1 %), and small scans are enlarged to the text size tesseract reads best.
 */
export async function pageImage(
  data: Buffer,
  contentType: string,
  pageIndex: number,
  pdf?: { session: PdfSession; pages: { width: number; height: number }[] },
): Promise<{ png: Buffer; width: number; height: number }> {
  let source: sharp.Sharp;
  if (contentType === 'application/pdf') {
    const pages = pdf?.pages ?? (await pdfInfo(data, LETTER_LIMITS.maxPages)).pages;
    const p = pages[pageIndex];
    if (!p) throw new Error(`page ${pageIndex + 1} does not exist`);
    const scale = Math.min(LETTER_LIMITS.renderDpi / 72, Math.sqrt(LETTER_LIMITS.maxPagePixels / (p.width * p.height)));
    const rendered = pdf ? await pdf.session.render(pageIndex, scale) : await renderPdfPage(data, pageIndex, scale);
    source = sharp(rendered.png, { limitInputPixels: LETTER_LIMITS.maxPagePixels });
  } else {
    source = sharp(data, { limitInputPixels: LETTER_LIMITS.maxPagePixels, page: pageIndex }).rotate();
  }
  const upright = await source.greyscale().median(3).png().toBuffer({ resolveWithObject: true });
  let out = upright;
  if (upright.info.width < 1600) {
    out = await sharp(upright.data).resize({ width: 2 * upright.info.width, kernel: 'lanczos3' }).png().toBuffer({ resolveWithObject: true });
  }
  return { png: out.data, width: out.info.width, height: out.info.height };
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
  // A PDF is parsed once per job and its pages rendered in one worker thread as the OCR lanes ask for them.
  const pdfPages = letter.contentType === 'application/pdf' && todo.length ? (await pdfInfo(data, LETTER_LIMITS.maxPages)).pages : null;
  const pdf = pdfPages ? { session: new PdfSession(data), pages: pdfPages } : undefined;

  try {
    await eachLimited(todo, pool.size, async (pageNo) => {
      let row: Omit<InferCreationAttributes<LetterPage>, 'id' | 'createdAt' | 'updatedAt'>;
      try {
        const image = await pageImage(data, letter.contentType, pageNo - 1, pdf);
        const result = await pool.recognize(image.png);
        row = { letterId, pageNo, status: 'done', text: redactCnpText(result.text), confidence: result.confidence, width: image.width, height: image.height, ocrMs: result.ms, error: null };
      } catch (err) {
        log.warn({ letterId, pageNo, err: (err as Error).message }, 'page could not be read');
        row = { letterId, pageNo, status: 'failed', text: '', confidence: 0, width: 0, height: 0, ocrMs: 0, error: (err as Error).message.slice(0, 500) };
      }
      await LetterPage.upsert(row);
      await Letter.update({ pagesDone: await LetterPage.count({ where: { letterId } }) }, { where: { id: letterId } });
    });
  } finally {
    await pdf?.session.close();
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
