import { portalFollowUpToContact } from '../../channels/webform/portalContact';
import type { Language } from '../../channels/contract';
import type { Conversation } from '../../db/models';
import type { AppContext } from '../context';
import { ingestContact } from '../ingest/ingestContact';
import { messages } from './messages';
import type { ParsedForm } from './multipart';
import { MAX_PHOTOS, cleanPhoto, type CleanPhoto } from './photos';
import { SubmissionIdSchema } from './submitRequest';

export type AddInfoOutcome = { ok: true; duplicate: boolean } | { ok: false; status: number; error: string };

/**
 * Adds the citizen's text and photos to their case as a new inbound portal message (through ingest, which
 * threads it by the registration number and reopens a resolved case). Checked fully before anything is written.
 */
export async function addInformation(ctx: AppContext, conversation: Conversation, language: Language, form: ParsedForm): Promise<AddInfoOutcome> {
  const t = messages(language);
  const submissionId = SubmissionIdSchema.safeParse((form.fields.submissionId ?? '').trim());
  if (!submissionId.success) return { ok: false, status: 400, error: t.errForm };
  if ((form.fields.website ?? '').trim()) return { ok: false, status: 400, error: t.errSpam };
  const text = (form.fields.text ?? '').replace(/\r\n/g, '\n').trim();
  if (text.length > 4000) return { ok: false, status: 400, error: t.errDescriptionLong };
  if (form.tooManyFiles || form.files.length > MAX_PHOTOS) return { ok: false, status: 400, error: t.errPhotoCount };
  const photos: CleanPhoto[] = [];
  for (const file of form.files) {
    if (file.truncated) return { ok: false, status: 413, error: t.errPhotoSize(file.filename) };
    const cleaned = await cleanPhoto(file.filename, file.data);
    if ('kind' in cleaned) return { ok: false, status: 400, error: cleaned.kind === 'type' ? t.errPhotoType(cleaned.filename) : t.errPhotoBroken(cleaned.filename) };
    photos.push(cleaned);
  }
  if (!text && !photos.length) return { ok: false, status: 400, error: t.errMessage };
  const result = await ingestContact(
    ctx,
    portalFollowUpToContact({ submissionId: submissionId.data, registrationNumber: conversation.registrationNumber, language, text, photos }),
  );
  return { ok: true, duplicate: result.duplicate };
}
