import path from 'node:path';
import { UniqueConstraintError } from 'sequelize';
import { Letter } from '../../db/models';
import { letterContact } from '../../channels/letter/letterContact';
import type { AppContext } from '../context';
import { ingestContact } from '../ingest/ingestContact';
import { logger } from '../log';
import { sniffType } from '../files/sniff';
import { inspectScan, type ScanRefusal } from './inspectScan';
import { LETTER_LIMITS } from './limits';

const log = logger('letters.intake');

export interface IntakeProps {
  data: Buffer;
  filename: string;
  source: 'upload' | 'folder';
  uploadedById?: number | null;
}

/** What intake did with one file. */
export interface IntakeResult {
  letter: Letter;
  /** The same bytes had been received before: nothing new was registered. */
  duplicate: boolean;
  /** Set when the file was refused (it is kept, with the reason, and never registered). */
  refusal: ScanRefusal | null;
}

/**
 * Takes one scanned file: stores it content-addressed first (so nothing is lost, whatever happens next),
 * refuses it with a reason when it is not a readable scan (kept as a `rejected` letter row), otherwise
 * registers it through ingest (channel `letter`, externalId = sha256: the same file twice is one letter) and
 * queues its OCR. The letter row exists, status `received`, before ingest commits, so routing holds the new
 * case from the first moment until the letter is released. Safe to call again after a crash at any step.
 */
export async function intakeLetter(ctx: AppContext, props: IntakeProps): Promise<IntakeResult> {
  if (props.data.length > LETTER_LIMITS.maxBytes) return holdOversized(ctx, props);
  const blob = await ctx.blobs.put(props.data);
  const filename = path.basename(props.filename).slice(0, 255) || 'scan';

  const existing = await Letter.findOne({ where: { sha256: blob.sha256 } });
  if (existing && (existing.status === 'rejected' || existing.messageId)) {
    return { letter: existing, duplicate: true, refusal: refusalOf(existing) };
  }

  const inspection = await inspectScan(props.data);
  let letter = existing;
  if (!letter) {
    try {
      letter = await Letter.create({
        sha256: blob.sha256,
        filename,
        contentType: inspection.contentType,
        size: blob.size,
        source: props.source,
        status: inspection.ok ? 'received' : 'rejected',
        rejectCode: inspection.ok ? null : inspection.refusal.code,
        rejectReason: inspection.ok ? null : inspection.refusal.reason,
        pageCount: inspection.ok ? inspection.pages.length : 0,
        confidence: null,
        conversationId: null,
        messageId: null,
        uploadedById: props.uploadedById ?? null,
        releasedById: null,
        releasedAt: null,
      });
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      // The same file arrived twice at once (two clerks, or the folder and an upload): the first one wins.
      const winner = await Letter.findOne({ where: { sha256: blob.sha256 }, rejectOnEmpty: true });
      return { letter: winner, duplicate: true, refusal: refusalOf(winner) };
    }
  }
  if (!inspection.ok) {
    log.info({ letterId: letter.id, code: inspection.refusal.code }, 'scan refused at intake');
    return { letter, duplicate: false, refusal: inspection.refusal };
  }

  const result = await ingestContact(ctx, letterContact({ sha256: blob.sha256, filename, data: props.data, contentType: inspection.contentType, pages: inspection.pages.length, receivedAt: letter.createdAt }));
  await Letter.update(
    { status: 'ocr', conversationId: result.conversation.id, messageId: result.message.id },
    { where: { id: letter.id, status: 'received' } },
  );
  await letter.reload();
  await ctx.jobs.enqueue('letter.ocr', { letterId: letter.id }, { jobId: `ocr:${letter.id}`, attempts: 3 });
  log.info({ letterId: letter.id, conversationId: result.conversation.id, pages: letter.pageCount }, 'letter registered');
  return { letter, duplicate: false, refusal: null };
}

/** The refusal of a file over the size limit, naming the limit. */
export function tooLargeRefusal(keptBytes: number): ScanRefusal {
  const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
  return {
    code: 'too_large',
    reason:
      `Fișierul depășește limita de ${mb(LETTER_LIMITS.maxBytes)} și nu a fost înregistrat; primii ${mb(keptBytes)} primiți sunt păstrați pentru verificare. ` +
      `/ The file is larger than the ${mb(LETTER_LIMITS.maxBytes)} limit and was not registered; the first ${mb(keptBytes)} received are kept for checking: scan at 300 dpi in grey, or split the letter.`,
  };
}

/**
 * Keeps what arrived of a file over the size limit (its first LETTER_LIMITS.maxBytes bytes: the hard cap of what
 * is stored) as a refused letter, so the refusal and its reason are listed for the registry like any other and
 * the bytes can be looked at; nothing is registered. The same file again is the same refusal.
 */
export async function holdOversized(ctx: AppContext, props: IntakeProps): Promise<IntakeResult> {
  const data = props.data.subarray(0, LETTER_LIMITS.maxBytes);
  const blob = await ctx.blobs.put(data);
  const existing = await Letter.findOne({ where: { sha256: blob.sha256 } });
  if (existing) return { letter: existing, duplicate: true, refusal: refusalOf(existing) ?? tooLargeRefusal(data.length) };
  const refusal = tooLargeRefusal(data.length);
  try {
    const letter = await Letter.create({
      sha256: blob.sha256,
      filename: path.basename(props.filename).slice(0, 255) || 'scan',
      contentType: data.length ? sniffType(data) : 'application/octet-stream',
      size: blob.size,
      source: props.source,
      status: 'rejected',
      rejectCode: refusal.code,
      rejectReason: refusal.reason,
      pageCount: 0,
      confidence: null,
      conversationId: null,
      messageId: null,
      uploadedById: props.uploadedById ?? null,
      releasedById: null,
      releasedAt: null,
    });
    log.info({ letterId: letter.id, keptBytes: data.length }, 'oversized scan kept and refused');
    return { letter, duplicate: false, refusal };
  } catch (err) {
    if (!(err instanceof UniqueConstraintError)) throw err;
    const winner = await Letter.findOne({ where: { sha256: blob.sha256 }, rejectOnEmpty: true });
    return { letter: winner, duplicate: true, refusal: refusalOf(winner) };
  }
}

function refusalOf(letter: Letter): ScanRefusal | null {
  return letter.status === 'rejected' ? { code: letter.rejectCode as ScanRefusal['code'], reason: letter.rejectReason ?? '' } : null;
}

/**
 * Finishes what a crash interrupted (run when a worker starts): letters stored but not yet registered are
 * registered from their stored bytes, and letters registered but not read get their OCR job again (the job id
 * is deterministic, so a job still queued is not doubled).
 */
export async function requeueLetters(ctx: AppContext): Promise<number> {
  const stuck = await Letter.findAll({ where: { status: ['received', 'ocr'] }, limit: 500 });
  for (const l of stuck) {
    if (l.status === 'ocr') {
      await ctx.jobs.enqueue('letter.ocr', { letterId: l.id }, { jobId: `ocr:${l.id}`, attempts: 3 });
    } else if (Date.now() - l.createdAt.getTime() > 60_000 && (await ctx.blobs.has(l.sha256))) {
      // Older than a minute: not an intake still running in another process.
      await intakeLetter(ctx, { data: await ctx.blobs.get(l.sha256), filename: l.filename, source: l.source, uploadedById: l.uploadedById });
    }
  }
  return stuck.length;
}
