import { randomBytes } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { portalSubmissionToContact, type PortalSubmission } from '../../channels/webform/portalContact';
import type { Language } from '../../channels/contract';
import { Category } from '../../db/models';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { ingestContact } from '../ingest/ingestContact';
import { logger } from '../log';
import { messages } from './messages';
import type { ParsedForm } from './multipart';
import { MAX_PHOTOS, cleanPhoto, type CleanPhoto } from './photos';
import { issueTrackingToken } from './trackingToken';
import type { FieldErrors, FormValues } from './views/formPage';

const log = logger('portal');

/** A fresh submission id for a form being shown: a double submit of that form carries it twice. */
export function newSubmissionId(): string {
  return randomBytes(18).toString('base64url');
}

export const SubmissionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

export type SubmitOutcome =
  | { ok: true; registrationNumber: string; trackingUrl: string; anonymous: boolean; duplicate: boolean; legalDueDate: string | null }
  | { ok: false; status: number; values: FormValues; errors: FieldErrors };

const EMAIL = z.string().email();

/**
 * Validates a portal submission, cleans its photos, and registers it through ingestContact (channel
 * `portal`), then issues the secret tracking token. Every check runs before anything is written: a refused
 * submission leaves no case, message or file row behind.
 */
export async function submitRequest(ctx: AppContext, language: Language, form: ParsedForm): Promise<SubmitOutcome> {
  const t = messages(language);
  const f = form.fields;
  const str = (k: string) => (f[k] ?? '').trim();
  const values: FormValues = {
    category: str('category'),
    description: (f.description ?? '').replace(/\r\n/g, '\n').trim(),
    address: str('address'),
    lat: str('lat'),
    lng: str('lng'),
    name: str('name'),
    email: str('email'),
    phone: str('phone'),
    postalAddress: str('postalAddress'),
    consent: f.consent === 'yes',
  };
  const errors: FieldErrors = {};
  const refuse = (status: number): SubmitOutcome => ({ ok: false, status, values, errors });

  // A bot filled the field people cannot see.
  if (str('website')) {
    errors.form = t.errSpam;
    return refuse(400);
  }
  const submissionId = SubmissionIdSchema.safeParse(str('submissionId'));
  if (!submissionId.success) {
    errors.form = t.errForm;
    return refuse(400);
  }

  const category = values.category ? await Category.findOne({ where: { code: values.category, active: true } }) : null;
  if (!category) errors.category = t.errCategory;
  if ((values.description ?? '').length < 10) errors.description = t.errDescription;
  else if ((values.description ?? '').length > 4000) errors.description = t.errDescriptionLong;
  if ((values.address ?? '').length > 500) values.address = values.address!.slice(0, 500);

  if (values.email && !EMAIL.safeParse(values.email).success) errors.email = t.errEmail;
  if (values.phone && !parsePhoneNumberFromString(values.phone, 'RO')?.isPossible()) errors.phone = t.errPhone;
  if ((values.name ?? '').length > 200) errors.name = t.errName;
  const givesContact = Boolean(values.name || values.email || values.phone || values.postalAddress);
  if (givesContact && !values.consent) errors.consent = t.errConsent;
  // OG 27/2002 art. 7: a petition without identification is filed away, so ask for it up front.
  if (category && !category.locationBased && !(values.name && (values.email || values.phone || values.postalAddress))) {
    if (!values.name) errors.name = t.errIdentity;
    else errors.email = t.errIdentity;
  }

  const photos: CleanPhoto[] = [];
  let status = 400;
  if (form.tooManyFiles || form.files.length > MAX_PHOTOS) errors.photos = t.errPhotoCount;
  for (const file of form.files) {
    if (errors.photos) break;
    if (file.truncated) {
      errors.photos = t.errPhotoSize(file.filename);
      status = 413;
      break;
    }
    const cleaned = await cleanPhoto(file.filename, file.data);
    if ('kind' in cleaned) errors.photos = cleaned.kind === 'type' ? t.errPhotoType(cleaned.filename) : t.errPhotoBroken(cleaned.filename);
    else photos.push(cleaned);
  }

  const lat = Number(values.lat);
  const lng = Number(values.lng);
  const pinned = values.lat !== '' && values.lng !== '' && Number.isFinite(lat) && Number.isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;
  const fromPhoto = photos.find((p) => p.gps)?.gps ?? null;
  const location = pinned ? { lat, lng } : fromPhoto;
  if (category?.locationBased && !location && !values.address) errors.address = t.errLocation;

  if (Object.keys(errors).length) return refuse(status);

  const submission: PortalSubmission = {
    submissionId: submissionId.data,
    language,
    categoryCode: category!.code,
    categoryName: language === 'en' ? category!.nameEn : category!.nameRo,
    description: values.description!,
    location: location ? { ...location, address: values.address || undefined } : undefined,
    address: values.address || undefined,
    contact: { name: values.name, email: values.email, phone: values.phone, postalAddress: values.postalAddress },
    consentGiven: values.consent ?? false,
    photos: photos.map((p) => ({ filename: p.filename, contentType: p.contentType, data: p.data })),
  };
  try {
    const result = await ingestContact(ctx, portalSubmissionToContact(submission));
    // The same link on every call: a double submit (the first page may never have arrived) shows it again.
    const { url } = await issueTrackingToken(ctx, result.conversation.id);
    log.info({ conversationId: result.conversation.id, duplicate: result.duplicate, photos: photos.length }, 'portal request registered');
    return {
      ok: true,
      registrationNumber: result.conversation.registrationNumber,
      trackingUrl: url,
      anonymous: result.conversation.anonymous,
      duplicate: result.duplicate,
      legalDueDate: result.conversation.legalDueDate,
    };
  } catch (err) {
    if (err instanceof AppError && err.status === 400) {
      const field = String(err.details?.field ?? '');
      if (field.endsWith('phone')) errors.phone = t.errPhone;
      else if (field.endsWith('email')) errors.email = t.errEmail;
      else errors.form = t.errForm;
      return refuse(400);
    }
    throw err;
  }
}
